// The Decision: what policy concluded about one client message, produced once by the policy stage and
// read by every later stage (rate limits, forwarding, the answer path, audit), which never re-derive it.
// `decideMessage` is the pure part: the method table's row, the rules, the limits and the scrub settings;
// `withIntegrity` folds in the integrity verdict the policy stage read for a tool call.

import type { IntegrityFlag } from "../integrity/review.js";
import type { JsonObject } from "../mcp/json.js";
import type { MethodRow } from "../mcp/methods.js";
import { DEFAULT_DENY, type PolicyEngine } from "./decide.js";
import type { CompiledLimit, CompiledOrigin, ScrubPolicy, TargetKind } from "./types.js";

export type Decision = {
  effect: "allow" | "deny";
  /** The rule that decided a named target (or `default-deny`); absent where the endpoint or a listing governs. */
  rule?: string;
  /** A deny's precise reason (internal), and how it is refused on the wire. */
  refusal?: { kind: "denied" | "toolRefused"; reason: string; detail: string };
  /** The named target policy decided on. */
  target?: { kind: TargetKind; name: string };
  /** The caller's roles with everything they inherit. */
  roles: ReadonlySet<string>;
  /** How the answer is scrubbed: the allowing rule's settings, or the origin's default. */
  scrub: ScrubPolicy;
  /** The rate limits this message counts against, checked before it is forwarded when `metered`. */
  limits: readonly CompiledLimit[];
  metered: boolean;
  /** A tool call the integrity check refused. */
  integrity?: IntegrityFlag;
  /** For a listing: which items this caller may see. */
  visible?: (kind: TargetKind, name: string) => boolean;
  /** Whether the origin may ask this caller a server-to-client request of this method. */
  allowsServerRequest: (method: string) => boolean;
};

export type MessageFacts = {
  origin: string;
  originPolicy: CompiledOrigin;
  row: MethodRow;
  method: string;
  target?: string;
  /** A tool's or prompt's arguments (an empty object when the request has none). */
  args?: JsonObject;
  roles: readonly string[];
};

export function decideMessage(engine: PolicyEngine, facts: MessageFacts): Decision {
  const { origin, row } = facts;
  const roles = engine.expandRoles(facts.roles);
  const isToolCall = row.target?.kind === "tool";
  const base = {
    roles,
    scrub: facts.originPolicy.scrub,
    limits: row.metered ? engine.limitsFor(origin, roles, facts.method, isToolCall ? facts.target : undefined) : [],
    metered: row.metered,
    // A server's ping needs no grant; everything else it asks a client for must be allowed for the caller.
    allowsServerRequest: (method: string) => method === "ping" || engine.decide(origin, "serverRequest", method, roles).effect === "allow",
  };
  const visible = row.listing ? { visible: (kind: TargetKind, name: string) => engine.isVisible(origin, kind, name, roles) } : {};
  if (!row.target || facts.target === undefined) return { effect: "allow", ...base, ...visible };
  const kind = row.target.kind;
  const target = { kind, name: facts.target };
  const verdict = engine.decide(origin, kind, facts.target, roles, row.target.arguments ? (facts.args ?? {}) : undefined);
  if (verdict.effect === "deny") {
    const detail = verdict.rule === DEFAULT_DENY ? `${kind} not permitted` : verdict.reason;
    return { effect: "deny", rule: verdict.rule, refusal: { kind: "denied", reason: verdict.reason, detail }, target, ...base };
  }
  return { effect: "allow", rule: verdict.rule, target, ...base, ...(verdict.scrub ? { scrub: verdict.scrub } : {}) };
}

const INTEGRITY_DETAIL = {
  drift: "the tool's definition changed since it was reviewed",
  unpinned: "the tool has no reviewed pin",
  poisoned: "the tool's metadata failed the poisoning check",
} as const;

/** An allowed tool call that the integrity check caught becomes a refusal. */
export function withIntegrity(decision: Decision, flag: IntegrityFlag | undefined): Decision {
  if (!flag) return decision;
  return {
    ...decision,
    effect: "deny",
    integrity: flag,
    refusal: { kind: "toolRefused", reason: `tool ${flag.tool}: ${flag.reason}`, detail: INTEGRITY_DETAIL[flag.reason] },
  };
}
