// The Decision: what policy concluded about one client message, produced once by the policy stage and
// read by every later stage (rate limits, forwarding, the answer path, audit), which never re-derive it.
// `decideMessage` is the pure part: the method table's row, the rules, the limits and the scrub settings;
// `withIntegrity` folds in the integrity verdict the policy stage read for a tool call.

import type { IntegrityFlag } from "../integrity/review.js";
import type { JsonObject } from "../mcp/json.js";
import type { MethodRow } from "../mcp/methods.js";
import { inAnyRange, parseRange, type CallerFacts, type ConditionName } from "./conditions.js";
import { DEFAULT_DENY, type PolicyEngine } from "./decide.js";
import type { CompiledAnomalyWatch, CompiledLimit, CompiledOrigin, ScrubPolicy, TargetKind } from "./types.js";

export type Decision = {
  effect: "allow" | "deny";
  /** The rule that decided (or `default-deny`); absent where a listing or the protocol's lifecycle governs. */
  rule?: string;
  /** A deny's precise reason (internal), and how it is refused on the wire. */
  refusal?: { kind: "denied" | "toolRefused"; reason: string; detail: string; headers?: Record<string, string> };
  /** The network or time condition that refused (a rule's, or the token's address binding). */
  condition?: ConditionName;
  /** The named target policy decided on: a tool, prompt, resource, method, or the server request a response answers. */
  target?: { kind: TargetKind; name: string };
  /** The caller's roles with everything they inherit. */
  roles: ReadonlySet<string>;
  /** How the answer is scrubbed: the allowing rule's settings, or the origin's default. */
  scrub: ScrubPolicy;
  /**
   * The rule whose scrub settings those are (null: the origin's default). It travels sealed with the
   * ids of what the answer leads to (SSE event ids, task ids), so a task's result or a resumed stream
   * is scrubbed as the call that started it.
   */
  scrubRule: string | null;
  /** The rate limits this message counts against, allowed or not. */
  limits: readonly CompiledLimit[];
  /** For a tools/call: the anomaly watch its use is counted by (when allowed). */
  watch?: CompiledAnomalyWatch;
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
  /** The named target and its kind (a completion's is the prompt or resource template it completes). */
  target?: { kind: TargetKind; name: string };
  /** A tool's or prompt's arguments (an empty object when the request has none). */
  args?: JsonObject;
  /** For a client's response: the relayed server-to-client request it answers, if the gateway relayed one. */
  relayed?: { method: string };
  /** For a message naming a task: the rule recorded with the task, or null when the task id is not this caller's. */
  task?: { rule: string | null } | null;
  /** A resumed GET stream: the rule recorded with the event it resumes after. */
  resumeRule?: string | null;
  /** A tools/call to be run as a task. */
  taskAugmented?: boolean;
  /** subscriptions/listen: the resource URIs it subscribes to. */
  subscribedResources?: readonly string[];
  /** Input answers sent without the gateway's sealed requestState (2026-07-28). */
  unverifiedInput?: boolean;
  /** Whether the message belongs to a session (an origin keeps tasks per session). */
  inSession?: boolean;
  /** Whether it is spoken in the stateless 2026-07-28 revision. */
  stateless?: boolean;
  roles: readonly string[];
  /** What rule conditions are decided on: the caller's address, country, ASN and the time. */
  caller: CallerFacts;
  /** The address ranges the caller's token is bound to, when it is. */
  tokenAddresses?: readonly string[];
};

