// The Decision (src/policy/decision.ts): decideMessage for every kind of governance in the method
// table — lifecycle, listings, methods (and task ids not sealed for the caller), named targets with
// and without argument checks, completions, task-augmented calls, clients' responses to relayed
// requests — the scrub settings an answer inherits from a task's or a resumed stream's rule, the
// limits and server requests a caller is subject to; and withIntegrity's refusals.

import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/policy/build/compile.js";
import { PolicyEngine } from "../../src/policy/decide.js";
import { FOREIGN_TASK, NOT_RELAYED, decideMessage, stricterScrub, withIntegrity, type Decision, type MessageFacts } from "../../src/policy/decision.js";
import { METHODS, OTHER_MESSAGES } from "../../src/mcp/methods.js";
import type { ScrubPolicy } from "../../src/policy/types.js";

const policy = compilePolicy([
  {
    file: "p.yaml",
    content: {
      origins: { o: { url: "https://o.example/mcp" } },
      roles: { viewer: {}, ops: { inherits: ["viewer"] }, tasker: {} },
      rules: [
        { id: "echo", effect: "allow", roles: ["viewer"], origin: "o", tools: ["echo"], arguments: { text: { type: "string", required: true, maxLength: 5 } } },
        { id: "secret-tool", effect: "allow", roles: ["viewer"], origin: "o", tools: ["vault"], scrub: { families: ["credentials"], action: "refuse" } },
        { id: "no-drop", effect: "deny", roles: ["viewer"], origin: "o", tools: ["drop"] },
        { id: "greet", effect: "allow", roles: ["viewer"], origin: "o", prompts: ["greet"], arguments: { who: { type: "string", required: true } } },
        { id: "docs", effect: "allow", roles: ["viewer"], origin: "o", resources: ["docs://*"] },
        { id: "pings", effect: "allow", roles: ["viewer"], origin: "o", methods: ["ping", "tasks/get"] },
        { id: "task-results", effect: "allow", roles: ["tasker"], origin: "o", methods: ["tasks/result"] },
        { id: "task-echo", effect: "allow", roles: ["tasker"], origin: "o", tools: ["echo"], additionalArguments: true },
        { id: "sampling", effect: "allow", roles: ["ops"], origin: "o", serverRequests: ["sampling/createMessage"] },
      ],
      limits: [
        { id: "all", origin: "o", per: "principal", limit: 100, window: "1m", fail: "open" },
        { id: "echo-calls", origin: "o", tools: ["echo"], per: "principal", limit: 10, window: "1m", fail: "open" },
      ],
    },
  },
]);
const engine = new PolicyEngine(policy);
const originPolicy = policy.origins.o!;

function decide(method: string, facts: Partial<MessageFacts> = {}): Decision {
  return decideMessage(engine, { origin: "o", originPolicy, row: METHODS[method] ?? OTHER_MESSAGES.response, method, roles: ["viewer"], inSession: true, caller: { now: Date.now() }, ...facts });
}

