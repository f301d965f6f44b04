// The running gateway under random and mutated messages (fast-check, fixed seed, bounded runs): every
// answer is a well-formed JSON-RPC answer with a status that fits, never a 500, a stack trace, a
// secret or the origin's address; whatever reached the origin is a message the gateway could parse
// itself, re-serialized, never the client's bytes; and under random sequences of every message kind
// (requests, notifications, client responses, GET streams, DELETE, nested arguments) from callers of
// different roles, nothing reaches the origin without an allowing policy decision and a limit check.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJson } from "../../src/mcp/json.js";
import { TEST_SECRETS } from "../support/gateway.js";
import { gatewayAndRecorder } from "../support/e2e.js";
import { post } from "../support/mcp-client.js";

const setup = gatewayAndRecorder();

const SEEDS = [
  { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { message: "hello" } } },
  { jsonrpc: "2.0", id: "a", method: "tools/list", params: { cursor: "c1" } },
  { jsonrpc: "2.0", id: 2, method: "resources/read", params: { uri: "file:///tmp/x" } },
  { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1, reason: "r" } },
  { jsonrpc: "2.0", id: 3, result: { content: [] } },
  { jsonrpc: "2.0", id: 4, method: "ping" },
].map((seed) => JSON.stringify(seed));

/** Text edits: cut, insert, replace a span, with characters that matter to JSON and to names. */
const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(
      fc.tuple(fc.nat(), fc.nat(8), fc.oneof(fc.constantFrom('"', "{", "}", "[", "]", ",", ":", "\\", "\\u0000", "\u200b", "é", "1e999", "null", "__proto__", '"id":', " "), fc.string({ maxLength: 6 }))),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([seed, edits]) => edits.reduce((text, [at, cut, insert]) => {
    const position = at % (text.length + 1);
    return text.slice(0, position) + insert + text.slice(position + cut);
  }, seed));
/** Well-formed JSON of any shape, including plausible JSON-RPC members with wrong types. */
const shaped = fc
  .record(
    {
      jsonrpc: fc.oneof(fc.constant("2.0"), fc.jsonValue()),
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.jsonValue()),
      method: fc.oneof(fc.constantFrom("tools/call", "tools/list", "initialize", "Tools/List", "tools/list ", "sampling/createMessage", "notifications/initialized"), fc.string({ maxLength: 12 })),
      params: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ name: fc.oneof(fc.constantFrom("echo", "ECHO", "echo\u200b", "leak"), fc.string()), arguments: fc.jsonValue({ maxDepth: 2 }) })),
      result: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((value) => JSON.stringify(value));

const STATUSES = new Set([200, 202, 400, 403, 404, 405, 406, 413, 415, 429, 502, 504]);