export function decideMessage(engine: PolicyEngine, facts: MessageFacts): Decision {
  const { origin, row } = facts;
  const roles = engine.expandRoles(facts.roles);
  // What started this answer's work decides its scrubbing: the task's rule, or (never weaker than the
  // origin's default, since an origin may replay other streams' events) the resumed stream's rule. A
  // task whose creating rule the gateway did not see (listed, announced) gets the strictest settings.
  const inherited = facts.task?.rule ?? facts.resumeRule ?? null;
  const origins = facts.originPolicy.scrub;
  const ruleScrub = inherited === UNKNOWN_RULE ? STRICTEST_SCRUB : inherited === null ? undefined : engine.scrubOfRule(inherited);
  const inheritedScrub = ruleScrub && facts.task === undefined ? stricterScrub(ruleScrub, origins) : ruleScrub;
  const caller = facts.caller;
  const watch = facts.method === "tools/call" && facts.target?.kind === "tool" ? engine.watchFor(origin, facts.target.name) : undefined;
  const base = {
    roles,
    scrub: inheritedScrub ?? origins,
    scrubRule: inheritedScrub ? inherited : null,
    limits: engine.limitsFor(origin, roles, facts.method, facts.target?.kind === "tool" ? facts.target.name : undefined),
    // A server's ping needs no grant; everything else it asks a client for must be allowed for the caller.
    ...(watch ? { watch } : {}),
    allowsServerRequest: (method: string) => method === "ping" || engine.decide(origin, "serverRequest", method, roles, undefined, undefined, caller).effect === "allow",
  };
  const deny = (rule: string, reason: string, detail: string, target?: Decision["target"], condition?: ConditionName): Decision => ({
    effect: "deny",
    rule,
    refusal: { kind: "denied", reason, detail },
    ...(condition ? { condition } : {}),
    ...(target ? { target } : {}),
    ...base,
  });
  /** What the rules say about one named thing, as this message's Decision. */
  const byRule = (target: NonNullable<Decision["target"]>, args: JsonObject | undefined): Decision => {
    const verdict = engine.decide(origin, target.kind, target.name, roles, args, undefined, caller);
    if (verdict.effect === "deny") {
      if (verdict.condition) return deny(verdict.rule, verdict.reason, `${KIND_WORDS[target.kind]} not permitted from this network or location, or at this time`, target, verdict.condition);
      return deny(verdict.rule, verdict.reason, verdict.rule === DEFAULT_DENY ? `${KIND_WORDS[target.kind]} not permitted` : verdict.reason, target);
    }
    if (!verdict.scrub) return { effect: "allow", rule: verdict.rule, target, ...base };
    // A rule's own scrub settings never weaken those a task or resumed stream brings with it.
    return inheritedScrub
      ? { effect: "allow", rule: verdict.rule, target, ...base, scrub: stricterScrub(inheritedScrub, verdict.scrub) }
      : { effect: "allow", rule: verdict.rule, target, ...base, scrub: verdict.scrub, scrubRule: verdict.rule };
  };

  // A token bound to address ranges works only from them, for every message.
  if (facts.tokenAddresses && !inAnyRange(facts.tokenAddresses.flatMap((range) => parseRange(range) ?? []), caller.address)) {
    return deny(TOKEN_BINDING, "caller address outside the token's address ranges", "this token may not be used from this network", undefined, "address");
  }
  // Answers that no sealed question backs may only come from a caller that may be asked every kind of input.
  if (facts.unverifiedInput && !INPUT_KINDS.every((method) => base.allowsServerRequest(method))) {
    return deny(UNVERIFIED_INPUT, "inputResponses without a requestState from a caller not allowed every kind of input", "answers to input requests need the requestState this gateway gave you");
  }
  // A task's result or a resumed stream is the answer of the call that started it: that call's rule's
  // network and time conditions hold for whoever fetches it, as they did for the call.
  for (const started of [facts.task?.rule, facts.resumeRule]) {
    const condition = started && started !== UNKNOWN_RULE ? engine.unmetConditionOfRule(started, caller) : undefined;
    if (started && condition) {
      return deny(started, `condition ${condition} not met (rule ${started}, which allowed the call this answer belongs to)`, "not permitted from this network or location, or at this time", undefined, condition);
    }
  }
  switch (row.governedBy) {
    case "lifecycle":
      return { effect: "allow", ...base };
    case "listing":
      return { effect: "allow", ...base, visible: (kind: TargetKind, name: string) => engine.isVisible(origin, kind, name, roles, caller) };
    case "method":
      if (row.namesTask && !facts.task) return deny(FOREIGN_TASK, "task id not sealed for this caller in this session", "no such task of yours", { kind: "method", name: facts.method });
      // Without a session an origin of the session revisions cannot tell callers' tasks apart: tasks need
      // one there. (2026-07-28 has no sessions and no task listing: a task is reached by its sealed id only.)
      if ((row.namesTask || facts.method === "tasks/list") && !facts.inSession && !facts.stateless) return deny(FOREIGN_TASK, "task operation without a session", "tasks need a session", { kind: "method", name: facts.method });
      return byRule({ kind: "method", name: facts.method }, undefined);
    case "target":
    case "completion": {
      // Arguments are checked for the call itself; a completion only names the prompt or template.
      const decision = byRule(facts.target!, row.governedBy === "target" && row.target?.arguments ? (facts.args ?? {}) : undefined);
      // A call run as a task is fetched later with tasks/result: the caller needs that grant too.
      if (decision.effect === "allow" && facts.taskAugmented && (!facts.inSession || engine.decide(origin, "method", "tasks/result", roles, undefined, undefined, caller).effect !== "allow")) {
        // (2026-07-28: the server decides whether a call becomes a task; a client's legacy `task` hint is ignored there.)
        return deny(decision.rule!, "task-augmented call without a session or a tasks/result grant", "this call may not run as a task", decision.target);
      }
      return decision;
    }
    case "subscription": {
      const listen = byRule({ kind: "method", name: facts.method }, undefined);
      if (listen.effect === "deny") return listen;
      // Every resource it would hear about must be one the caller may read.
      for (const uri of facts.subscribedResources ?? []) {
        const resource = byRule({ kind: "resource", name: uri }, undefined);
        if (resource.effect === "deny") return resource;
      }
      return listen;
    }
    case "relayedRequest":
      if (!facts.relayed) return deny(NOT_RELAYED, "response to no request the gateway relayed to this caller", "this response answers no request the gateway relayed to you");
      // A server's ping is relayed to every caller (allowsServerRequest): so is the answer to it.
      if (facts.relayed.method === "ping") return { effect: "allow", ...base };
      return byRule({ kind: "serverRequest", name: facts.relayed.method }, undefined);
  }
}

