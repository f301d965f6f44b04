// The policy engine against an independent oracle: random policies (roles with inheritance, allow and
// deny rules with exact, prefix and `*` patterns, argument rules) and random calls, compiled by the real
// compiler and decided by the real engine, must get the decision the oracle below derives straight from
// the written semantics — with no index, no precedence shortcuts and no compiled form. Fixed seed.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/mcp/json.js";
import { compilePolicy } from "../../src/policy/build/compile.js";
import { PolicyEngine } from "../../src/policy/decide.js";

const ROLES = ["r0", "r1", "r2"];
const NAMES = ["a", "ab", "abc", "b", "ba", "A", "a b", "é"];
const PATTERNS = [...NAMES, "a*", "ab*", "b*", "*", "é*"];
const ARGUMENTS = ["n", "s", "flag"];

type ArgRule = { type: string; required?: boolean; min?: number; max?: number; maxLength?: number; enum?: (string | number)[] };
type Rule = { id: string; effect: "allow" | "deny"; roles: string[]; origin: string; tools: string[]; arguments?: Record<string, ArgRule>; additionalArguments?: boolean };
type Policy = { roles: Record<string, { inherits: string[] }>; rules: Rule[] };

const subset = <T>(items: T[], min = 0) => fc.subarray(items, { minLength: min });
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const small = fc.integer({ min: -5, max: 5 });

const argRule: Record<string, fc.Arbitrary<ArgRule>> = {
  n: fc.record({ type: fc.constantFrom("integer", "number"), required: maybe(fc.boolean()), min: maybe(small), max: maybe(small) }, { requiredKeys: ["type"] }),
  s: fc.record({ type: fc.constant("string"), required: maybe(fc.boolean()), maxLength: maybe(fc.integer({ min: 0, max: 3 })), enum: maybe(fc.uniqueArray(fc.constantFrom("x", "xy", "😀", "z"), { minLength: 1 })) }, { requiredKeys: ["type"] }),
  flag: fc.record({ type: fc.constant("boolean"), required: maybe(fc.boolean()) }, { requiredKeys: ["type"] }),
};

const strip = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;

const rule = (index: number): fc.Arbitrary<Rule> =>
  fc.record({ effect: fc.constantFrom<"allow" | "deny">("allow", "deny"), roles: subset(ROLES, 1), tools: subset(PATTERNS, 1), args: subset(ARGUMENTS), additional: fc.boolean() }).chain(({ effect, roles, tools, args, additional }) =>
    fc.tuple(...args.map((name) => argRule[name]!)).map((rules) => {
      const base: Rule = { id: `rule${index}`, effect, roles, origin: "o", tools };
      if (effect === "deny") return base;
      const min = (rule: ArgRule) => (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max ? { ...rule, min: rule.max } : rule);
      return { ...base, arguments: Object.fromEntries(args.map((name, i) => [name, strip(min(rules[i]!))])), additionalArguments: additional };
    }),
  );

const policyArbitrary: fc.Arbitrary<Policy> = fc
  .tuple(
    fc.tuple(...ROLES.map((_, index) => subset(ROLES.slice(0, index)))),
    fc.integer({ min: 1, max: 8 }).chain((count) => fc.tuple(...Array.from({ length: count }, (_, index) => rule(index)))),
  )
  .map(([inherits, rules]) => ({ roles: Object.fromEntries(ROLES.map((role, index) => [role, { inherits: inherits[index]! }])), rules }));

const value = fc.oneof(
  { arbitrary: small, weight: 4 },
  { arbitrary: fc.double({ min: -6, max: 6, noNaN: true }), weight: 1 },
  { arbitrary: fc.constantFrom("x", "xy", "xyz1", "😀", "😀😀😀", "", "z"), weight: 3 },
  { arbitrary: fc.boolean(), weight: 2 },
  { arbitrary: fc.constant(null), weight: 1 },
);
const callArbitrary = fc.record({
  roles: fc.oneof({ arbitrary: subset(ROLES, 1), weight: 4 }, { arbitrary: subset([...ROLES, "ghost"]), weight: 1 }),
  tool: fc.constantFrom(...NAMES, "zzz", "ab*", ""),
  args: fc.oneof({ arbitrary: fc.dictionary(fc.constantFrom(...ARGUMENTS), value, { maxKeys: 3 }), weight: 4 }, { arbitrary: fc.dictionary(fc.constantFrom(...ARGUMENTS, "extra"), value, { maxKeys: 4 }), weight: 1 }),
});