describe("the gateway under fuzzed messages", () => {
  it("answers every message with a fitting status and a clean JSON-RPC body, and forwards only what it parsed", async () => {
    const initialize = JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "fuzz", version: "1" } } });
    // A fresh principal and session every few messages: denied calls count towards the abuse
    // cooldown, which would otherwise answer 429 to everything after the first twenty.
    let admin = "";
    let sessionId = "";
    let runs = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, shaped), async (body) => {
        if (runs++ % 12 === 0) {
          admin = await setup.gateway.mint(["admin", "viewer"]);
          const opened = await post(`${setup.gateway.url}/mcp/recorder`, initialize, { authorization: `Bearer ${admin}` });
          await opened.text();
          sessionId = opened.headers.get("mcp-session-id")!;
        }
        const before = setup.recorder.requests.length;
        const response = await post(`${setup.gateway.url}/mcp/recorder`, body, { authorization: `Bearer ${admin}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" });
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(STATUSES.has(response.status)).toBe(true);
        if (response.status !== 202) {
          const answers = text.startsWith("{") ? [JSON.parse(text)] : text.split("\n").filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6)));
          expect(answers.length).toBeGreaterThan(0);
          for (const answer of answers) expect(answer.jsonrpc).toBe("2.0");
        }
        expect(text).not.toMatch(/\bat \S+:\d+|127\.0\.0\.1|TypeError|ReferenceError/);
        for (const secret of [admin, TEST_SECRETS.RECORDER_TOKEN, TEST_SECRETS.TOKEN_PEPPER, TEST_SECRETS.SESSION_SECRET]) expect(text).not.toContain(secret);
        for (const forwarded of setup.recorder.requests.slice(before)) {
          expect(JSON.stringify(parseJson(forwarded.body, 64))).toBe(forwarded.body);
          if (forwarded.body !== body) expect(forwarded.body).toBe(JSON.stringify(JSON.parse(body)));
        }
      }),
      { seed: 20261126, numRuns: 300 },
    );
    // The generators reach refusals and successes alike.
    expect(statuses.get(400)).toBeGreaterThan(50);
    expect([...statuses.keys()].some((status) => status === 200 || status === 202)).toBe(true);
    expect(setup.gateway.logs.join("\n")).not.toMatch(/Uncaught|internal error; reference/);
  });

  it("lets nothing reach the origin without an allowing decision and a limit check, for every kind of message", async () => {
    const METHODS = ["tools/list", "ping", "logging/setLevel", "tasks/list", "resources/read", "prompts/get", "completion/complete", "resources/subscribe"];
    const kind = fc.oneof(
      fc.record({ type: fc.constant("call" as const), name: fc.constantFrom("echo", "nested", "forbidden-x", "leak"), args: fc.jsonValue({ maxDepth: 3 }) }),
      fc.record({ type: fc.constant("nested" as const), path: fc.constantFrom("/srv/data/a", "/etc/passwd", "/srv/data/../x"), extra: fc.boolean() }),
      fc.record({ type: fc.constant("request" as const), method: fc.constantFrom(...METHODS), uri: fc.constantFrom("file:///srv/a", "file://localhost/etc/passwd", "test://x") }),
      fc.record({ type: fc.constant("notification" as const), method: fc.constantFrom("notifications/initialized", "notifications/cancelled", "notifications/roots/list_changed", "notifications/tasks/status") }),
      fc.record({ type: fc.constant("response" as const), id: fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.constant("mcpw-r2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")) }),
      fc.record({ type: fc.constant("get" as const), lastEventId: fc.option(fc.constantFrom("ev-1", "mcpw-e1.AAAA"), { nil: undefined }) }),
      fc.record({ type: fc.constant("delete" as const) }),
    );
    const roles = [["nested-tester"], ["viewer"], ["developer"]];
    let headers: Record<string, string> = {};
    let runs = 0;
    let forwardedMessages = 0;
    await fc.assert(
      fc.asyncProperty(kind, async (message) => {
        if (runs++ % 8 === 0) {
          const token = await setup.gateway.mint(roles[(runs >> 3) % roles.length]!);
          const opened = await post(`${setup.gateway.url}/mcp/recorder`, JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "fuzz", version: "1" } } }), { authorization: `Bearer ${token}` });
          await opened.text();
          headers = { authorization: `Bearer ${token}`, "mcp-session-id": opened.headers.get("mcp-session-id")!, "mcp-protocol-version": "2025-11-25" };
        }
        const eventsBefore = setup.gateway.logs.filter((line) => line.startsWith('{"audit"')).length;
        const before = setup.recorder.requests.length;
        const body = (value: unknown) => JSON.stringify(value);
        const endpoint = `${setup.gateway.url}/mcp/recorder`;
        let response: Response;
        switch (message.type) {
          case "call":
            response = await post(endpoint, body({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: message.name, arguments: typeof message.args === "object" && message.args !== null && !Array.isArray(message.args) ? message.args : { value: message.args } } }), headers);
            break;
          case "nested":
            response = await post(endpoint, body({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "nested", arguments: { config: { path: message.path, ...(message.extra ? { more: 1 } : {}) } } } }), headers);
            break;
          case "request": {
            const params = message.method === "completion/complete" ? { ref: { type: "ref/prompt", name: "p" }, argument: { name: "a", value: "b" } } : message.method.startsWith("resources/") ? { uri: message.uri } : message.method === "prompts/get" ? { name: "p" } : message.method === "logging/setLevel" ? { level: "debug" } : {};
            response = await post(endpoint, body({ jsonrpc: "2.0", id: 2, method: message.method, params }), headers);
            break;
          }
          case "notification":
            response = await post(endpoint, body({ jsonrpc: "2.0", method: message.method, params: message.method === "notifications/tasks/status" ? { taskId: "t", status: "completed" } : {} }), headers);
            break;
          case "response":
            response = await post(endpoint, body({ jsonrpc: "2.0", id: message.id, result: { roots: [] } }), headers);
            break;
          case "get":
            response = await fetch(endpoint, { headers: { ...headers, accept: "text/event-stream", ...(message.lastEventId ? { "last-event-id": message.lastEventId } : {}) } });
            break;
          case "delete":
            response = await fetch(endpoint, { method: "DELETE", headers });
            break;
        }
        await response.text();
        // The message's own event is emitted when its answer is over.
        let events: { decision: string; rateLimitStore?: string; httpMethod: string }[] = [];
        for (let attempt = 0; attempt < 50; attempt++) {
          events = setup.gateway.logs.filter((line) => line.startsWith('{"audit"')).slice(eventsBefore).map((line) => JSON.parse(line).audit).filter((event) => event.httpMethod !== "-");
          if (events.length) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(events).toHaveLength(1);
        const reached = setup.recorder.requests.length - before;
        if (reached > 0) {
          forwardedMessages++;
          // Allowed and limit-checked; the outcome may still be the origin's error (a GET the origin refuses).
          expect(events[0]).toMatchObject({ decision: expect.stringMatching(/^(allow|error)$/), rateLimitStore: expect.any(String) });
        }
        if (events[0]!.decision === "deny" || events[0]!.decision === "limited") expect(reached).toBe(0);
      }),
      { seed: 20261207, numRuns: 160 },
    );
    // The generator reaches the origin often enough for the property to mean something.
    expect(forwardedMessages).toBeGreaterThan(20);
  });
});