/** The rule id a message refused by its token's address binding records. */
export const TOKEN_BINDING = "token-binding";
/** The rule id a refused client response records: it answered nothing the gateway relayed to its sender. */
export const NOT_RELAYED = "not-relayed";
/** The rule a task id is sealed with when the gateway did not see the call that created the task (a listing, a status notification). */
export const UNKNOWN_RULE = "?";
/** What an answer of unknown provenance is scrubbed with: every family, and withheld when anything needed redaction. */
const STRICTEST_SCRUB: ScrubPolicy = { families: ["credentials", "personal"], action: "refuse", allow: [] };

/** The stricter of two scrub settings: every family of either, refuse if either refuses, only values both allow. */
export function stricterScrub(a: ScrubPolicy, b: ScrubPolicy): ScrubPolicy {
  return {
    families: [...new Set([...a.families, ...b.families])],
    action: a.action === "refuse" || b.action === "refuse" ? "refuse" : "redact",
    allow: a.allow.filter((value) => b.allow.includes(value)),
  };
}

/** The kinds of input a server may ask a client for (server-to-client requests, or 2026-07-28 input requests). */
const INPUT_KINDS = ["sampling/createMessage", "elicitation/create", "roots/list"];
/** The rule id a refused request records when it carries input answers no sealed question backs. */
export const UNVERIFIED_INPUT = "unverified-input";
/** The rule id a refused task operation records: the task id was not sealed for this caller. */
export const FOREIGN_TASK = "foreign-task";

const KIND_WORDS: Record<TargetKind, string> = { tool: "tool", resource: "resource", prompt: "prompt", serverRequest: "answer to this server request", method: "method" };

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