describe("decideMessage", () => {
  it("allows the protocol's lifecycle to every caller, with the origin's scrub settings and no rule", () => {
    const decision = decide("initialize", { roles: ["nobody"] });
    expect(decision).toMatchObject({ effect: "allow", scrub: originPolicy.scrub, scrubRule: null });
    expect(decision.rule).toBeUndefined();
    expect(decision.refusal).toBeUndefined();
    expect(decision.visible).toBeUndefined();
    expect([...decision.roles]).toEqual([]);
  });

  it("allows a listing and lets it show only what the caller may use", () => {
    const decision = decide("tools/list");
    expect(decision.effect).toBe("allow");
    expect(decision.visible!("tool", "echo")).toBe(true);
    expect(decision.visible!("tool", "drop")).toBe(false);
    expect(decision.visible!("tool", "other")).toBe(false);
    expect([...decision.roles]).toEqual(["viewer"]);
  });

  it("decides a method by its rule, and words a default deny without the rule's reasoning", () => {
    expect(decide("ping")).toMatchObject({ effect: "allow", rule: "pings", target: { kind: "method", name: "ping" } });
    expect(decide("logging/setLevel")).toMatchObject({
      effect: "deny",
      rule: "default-deny",
      target: { kind: "method", name: "logging/setLevel" },
      refusal: { kind: "denied", reason: "no rule allows this method", detail: "method not permitted" },
    });
  });

  it("refuses a task method whose task id was not sealed for this caller, before any rule", () => {
    expect(decide("tasks/get", { task: null })).toMatchObject({
      effect: "deny",
      rule: FOREIGN_TASK,
      target: { kind: "method", name: "tasks/get" },
      refusal: { kind: "denied", reason: "task id not sealed for this caller in this session", detail: "no such task of yours" },
    });
    expect(decide("tasks/get", { task: { rule: null } })).toMatchObject({ effect: "allow", rule: "pings" });
    // A method that names no task does not need one.
    expect(decide("ping", { task: null })).toMatchObject({ effect: "allow", rule: "pings" });
  });

  it("checks a tool call's arguments (none given counts as empty) and names the target", () => {
    expect(decide("tools/call", { target: { kind: "tool", name: "echo" }, args: { text: "hi" } })).toMatchObject({ effect: "allow", rule: "echo", target: { kind: "tool", name: "echo" } });
    const tooLong = decide("tools/call", { target: { kind: "tool", name: "echo" }, args: { text: "longer" } });
    expect(tooLong).toMatchObject({ effect: "deny", rule: "echo", target: { kind: "tool", name: "echo" }, refusal: { kind: "denied" } });
    expect(tooLong.refusal!.detail).toBe(tooLong.refusal!.reason);
    expect(tooLong.refusal!.reason).toContain('argument "text" is longer than 5 characters');
    expect(decide("tools/call", { target: { kind: "tool", name: "echo" } })).toMatchObject({ effect: "deny", rule: "echo", refusal: { reason: expect.stringContaining("is required") } });
  });

  it("words a refusal by the kind of target, and gives a deny rule's reason as it is", () => {
    expect(decide("tools/call", { target: { kind: "tool", name: "nope" }, args: {} }).refusal).toMatchObject({ detail: "tool not permitted" });
    expect(decide("prompts/get", { target: { kind: "prompt", name: "nope" }, args: {} }).refusal).toMatchObject({ detail: "prompt not permitted" });
    expect(decide("resources/read", { target: { kind: "resource", name: "file:///etc/passwd" } }).refusal).toMatchObject({ detail: "resource not permitted" });
    expect(decide("tools/call", { target: { kind: "tool", name: "drop" }, args: {} })).toMatchObject({
      effect: "deny",
      rule: "no-drop",
      refusal: { kind: "denied", reason: "denied by rule no-drop", detail: "denied by rule no-drop" },
    });
  });

  it("checks a prompt's arguments but not a resource's, and a completion only names what it completes", () => {
    expect(decide("prompts/get", { target: { kind: "prompt", name: "greet" } })).toMatchObject({ effect: "deny", rule: "greet" });
    expect(decide("prompts/get", { target: { kind: "prompt", name: "greet" }, args: { who: "x" } })).toMatchObject({ effect: "allow", rule: "greet" });
    expect(decide("resources/read", { target: { kind: "resource", name: "docs://a" }, args: { stray: 1 } })).toMatchObject({ effect: "allow", rule: "docs" });
    expect(decide("completion/complete", { target: { kind: "prompt", name: "greet" }, args: {} })).toMatchObject({ effect: "allow", rule: "greet", target: { kind: "prompt", name: "greet" } });
  });

  it("takes an allowing rule's scrub settings, and otherwise the origin's", () => {
    const vault = decide("tools/call", { target: { kind: "tool", name: "vault" }, args: {} });
    expect(vault).toMatchObject({ effect: "allow", rule: "secret-tool", scrubRule: "secret-tool", scrub: { families: ["credentials"], action: "refuse" } });
    const echo = decide("tools/call", { target: { kind: "tool", name: "echo" }, args: { text: "a" } });
    expect(echo).toMatchObject({ scrub: originPolicy.scrub, scrubRule: null });
  });

  it("scrubs a task's or a resumed stream's answer as the rule that started it", () => {
    expect(decide("tasks/get", { task: { rule: "secret-tool" } })).toMatchObject({ scrubRule: "secret-tool", scrub: { action: "refuse" } });
    expect(decide("initialize", { resumeRule: "secret-tool" })).toMatchObject({ scrubRule: "secret-tool", scrub: { action: "refuse" } });
    // The task's rule comes before the stream's.
    expect(decide("tasks/get", { task: { rule: "secret-tool" }, resumeRule: "echo" })).toMatchObject({ scrubRule: "secret-tool" });
    // A rule without scrub settings (or one no longer in the policy) leaves the origin's.
    expect(decide("tasks/get", { task: { rule: "echo" } })).toMatchObject({ scrubRule: null, scrub: originPolicy.scrub });
    expect(decide("initialize", { resumeRule: "gone" })).toMatchObject({ scrubRule: null, scrub: originPolicy.scrub });
    expect(decide("tasks/get", { task: { rule: null }, resumeRule: null })).toMatchObject({ scrubRule: null, scrub: originPolicy.scrub });
  });

  it("refuses a call run as a task unless the caller may also fetch its result", () => {
    const args = { text: "hi" };
    expect(decide("tools/call", { target: { kind: "tool", name: "echo" }, args, taskAugmented: true })).toMatchObject({
      effect: "deny",
      rule: "echo",
      target: { kind: "tool", name: "echo" },
      refusal: { kind: "denied", reason: "task-augmented call without a session or a tasks/result grant", detail: "this call may not run as a task" },
    });
    expect(decide("tools/call", { target: { kind: "tool", name: "echo" }, args, taskAugmented: true, roles: ["tasker"] })).toMatchObject({ effect: "allow", rule: "task-echo" });
    expect(decide("tools/call", { target: { kind: "tool", name: "echo" }, args, taskAugmented: false })).toMatchObject({ effect: "allow", rule: "echo" });
    // A refused call stays refused for its own reason.
    expect(decide("tools/call", { target: { kind: "tool", name: "drop" }, args, taskAugmented: true })).toMatchObject({ effect: "deny", rule: "no-drop", refusal: { reason: "denied by rule no-drop" } });
  });

  it("accepts a client's response only to a request the gateway relayed, under a serverRequests grant", () => {
    const stray = decide("response");
    expect(stray).toMatchObject({
      effect: "deny",
      rule: NOT_RELAYED,
      refusal: { kind: "denied", reason: "response to no request the gateway relayed to this caller", detail: "this response answers no request the gateway relayed to you" },
    });
    expect(stray.target).toBeUndefined();
    expect(decide("response", { relayed: { method: "sampling/createMessage" }, roles: ["ops"] })).toMatchObject({
      effect: "allow",
      rule: "sampling",
      target: { kind: "serverRequest", name: "sampling/createMessage" },
    });
    expect(decide("response", { relayed: { method: "sampling/createMessage" } }).refusal).toMatchObject({ detail: "answer to this server request not permitted" });
  });

  it("lets the origin ask a caller only what it may grant, and a ping always", () => {
    const viewer = decide("initialize");
    expect(viewer.allowsServerRequest("ping")).toBe(true);
    expect(viewer.allowsServerRequest("sampling/createMessage")).toBe(false);
    const ops = decide("initialize", { roles: ["ops"] });
    expect(ops.allowsServerRequest("sampling/createMessage")).toBe(true);
    expect(ops.allowsServerRequest("elicitation/create")).toBe(false);
  });

  it("counts a message against its origin's limits, and a tool call against its tool's", () => {
    expect(decide("tools/call", { target: { kind: "tool", name: "echo" }, args: { text: "a" } }).limits.map((limit) => limit.id)).toEqual(["all", "echo-calls"]);
    expect(decide("prompts/get", { method: "prompts/get", target: { kind: "prompt", name: "echo" }, args: {} }).limits.map((limit) => limit.id)).toEqual(["all"]);
    // Refused messages count too.
    expect(decide("tools/call", { target: { kind: "tool", name: "drop" }, args: {} }).limits.map((limit) => limit.id)).toEqual(["all"]);
  });
});

