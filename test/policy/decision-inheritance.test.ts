// The Decision (src/policy/decision.ts) where several things meet: the rules, a
// task's or resumed stream's rule, sessions and sealed answers combine, and how scrub settings never
// get weaker than what started the work.

import { describe, expect, it } from "vitest";
import { METHODS, OTHER_MESSAGES } from "../../src/mcp/methods.js";
import { PolicyEngine } from "../../src/policy/decide.js";
import { UNKNOWN_RULE, decideMessage, stricterScrub, type MessageFacts } from "../../src/policy/decision.js";
import { compilePolicy } from "../../src/policy/build/compile.js";

const engine = new PolicyEngine(
  compilePolicy([
    {
      file: "p.yaml",
      content: {
        origins: { o: { url: "https://o.example/mcp", scrub: { families: ["credentials"] } } },
        roles: { viewer: {}, admin: { inherits: ["viewer"] } },
        rules: [
          { id: "strict-export", effect: "allow", roles: ["viewer"], origin: "o", tools: ["export"], additionalArguments: true, scrub: { action: "refuse" } },
          { id: "loose-read", effect: "allow", roles: ["viewer"], origin: "o", tools: ["read"], additionalArguments: true, scrub: { families: [], allow: ["k"] } },
          { id: "tasks", effect: "allow", roles: ["viewer"], origin: "o", methods: ["tasks/*"], scrub: { families: ["credentials"], allow: ["k"] } },
          { id: "office-export", effect: "allow", roles: ["viewer"], origin: "o", tools: ["payroll"], additionalArguments: true, conditions: { addresses: ["10.0.0.0/8"], time: { hours: "09:00-17:00" } } },
          { id: "admin-asks", effect: "allow", roles: ["admin"], origin: "o", serverRequests: ["sampling/createMessage", "elicitation/create", "roots/list"] },
        ],
      },
    },
  ]),
);
const originPolicy = engine.policy.origins.o!;
const facts = (method: string, extra: Partial<MessageFacts> = {}): MessageFacts => ({
  origin: "o",
  originPolicy,
  row: METHODS[method] ?? OTHER_MESSAGES[method as keyof typeof OTHER_MESSAGES],
  method,
  roles: ["viewer"],
  inSession: true,
  caller: { now: Date.now() },
  ...extra,
});

describe("scrub settings follow what started the work, never weaker", () => {
  it("combines two settings into the stricter", () => {
    expect(stricterScrub({ families: ["credentials"], action: "redact", allow: ["a", "b"] }, { families: ["personal"], action: "refuse", allow: ["b"] })).toEqual({
      families: ["credentials", "personal"],
      action: "refuse",
      allow: ["b"],
    });
  });

  it("scrubs a task's result under the rule that created it, and a task of unknown provenance under the strictest settings", () => {
    expect(decideMessage(engine, facts("tasks/result", { task: { rule: "strict-export" } })).scrub.action).toBe("refuse");
    const unknown = decideMessage(engine, facts("tasks/result", { task: { rule: UNKNOWN_RULE } }));
    expect(unknown.scrub).toMatchObject({ families: ["credentials", "personal"], action: "refuse" });
    expect(unknown.scrubRule).toBe(UNKNOWN_RULE);
  });

  it("never lets the tasks rule's own scrub weaken the task's", () => {
    const decision = decideMessage(engine, facts("tasks/result", { task: { rule: "strict-export" } }));
    expect(decision).toMatchObject({ effect: "allow", rule: "tasks", scrub: { action: "refuse", allow: [] } });
  });

  it("keeps a resumed stream at least as strict as the origin's default", () => {
    const resumed = decideMessage(engine, facts("GET stream", { resumeRule: "loose-read" }));
    expect(resumed.scrub.families).toEqual(["credentials"]);
    expect(resumed.scrub.allow).toEqual([]);
  });
});

describe("a task's result and a resumed stream meet the conditions of the call that started them", () => {
  const outside = { address: "198.51.100.7", now: Date.UTC(2026, 11, 8, 23, 0) };
  const inside = { address: "10.1.2.3", now: Date.UTC(2026, 11, 8, 10, 0) };
  it("refuses the call itself outside the office and its hours", () => {
    expect(decideMessage(engine, facts("tools/call", { target: { kind: "tool", name: "payroll" }, args: {}, caller: outside })).effect).toBe("deny");
  });
  it.each([
    ["a resumed stream", "GET stream", { resumeRule: "office-export" }],
    ["a task's result", "tasks/result", { task: { rule: "office-export" } }],
    ["a task's status", "tasks/get", { task: { rule: "office-export" } }],
  ] as const)("refuses %s from outside, allows it from inside", (_, method, extra) => {
    expect(decideMessage(engine, facts(method, { ...extra, caller: outside }))).toMatchObject({ effect: "deny", rule: "office-export", condition: "address" });
    expect(decideMessage(engine, facts(method, { ...extra, caller: { ...outside, address: inside.address } }))).toMatchObject({ effect: "deny", condition: "time" });
    expect(decideMessage(engine, facts(method, { ...extra, caller: inside })).effect).toBe("allow");
  });
});

describe("tasks, relayed answers and input", () => {
  it("refuses task operations and task-augmented calls outside a session", () => {
    expect(decideMessage(engine, facts("tasks/get", { task: { rule: null }, inSession: false }))).toMatchObject({ effect: "deny", rule: "foreign-task" });
    expect(decideMessage(engine, facts("tasks/list", { inSession: false }))).toMatchObject({ effect: "deny" });
    expect(decideMessage(engine, facts("tools/call", { target: { kind: "tool", name: "export" }, args: {}, taskAugmented: true, inSession: false })).effect).toBe("deny");
    expect(decideMessage(engine, facts("tools/call", { target: { kind: "tool", name: "export" }, args: {}, taskAugmented: true })).effect).toBe("allow");
  });

  it("allows the answer to a relayed ping to every caller, other answers only where the request is granted", () => {
    expect(decideMessage(engine, facts("response", { relayed: { method: "ping" } })).effect).toBe("allow");
    expect(decideMessage(engine, facts("response", { relayed: { method: "sampling/createMessage" } })).effect).toBe("deny");
    expect(decideMessage(engine, facts("response", { relayed: { method: "sampling/createMessage" }, roles: ["admin"] })).effect).toBe("allow");
    expect(decideMessage(engine, facts("response")).rule).toBe("not-relayed");
  });

  it("refuses input answers no sealed state backs, unless the caller may be asked every kind of input", () => {
    expect(decideMessage(engine, facts("tools/call", { target: { kind: "tool", name: "export" }, args: {}, unverifiedInput: true })).rule).toBe("unverified-input");
    expect(decideMessage(engine, facts("tools/call", { target: { kind: "tool", name: "export" }, args: {}, unverifiedInput: true, roles: ["admin"] })).effect).toBe("allow");
  });
});
