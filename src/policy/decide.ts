// Run-time rule matching over the compiled policy. Rules are indexed once per isolate by origin and kind,
// then by exact name, by prefix and by wildcard, so a decision costs a few map look-ups whatever the
// size of the policy. Precedence: a matching deny wins; otherwise the first matching allow (exact
// name, then longer prefix, then `*`) whose conditions hold and whose argument rules pass; otherwise
// the default deny. A rule's conditions (conditions.ts) decide whether it matches at all: a deny rule
// whose conditions do not hold does not deny, an allow rule whose conditions do not hold does not allow.

import type { JsonObject } from "../mcp/json.js";
import { argumentsProblem } from "./arguments.js";
import { denyApplies, prepareConditions, unmetCondition, type CallerFacts, type ConditionName, type PreparedConditions } from "./conditions.js";
import type { CompiledAnomalyWatch, CompiledLimit, CompiledPolicy, CompiledRule, ScrubPolicy, TargetKind } from "./types.js";

/** What the rules say about one named target: the matched allow (with its scrub override) or a deny. */
export type RuleVerdict =
  | { effect: "allow"; rule: string; scrub?: ScrubPolicy }
  | { effect: "deny"; rule: string; reason: string; condition?: ConditionName };

/** Facts of a caller nothing is known about: every condition on a missing fact fails closed. */
export const NO_FACTS: CallerFacts = { now: Number.NaN };

export const DEFAULT_DENY = "default-deny";

/** The policy's name patterns: an exact name, `*`, or a prefix ending in `*`. */
export function matchesNamePattern(pattern: string, name: string): boolean {
  return pattern === "*" || pattern === name || (pattern.endsWith("*") && name.startsWith(pattern.slice(0, -1)));
}

type KindIndex = {
  exact: Map<string, CompiledRule[]>;
  prefixes: Map<string, CompiledRule[]>;
  /** Distinct prefix lengths, longest first. */
  prefixLengths: number[];
  any: CompiledRule[];
};

function push<K>(map: Map<K, CompiledRule[]>, key: K, rule: CompiledRule): void {
  const list = map.get(key);
  if (list) list.push(rule);
  else map.set(key, [rule]);
}

export class PolicyEngine {
  private readonly index = new Map<string, KindIndex>();
  private readonly conditions = new Map<CompiledRule, PreparedConditions>();

  constructor(readonly policy: CompiledPolicy) {
    for (const rule of policy.rules) {
      if (rule.conditions) this.conditions.set(rule, prepareConditions(rule.conditions));
      const key = `${rule.origin}\n${rule.kind}`;
      let kindIndex = this.index.get(key);
      if (!kindIndex) {
        kindIndex = { exact: new Map(), prefixes: new Map(), prefixLengths: [], any: [] };
        this.index.set(key, kindIndex);
      }
      for (const pattern of rule.patterns) {
        if (pattern === "*") kindIndex.any.push(rule);
        else if (pattern.endsWith("*")) push(kindIndex.prefixes, pattern.slice(0, -1), rule);
        else push(kindIndex.exact, pattern, rule);
      }
    }
    for (const kindIndex of this.index.values()) {
      kindIndex.prefixLengths = [...new Set([...kindIndex.prefixes.keys()].map((prefix) => prefix.length))].sort((a, b) => b - a);
    }
  }

  /** The caller's roles with everything they inherit; roles the policy does not know grant nothing. */
  expandRoles(roles: readonly string[]): Set<string> {
    const expanded = new Set<string>();
    for (const role of roles) for (const inherited of this.policy.roles[role] ?? []) expanded.add(inherited);
    return expanded;
  }

  /** Rules naming this target that apply to the caller, most specific first. */
  private candidates(origin: string, kind: TargetKind, name: string, roles: Set<string>): CompiledRule[] {
    const kindIndex = this.index.get(`${origin}\n${kind}`);
    if (!kindIndex) return [];
    const found: CompiledRule[] = [];
    const add = (rules: CompiledRule[] | undefined) => {
      if (rules) for (const rule of rules) if (rule.roles.some((role) => roles.has(role)) && !found.includes(rule)) found.push(rule);
    };
    add(kindIndex.exact.get(name));
    for (const length of kindIndex.prefixLengths) if (length <= name.length) add(kindIndex.prefixes.get(name.slice(0, length)));
    add(kindIndex.any);
    return found;
  }

  /** Whether a deny rule applies to this caller: it has no conditions, or they hold (a missing fact counting as holding). */
  private denies(rule: CompiledRule, facts: CallerFacts): boolean {
    const conditions = this.conditions.get(rule);
    return !conditions || denyApplies(conditions, facts);
  }