describe("withIntegrity", () => {
  const allowed = decide("tools/call", { target: { kind: "tool", name: "echo" }, args: { text: "a" } });

  it("leaves a decision without a flag as it is", () => {
    expect(withIntegrity(allowed, undefined)).toBe(allowed);
  });

  it.each([
    ["drift", "the tool's definition changed since it was reviewed"],
    ["unpinned", "the tool has no reviewed pin"],
    ["poisoned", "the tool's metadata failed the poisoning check"],
  ] as const)("refuses a tool caught as %s", (reason, detail) => {
    const flag = { tool: "echo", reason, seen: "abc", action: "blocked" } as const;
    const refused = withIntegrity(allowed, flag);
    expect(refused).toMatchObject({ effect: "deny", rule: "echo", integrity: flag, refusal: { kind: "toolRefused", reason: `tool echo: ${reason}`, detail } });
    expect(refused.limits).toBe(allowed.limits);
    expect(allowed.effect).toBe("allow");
  });
});

describe("the limits a message counts against", () => {
  const limited = new PolicyEngine(
    compilePolicy([
      {
        file: "limits.yaml",
        content: {
          origins: { o: { url: "https://o.example/mcp" }, p: { url: "https://p.example/mcp" } },
          roles: { viewer: {}, ops: {}, admin: {} },
          rules: [{ id: "all", effect: "allow", roles: ["viewer"], origin: "o", tools: ["*"] }],
          limits: [
            { id: "o-all", origin: "o", per: "principal", limit: 100, window: "1m", fail: "open" },
            { id: "p-all", origin: "p", per: "principal", limit: 100, window: "1m", fail: "open" },
            { id: "staff", origin: "o", roles: ["ops", "admin"], per: "principal", limit: 10, window: "1m", fail: "open" },
            { id: "any-tool", origin: "o", tools: ["*"], per: "principal", limit: 10, window: "1m", fail: "open" },
            { id: "two-tools", origin: "o", tools: ["echo", "other"], per: "principal", limit: 10, window: "1m", fail: "open" },
            { id: "prefixed", origin: "o", tools: ["ec*"], per: "principal", limit: 10, window: "1m", fail: "open" },
          ],
        },
      },
    ]),
  );
  const ids = (roles: string[], method: string, tool: string | undefined) => limited.limitsFor("o", limited.expandRoles(roles), method, tool).map((limit) => limit.id);

  it("takes only its origin's limits, those for any of the caller's roles, and tool limits only for a named tool call", () => {
    expect(ids(["viewer"], "tools/list", undefined)).toEqual(["o-all"]);
    expect(ids(["ops"], "tools/list", undefined)).toEqual(["o-all", "staff"]);
    expect(ids(["viewer"], "tools/call", "echo")).toEqual(["o-all", "any-tool", "two-tools", "prefixed"]);
    expect(ids(["viewer"], "tools/call", "third")).toEqual(["o-all", "any-tool"]);
    expect(ids(["viewer"], "tools/call", "ech")).toEqual(["o-all", "any-tool", "prefixed"]);
    expect(ids(["viewer"], "tools/call", "echoes")).toEqual(["o-all", "any-tool", "prefixed"]);
    expect(ids(["viewer"], "tools/call", "e")).toEqual(["o-all", "any-tool"]);
    expect(ids(["viewer"], "tools/call", undefined)).toEqual(["o-all"]);
    expect(ids(["viewer"], "prompts/get", "echo")).toEqual(["o-all"]);
    expect(limited.limitsFor("p", limited.expandRoles(["ops"]), "tools/list", undefined).map((limit) => limit.id)).toEqual(["p-all"]);
  });
});