// ---- the oracle: the policy semantics as the README states them ----

function rolesOf(policy: Policy, callerRoles: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (role: string) => {
    if (seen.has(role) || !policy.roles[role]) return;
    seen.add(role);
    policy.roles[role]!.inherits.forEach(visit);
  };
  callerRoles.forEach(visit);
  return seen;
}

function nameMatches(pattern: string, name: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return name.slice(0, pattern.length - 1) === pattern.slice(0, -1);
  return pattern === name;
}

function valueAccepted(rule: ArgRule, value: unknown): boolean {
  const ok =
    (rule.type === "string" && typeof value === "string") ||
    (rule.type === "number" && typeof value === "number") ||
    (rule.type === "integer" && typeof value === "number" && Math.floor(value) === value) ||
    (rule.type === "boolean" && typeof value === "boolean");
  if (!ok) return false;
  if (typeof value === "string" && rule.maxLength !== undefined && Array.from(value).length > rule.maxLength) return false;
  if (typeof value === "number" && ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max))) return false;
  if (rule.enum && !rule.enum.some((allowed) => allowed === value)) return false;
  return true;
}

function argumentsAccepted(rule: Rule, args: Record<string, unknown>): boolean {
  const declared = rule.arguments ?? {};
  for (const name of Object.keys(declared)) if (declared[name]!.required && !(name in args)) return false;
  for (const name of Object.keys(args)) {
    if (!(name in declared)) {
      if (!rule.additionalArguments) return false;
    } else if (!valueAccepted(declared[name]!, args[name])) return false;
  }
  return true;
}

function oracle(policy: Policy, callerRoles: string[], tool: string, args: Record<string, unknown>) {
  const roles = rolesOf(policy, callerRoles);
  const applying = policy.rules.filter((rule) => rule.roles.some((role) => roles.has(role)) && rule.tools.some((pattern) => nameMatches(pattern, tool)));
  const denies = applying.filter((rule) => rule.effect === "deny").map((rule) => rule.id);
  const accepting = applying.filter((rule) => rule.effect === "allow" && argumentsAccepted(rule, args)).map((rule) => rule.id);
  return {
    effect: denies.length === 0 && accepting.length > 0 ? "allow" : "deny",
    denies,
    accepting,
    visible: applying.length > 0 && denies.length === 0,
  };
}

describe("policy engine vs oracle", () => {
  it("decides every random call on every random policy as the oracle does", () => {
    const tally = { allow: 0, deny: 0 };
    fc.assert(
      fc.property(policyArbitrary, fc.array(callArbitrary, { minLength: 1, maxLength: 10 }), (written, calls) => {
        const compiled = compilePolicy([{ file: "fuzz.yaml", content: { origins: { o: { url: "https://o.example/mcp" } }, ...written } }]);
        const engine = new PolicyEngine(compiled);
        for (const call of calls) {
          const expected = oracle(written, call.roles, call.tool, call.args);
          const roles = engine.expandRoles(call.roles);
          const decision = engine.decide("o", "tool", call.tool, roles, call.args as JsonObject);
          expect(decision.effect).toBe(expected.effect);
          tally[decision.effect]++;
          if (decision.effect === "allow") expect(expected.accepting).toContain(decision.rule);
          else if (expected.denies.length) expect(expected.denies).toContain(decision.rule);
          expect(engine.isVisible("o", "tool", call.tool, roles)).toBe(expected.visible);
          // Another origin, another kind: nothing was written for them.
          expect(engine.decide("p", "tool", call.tool, roles, call.args as JsonObject).effect).toBe("deny");
          expect(engine.decide("o", "prompt", call.tool, roles, {}).effect).toBe("deny");
        }
      }),
      { seed: 20261126, numRuns: 600 },
    );
    // The generators must exercise both outcomes in earnest, or the comparison proves little.
    expect(tally.allow).toBeGreaterThan(150);
    expect(tally.deny).toBeGreaterThan(500);
  });
});