  /** The condition of an allow rule that does not hold for this caller, if any. */
  private unmet(rule: CompiledRule, facts: CallerFacts): ConditionName | undefined {
    const conditions = this.conditions.get(rule);
    return conditions && unmetCondition(conditions, facts);
  }

  /**
   * The decision for one call. `args` is checked only for tools and prompts; `trace`, when given,
   * receives one line per rule considered (for `mcp-warden policy explain`); `facts` are what rule
   * conditions are decided on (none known: conditions fail closed).
   */
  decide(origin: string, kind: TargetKind, name: string, roles: Set<string>, args?: JsonObject, trace?: string[], facts: CallerFacts = NO_FACTS): RuleVerdict {
    const candidates = this.candidates(origin, kind, name, roles);
    for (const rule of candidates) {
      if (rule.effect !== "deny") continue;
      if (!this.denies(rule, facts)) {
        trace?.push(`${rule.id} (${rule.source}): deny does not apply: its conditions do not hold`);
        continue;
      }
      trace?.push(`${rule.id} (${rule.source}): deny matches${rule.conditions ? " (its conditions hold or lack a fact)" : ""}`);
      return { effect: "deny", rule: rule.id, reason: `denied by rule ${rule.id}` };
    }
    let firstProblem: RuleVerdict | undefined;
    for (const rule of candidates) {
      if (rule.effect === "deny") continue;
      const condition = this.unmet(rule, facts);
      if (condition) {
        trace?.push(`${rule.id} (${rule.source}): allow does not apply: condition ${condition} not met`);
        firstProblem ??= { effect: "deny", rule: rule.id, reason: `condition ${condition} not met (rule ${rule.id})`, condition };
        continue;
      }
      const problem = args === undefined ? undefined : argumentsProblem(args, rule);
      trace?.push(`${rule.id} (${rule.source}): allow ${problem ? `rejected: ${problem}` : "matches"}`);
      if (!problem) return rule.scrub ? { effect: "allow", rule: rule.id, scrub: rule.scrub } : { effect: "allow", rule: rule.id };
      firstProblem ??= { effect: "deny", rule: rule.id, reason: `${problem} (rule ${rule.id})` };
    }
    if (firstProblem) return firstProblem;
    trace?.push(`${DEFAULT_DENY}: no rule allows ${kind} ${JSON.stringify(name)} for these roles`);
    return { effect: "deny", rule: DEFAULT_DENY, reason: `no rule allows this ${kind}` };
  }

  /** The condition of the allow rule `id` that does not hold for this caller, for an answer that rule governs though it comes later. */
  unmetConditionOfRule(id: string, facts: CallerFacts): ConditionName | undefined {
    const rule = this.policy.rules.find((candidate) => candidate.id === id && candidate.effect === "allow");
    return rule && this.unmet(rule, facts);
  }

  /** The scrub settings a rule sets, for an answer that rule governs though it comes later (a task's result, a resumed stream). */
  scrubOfRule(id: string): ScrubPolicy | undefined {
    return this.policy.rules.find((rule) => rule.id === id && rule.scrub)?.scrub;
  }

  /** The limits that apply to one message of this caller: its origin's, for its roles, and for the tool it calls. */
  limitsFor(origin: string, roles: ReadonlySet<string>, method: string, tool: string | undefined): CompiledLimit[] {
    return this.policy.limits.filter(
      (limit) =>
        limit.origin === origin &&
        (!limit.roles || limit.roles.some((role) => roles.has(role))) &&
        (!limit.tools || (method === "tools/call" && tool !== undefined && limit.tools.some((pattern) => matchesNamePattern(pattern, tool)))),
    );
  }

  /** Whether a listing may show this item to the caller: some allow applies and no deny does (conditions included). */
  isVisible(origin: string, kind: TargetKind, name: string, roles: Set<string>, facts: CallerFacts = NO_FACTS): boolean {
    const candidates = this.candidates(origin, kind, name, roles);
    return (
      candidates.some((rule) => rule.effect === "allow" && this.unmet(rule, facts) === undefined) &&
      !candidates.some((rule) => rule.effect === "deny" && this.denies(rule, facts))
    );
  }

  /** The anomaly watch of a tool call: the first of its origin that names the tool. */
  watchFor(origin: string, tool: string): CompiledAnomalyWatch | undefined {
    return this.policy.anomalies.find((watch) => watch.origin === origin && (!watch.tools || watch.tools.some((pattern) => matchesNamePattern(pattern, tool))));
  }
}