describe("decideMessage: subscriptions/listen", () => {
  const listening = compilePolicy([
    {
      file: "listen.yaml",
      content: {
        origins: { o: { url: "https://o.example/mcp" } },
        roles: { viewer: {}, reader: {} },
        rules: [
          { id: "listen", effect: "allow", roles: ["viewer", "reader"], origin: "o", methods: ["subscriptions/listen"] },
          { id: "docs", effect: "allow", roles: ["reader"], origin: "o", resources: ["docs://*"] },
          { id: "no-secrets", effect: "deny", roles: ["reader"], origin: "o", resources: ["docs://secret/*"] },
        ],
      },
    },
  ]);
  const listen = (roles: string[], subscribedResources?: string[]) =>
    decideMessage(new PolicyEngine(listening), { origin: "o", originPolicy: listening.origins.o!, row: METHODS["subscriptions/listen"]!, method: "subscriptions/listen", roles, stateless: true, caller: { now: Date.now() }, ...(subscribedResources ? { subscribedResources } : {}) } as MessageFacts);

  it("needs a methods rule for the listen itself, and a resource rule for every URI it subscribes to", () => {
    expect(listen(["viewer"])).toMatchObject({ effect: "allow", rule: "listen" });
    expect(listen(["nobody"]).effect).toBe("deny");
    expect(listen(["viewer"], ["docs://a"]).effect).toBe("deny");
    expect(listen(["reader"], ["docs://a", "docs://b"])).toMatchObject({ effect: "allow", rule: "listen" });
    const refused = listen(["reader"], ["docs://a", "docs://secret/keys"]);
    expect(refused).toMatchObject({ effect: "deny", rule: "no-secrets" });
  });
});

describe("decideMessage: input answers, tasks without a session, inherited scrub settings", () => {
  const inputs = compilePolicy([
    {
      file: "inputs.yaml",
      content: {
        origins: { o: { url: "https://o.example/mcp" } },
        roles: { some: {}, every: {} },
        rules: [
          { id: "echo", effect: "allow", roles: ["some", "every"], origin: "o", tools: ["echo"], additionalArguments: true },
          { id: "sampling", effect: "allow", roles: ["some", "every"], origin: "o", serverRequests: ["sampling/createMessage"] },
          { id: "the-rest", effect: "allow", roles: ["every"], origin: "o", serverRequests: ["elicitation/create", "roots/list"] },
        ],
      },
    },
  ]);
  const call = (roles: string[]) =>
    decideMessage(new PolicyEngine(inputs), { origin: "o", originPolicy: inputs.origins.o!, row: METHODS["tools/call"]!, method: "tools/call", roles, stateless: true, caller: { now: Date.now() }, target: { kind: "tool", name: "echo" }, args: {}, unverifiedInput: true } as MessageFacts);

  it("takes answers no sealed question backs only from a caller that may be asked every kind of input", () => {
    expect(call(["some"])).toMatchObject({ effect: "deny", rule: "unverified-input" });
    expect(call(["every"]).effect).toBe("allow");
  });

  it("needs a session for task operations only, not for other methods", () => {
    expect(decide("ping", { inSession: false }).effect).toBe("allow");
    expect(decide("tasks/get", { inSession: false, task: { rule: "pings" } })).toMatchObject({ effect: "deny", rule: FOREIGN_TASK, target: { kind: "method", name: "tasks/get" } });
  });

  it("answers a task with its rule's own scrub settings, and a resumed stream with the stricter of the rule's and the origin's", () => {
    const vault = policy.rules.find((rule) => rule.id === "secret-tool")!.scrub!;
    const roles = ["tasker", "viewer"];
    expect(decide("tasks/result", { roles, task: { rule: "secret-tool" } }).scrub).toEqual(vault);
    expect(decide("tasks/result", { roles, task: { rule: "secret-tool" } }).scrub).not.toEqual(stricterScrub(vault, originPolicy.scrub));
    expect(decide("notifications/initialized", { resumeRule: "secret-tool" }).scrub).toEqual(stricterScrub(vault, originPolicy.scrub));
  });

  it("takes the stricter of two scrub settings: every family, refuse only if either refuses, values both allow", () => {
    const redact: ScrubPolicy = { families: ["credentials"], action: "redact", allow: ["a", "b"] };
    const other: ScrubPolicy = { families: ["personal"], action: "redact", allow: ["b"] };
    expect(stricterScrub(redact, other)).toEqual({ families: ["credentials", "personal"], action: "redact", allow: ["b"] });
    expect(stricterScrub(redact, { ...other, action: "refuse" }).action).toBe("refuse");
  });
});
