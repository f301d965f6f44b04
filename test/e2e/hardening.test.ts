// Attacks on the gateway, end to end in workerd against the recording test origin and the reference
// origin, one class at a time: client responses the gateway never relayed, methods without a rule,
// limits on every message (denied ones, notifications, streams, unauthenticated floods), validators
// that must check exactly what is forwarded, audit events an attacker tries to bloat, scrub settings
// that must follow a result to tasks/result and resumed streams, and the smaller gaps (binary-looking
// fields, foreign event and task ids). Each test names what reached the origin, or proves nothing did.

import { describe, expect, it } from "vitest";
import { generateToken } from "../../src/auth/token.js";
import { gatewayAndRecorder } from "../support/e2e.js";
import { jsonBody, post } from "../support/mcp-client.js";

const SECRET = "sk_live_Z1x2C3v4B5n6M7q8W9e0R1t2";
const setup = gatewayAndRecorder({ leak: SECRET });
const url = (origin = "recorder") => `${setup.gateway.url}/mcp/${origin}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A session of the 2025-11-25 revision: its id and the headers every later message carries. */
async function session(token: string, origin = "recorder"): Promise<Record<string, string>> {
  const answer = await post(url(origin), JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: { sampling: {} }, clientInfo: { name: "attacker", version: "1" } } }), bearer(token));
  await answer.arrayBuffer();
  const id = answer.headers.get("mcp-session-id");
  expect(id).toBeTruthy();
  return { ...bearer(token), "mcp-session-id": id!, "mcp-protocol-version": "2025-11-25" };
}

/** The JSON-RPC messages of an answer, JSON or SSE. */
async function messages(response: Response): Promise<{ id?: string | number; method?: string; result?: any; error?: any; params?: any }[]> {
  const text = await response.text();
  if ((response.headers.get("content-type") ?? "").startsWith("application/json")) return [JSON.parse(text)];
  return text.split("\n").filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6)));
}

/** Event ids of an SSE answer, with the messages they came with. */
async function sseEvents(response: Response): Promise<{ id?: string; data: any }[]> {
  return (await response.text())
    .split("\n\n")
    .filter((block) => block.includes("data: "))
    .map((block) => {
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]!);
      return id === undefined ? { data } : { id, data };
    });
}

const recorded = () => setup.recorder.requests.map((request) => request.body);
const auditEvents = () => setup.gateway.logs.filter((line) => line.startsWith('{"audit"')).map((line) => JSON.parse(line).audit);

async function callTool(headers: Record<string, string>, name: string, args: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, origin = "recorder") {
  return post(url(origin), JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name, arguments: args, ...extra } }), headers);
}

describe("client responses", () => {
  it("refuses a response to a request the gateway never relayed, whatever its id, and forwards nothing", async () => {
    const headers = await session(await setup.gateway.mint(["admin"]));
    for (const id of ["server-1", 1, "mcpw-r2.AAAA", "mcpw-r2." + "A".repeat(60)]) {
      const before = recorded().length;
      const answer = await post(url(), JSON.stringify({ jsonrpc: "2.0", id, result: { roots: [{ uri: "file:///", name: "everything" }] } }), headers);
      expect(answer.status).toBe(403);
      expect((await jsonBody(answer)).error.code).toBe(-32032);
      expect(recorded().length).toBe(before);
    }
    expect(auditEvents().filter((event) => event.rule === "not-relayed").length).toBeGreaterThanOrEqual(4);
  });

  it("forwards the answer to a relayed request under the origin's own id, once only for its sender and session", async () => {
    const developer = await setup.gateway.mint(["developer"]);
    const headers = await session(developer);
    const events = await messages(await callTool(headers, "sampling"));
    const asked = events.find((message) => message.method === "sampling/createMessage")!;
    expect(asked.id).toMatch(/^mcpw-r2\./);
    expect(JSON.stringify(events)).not.toContain("server-1");
    const response = JSON.stringify({ jsonrpc: "2.0", id: asked.id, result: { role: "assistant", content: { type: "text", text: "hi" }, model: "m" } });

    // Another principal, or the same one in another session, cannot use the sealed id.
    const other = await session(await setup.gateway.mint(["developer"]));
    expect((await post(url(), response, other)).status).toBe(403);
    expect((await post(url(), response, await session(developer))).status).toBe(403);

    const before = recorded().length;
    const accepted = await post(url(), response, headers);
    expect(accepted.status).toBe(202);
    expect(JSON.parse(recorded()[before]!)).toEqual({ jsonrpc: "2.0", id: "server-1", result: { role: "assistant", content: { type: "text", text: "hi" }, model: "m" } });
  });

  it("never relays a server request the caller may not be asked, so no answer to it can be made", async () => {
    const headers = await session(await setup.gateway.mint(["viewer"]));
    const events = await messages(await callTool(headers, "sampling"));
    expect(events.some((message) => message.method === "sampling/createMessage")).toBe(false);
    const forged = await post(url(), JSON.stringify({ jsonrpc: "2.0", id: "server-1", result: { role: "assistant", content: { type: "text", text: "consent: yes" }, model: "m" } }), headers);
    expect(forged.status).toBe(403);
  });
});

describe("methods without a named target", () => {
  it("refuses completion, logging and tasks to a viewer without a rule for them, and reaches no origin", async () => {
    const viewer = await setup.gateway.mint(["viewer"]);
    const stateless = (method: string, params: Record<string, unknown>) =>
      post(url("everything"), JSON.stringify({ jsonrpc: "2.0", id: 3, method, params }), { ...bearer(viewer), "mcp-protocol-version": "2026-07-28", "mcp-method": method });
    const completion = await stateless("completion/complete", { ref: { type: "ref/prompt", name: "args-prompt" }, argument: { name: "city", value: "Par" } });
    expect(completion.status).toBe(403);
    expect(await jsonBody(completion)).toMatchObject({ id: 3, error: { code: -32032 } });
    const headers = await session(viewer, "everything");
    const tasks = await post(url("everything"), JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tasks/list", params: {} }), headers);
    expect(tasks.status).toBe(403);
    // A role with no methods rule on the recorder may not set the log level there.
    const tester = await session(await setup.gateway.mint(["nested-tester"]));
    const level = await post(url(), JSON.stringify({ jsonrpc: "2.0", id: 4, method: "logging/setLevel", params: { level: "debug" } }), tester);
    expect(level.status).toBe(403);
    // ping has its rule: allowed.
    expect((await post(url("everything"), JSON.stringify({ jsonrpc: "2.0", id: 5, method: "ping" }), headers)).status).toBe(200);
  });

  it("lets a completion through where the caller may use the prompt it completes, and a developer set the log level", async () => {
    const admin = await setup.gateway.mint(["admin"]);
    const completion = await post(url("everything"), JSON.stringify({ jsonrpc: "2.0", id: 3, method: "completion/complete", params: { ref: { type: "ref/prompt", name: "args-prompt" }, argument: { name: "city", value: "Par" } } }), {
      ...bearer(admin),
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "completion/complete",
    });
    expect(completion.status).not.toBe(403);
    await completion.arrayBuffer();
    const developer = await session(await setup.gateway.mint(["developer"]), "everything");
    const level = await post(url("everything"), JSON.stringify({ jsonrpc: "2.0", id: 4, method: "logging/setLevel", params: { level: "debug" } }), developer);
    expect(level.status).toBe(200);
    await level.arrayBuffer();
  });
});

/** The abuse baseline counts within a one-minute window: a burst that must cross it starts well away from the window's end. */
async function awayFromMinuteEnd(): Promise<void> {
  const toNextMinute = 60_000 - (Date.now() % 60_000);
  if (toNextMinute < 15_000) await new Promise((resolve) => setTimeout(resolve, toNextMinute + 200));
}

/** Refused messages are counted toward the cooldown in the background: the status of `send` once the count has landed (bounded wait). */
async function statusOnceCounted(send: () => Promise<Response>): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const answer = await send();
    await answer.arrayBuffer();
    if (answer.status === 429 || attempt === 40) return answer.status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("limits on every message", () => {
  it("puts a principal in cooldown on everything: calls, pings, notifications, GET streams and DELETE", async () => {
    const abusive = await setup.gateway.mint(["viewer"]);
    const headers = await session(abusive);
    await awayFromMinuteEnd();
    for (let i = 0; i < 21; i++) await (await callTool(headers, "forbidden-x")).arrayBuffer();
    expect(await statusOnceCounted(() => post(url(), JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), headers))).toBe(429);
    const ping = await post(url(), JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), headers);
    const notification = await post(url(), JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), headers);
    const stream = await fetch(url(), { headers: { ...headers, accept: "text/event-stream" } });
    const end = await fetch(url(), { method: "DELETE", headers });
    expect([ping.status, notification.status, stream.status, end.status]).toEqual([429, 429, 429, 429]);
    // A denied call is throttled too: the next one is 429, not another 403; so is a message that cannot even be read.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await callTool(headers, "forbidden-x")).status).toBe(429);
    expect((await post(url(), "{not json", headers)).status).toBe(429);
  });

  it("counts messages refused before policy for forged sealed values (session, event id, request state) toward the cooldown", async () => {
    const headers = await session(await setup.gateway.mint(["viewer"]));
    const id = headers["mcp-session-id"]!;
    // The second-to-last character always carries six bits of the sealed bytes (the last may carry padding bits).
    const forgedId = `${id.slice(0, -2)}${id.at(-2) === "A" ? "B" : "A"}${id.at(-1)}`;
    await awayFromMinuteEnd();
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) {
      const forged = [
        () => post(url(), JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), { ...headers, "mcp-session-id": forgedId }),
        () => fetch(url(), { headers: { ...headers, accept: "text/event-stream", "last-event-id": "mcpw-e1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } }),
        () => post(url(), JSON.stringify({ jsonrpc: "2.0", id: "mcpw-r2.AAAA", result: {} }), headers),
      ][i % 3]!;
      const answer = await forged();
      statuses.push(answer.status);
      await answer.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(statuses.slice(0, 20).every((status) => status === 400 || status === 403 || status === 404)).toBe(true);
    expect(await statusOnceCounted(() => post(url(), JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), headers))).toBe(429);
  });

  it("refuses an address with 429 once its failed authentications pass the limit, before reading KV; other addresses, and tokens the isolate knows, are unaffected", async () => {
    const flood = { "cf-connecting-ip": "203.0.113.77" };
    const known = await setup.gateway.mint(["viewer"]);
    const knownCall = () => callTool({ ...bearer(known), ...flood, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "echo" }, "echo", { message: "hi" });
    expect((await knownCall()).status).toBe(200);
    const attempt = async () => {
      const answer = await callTool({ ...bearer(generateToken()), ...flood, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "echo" }, "echo");
      await answer.arrayBuffer();
      return answer.status;
    };
    const statuses: number[] = [];
    for (let i = 0; i < 121; i++) statuses.push(await attempt());
    // The limit is 120 failures a minute: none of those is refused for it.
    expect(statuses.slice(0, 120).every((status) => status === 401)).toBe(true);
    // Failures are counted in the background: once the count is over the limit, the address is refused.
    let refusedAfter = 0;
    while (refusedAfter < 50 && (await attempt()) !== 429) {
      refusedAfter++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(refusedAfter).toBeLessThan(50);
    expect(await attempt()).toBe(429);
    const elsewhere = await callTool({ ...bearer(generateToken()), "cf-connecting-ip": "198.51.100.1", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "echo" }, "echo");
    expect(elsewhere.status).toBe(401);
    // A token new to this isolate from the flooded address is refused too (it would cost a KV read);
    // one the isolate already holds still works: a flood cannot lock out callers it knows.
    const valid = await callTool({ ...bearer(await setup.gateway.mint(["viewer"])), ...flood, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "echo" }, "echo");
    expect(valid.status).toBe(429);
    expect((await knownCall()).status).toBe(200);
  });
});

describe("validators check exactly what is forwarded", () => {
  const stateless = (token: string, name: string, args: Record<string, unknown>) =>
    callTool({ ...bearer(token), "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name }, name, args);

  it("validates nested arguments to any depth and refuses unknown nested keys", async () => {
    const tester = await setup.gateway.mint(["nested-tester"]);
    const before = recorded().length;
    for (const config of [
      { path: "/etc/passwd" },
      { path: "/srv/data/a", extra: 1 },
      { path: "/srv/data/a", targets: [{ url: "https://a.example.com/" }, { url: "http://a.example.com\\@169.254.169.254/" }] },
      { path: "/srv/data/a", targets: [{ url: "https://evilexample.com/" }] },
      { path: "/srv/data/a", targets: [{ url: "https://a.example.com/", sneaky: true }] },
      { path: "/srv/data/a", targets: [{}, {}, {}, {}] },
      { path: "/srv/data/../../etc/passwd" },
    ]) {
      const answer = await stateless(tester, "nested", { config });
      expect({ config, status: answer.status }).toEqual({ config, status: 403 });
    }
    expect(recorded().length).toBe(before);
    const fine = { path: "/srv/data/reports/q3.csv", targets: [{ url: "https://a.example.com/upload" }] };
    const allowed = await stateless(tester, "nested", { config: fine });
    expect(allowed.status).toBe(200);
    expect(JSON.parse(recorded().at(-1)!).params.arguments).toEqual({ config: fine });
  });

  it("refuses resource URIs that read differently once normalized, before any policy or origin sees them", async () => {
    const admin = await setup.gateway.mint(["admin"]);
    for (const uri of ["file://localhost/etc/passwd", "file:////etc/passwd", "file:///srv/../etc/passwd", "file:///srv/%2e%2e/etc/passwd", "file:///etc%2fpasswd", "FILE:///etc/passwd"]) {
      const answer = await post(url(), JSON.stringify({ jsonrpc: "2.0", id: 2, method: "resources/read", params: { uri } }), { ...bearer(admin), "mcp-protocol-version": "2026-07-28", "mcp-method": "resources/read", "mcp-name": uri });
      expect({ uri, status: answer.status, code: (await jsonBody(answer)).error?.code }).toEqual({ uri, status: 400, code: -32602 });
    }
  });
});

describe("audit events stay bounded", () => {
  it("keeps request text out of the event and bounds its lists, however large the message", async () => {
    const viewer = await setup.gateway.mint(["viewer"]);
    const member = `x${"A".repeat(20_000)}`;
    const unknown = await post(url(), `{"jsonrpc":"2.0","id":1,"method":"tools/list","${member}":1}`, { ...bearer(viewer), "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).not.toContain("AAAAAAAAAA");
    const args = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`argument_${i}_${"n".repeat(40)}`, i]));
    await (await callTool({ ...bearer(viewer), "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "echo" }, "echo", args)).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = setup.gateway.logs.filter((line) => line.startsWith('{"audit"'));
    expect(lines.every((line) => !line.includes("AAAAAAAAAA") && new TextEncoder().encode(line).length <= 16 * 1024 + 16)).toBe(true);
    const bloated = auditEvents().findLast((event) => event.target === "echo" && event.argumentsDigest);
    expect(Object.keys(bloated.argumentSizes)).toHaveLength(32);
    expect(bloated.truncated).toBe(true);
  });
});

describe("a rule's scrub settings follow its result", () => {
  it("withholds a refusing rule's result fetched through tasks/result, and keeps the task to its creator", async () => {
    const viewer = await setup.gateway.mint(["viewer"]);
    const headers = await session(viewer);
    const [created] = await messages(await callTool(headers, "leak-strict", {}, { task: { ttl: 60000 } }));
    const taskId = created!.result.task.taskId as string;
    expect(taskId).toMatch(/^mcpw-t1\./);
    const fetch = (with_: Record<string, string>, id: string) => post(url(), JSON.stringify({ jsonrpc: "2.0", id: 8, method: "tasks/result", params: { taskId: id } }), with_);
    const [result] = await messages(await fetch(headers, taskId));
    expect(result).toMatchObject({ id: 8, error: { code: -32034 } });
    expect(JSON.stringify(result)).not.toContain(SECRET);
    // The origin's own id, or the sealed id in someone else's hands, reaches nothing.
    expect((await fetch(headers, "origin-task-1")).status).toBe(403);
    expect((await fetch(await session(await setup.gateway.mint(["viewer"])), taskId)).status).toBe(403);
  });

  it("withholds a refusing rule's result replayed on a resumed GET stream, and resumes only from the gateway's own event ids", async () => {
    const headers = await session(await setup.gateway.mint(["viewer"]));
    const events = await sseEvents(await callTool(headers, "leak-strict", { sse: true }));
    expect(events[0]!.data).toMatchObject({ id: 7, error: { code: -32034 } });
    const eventId = events[0]!.id!;
    expect(eventId).toMatch(/^mcpw-e1\./);
    const resumed = await fetch(url(), { headers: { ...headers, accept: "text/event-stream", "last-event-id": eventId } });
    expect(resumed.status).toBe(200);
    const replayed = await sseEvents(resumed);
    expect(replayed.map((event) => event.data)).toEqual([expect.objectContaining({ id: 7, error: expect.objectContaining({ code: -32034 }) })]);
    expect(JSON.stringify(replayed)).not.toContain(SECRET);
    // The origin's raw event id, or a sealed id from another session, is refused.
    for (const lastEventId of ["ev-1", eventId.slice(0, -3)]) {
      const refused = await fetch(url(), { headers: { ...headers, accept: "text/event-stream", "last-event-id": lastEventId } });
      expect(refused.status).toBe(400);
    }
    const other = await session(await setup.gateway.mint(["viewer"]));
    expect((await fetch(url(), { headers: { ...other, accept: "text/event-stream", "last-event-id": eventId } })).status).toBe(400);
  });

  it("keeps a 2026-07-28 task (server-created, result inlined in tasks/get) to its creator and under its creating rule", async () => {
    const stateless = (token: string, method: string, params: Record<string, unknown>, name?: string) =>
      post(url(), JSON.stringify({ jsonrpc: "2.0", id: 9, method, params }), { ...bearer(token), "mcp-protocol-version": "2026-07-28", "mcp-method": method, ...(name ? { "mcp-name": name } : {}) });
    const viewer = await setup.gateway.mint(["viewer"]);
    const created = await jsonBody(await stateless(viewer, "tools/call", { name: "leak-strict", arguments: { v2task: true } }, "leak-strict"));
    expect(created.result).toMatchObject({ resultType: "task", status: "working" });
    const taskId = created.result.taskId as string;
    expect(taskId).toMatch(/^mcpw-t1\./);
    const fetched = await stateless(viewer, "tasks/get", { taskId });
    const body = await fetched.text();
    expect(JSON.parse(body)).toMatchObject({ id: 9, error: { code: -32034 } });
    expect(body).not.toContain(SECRET);
    expect((await stateless(await setup.gateway.mint(["viewer"]), "tasks/get", { taskId })).status).toBe(403);
    expect((await stateless(viewer, "tasks/get", { taskId: "v2-task-1" })).status).toBe(403);
    // The methods the extension removed are unknown here.
    expect((await stateless(viewer, "tasks/result", { taskId })).status).toBe(404);
    expect((await stateless(viewer, "tasks/list", {})).status).toBe(404);
  });

  it("needs a session and a tasks/result grant to run a call as a task (session revisions)", async () => {
    const tester = await setup.gateway.mint(["nested-tester"]);
    const answer = await callTool(await session(tester), "nested", { config: { path: "/srv/data/a" } }, { task: {} });
    expect(answer.status).toBe(403);
    const viewer = await setup.gateway.mint(["viewer"]);
    const sessionless = await callTool({ ...bearer(viewer), "mcp-protocol-version": "2025-11-25" }, "echo", { message: "x" }, { task: {} });
    expect(sessionless.status).toBe(403);
  });
});

describe("smaller gaps", () => {
  it("scrubs text in fields named like binary data (image data, structuredContent) that is not base64", async () => {
    const viewer = await setup.gateway.mint(["viewer"]);
    const text = await (await callTool({ ...bearer(viewer), "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "image-leak" }, "image-leak")).text();
    expect(text).not.toContain(SECRET);
    expect(text).toContain("[REDACTED:");
  });

  it("never shows a client the origin's session id, even encoded", async () => {
    const headers = await session(await setup.gateway.mint(["viewer"]));
    const sealed = headers["mcp-session-id"]!.slice(3);
    const decoded = Buffer.from(sealed, "base64url").toString("latin1");
    expect(decoded).not.toMatch(/session-\d+/);
  });
});

describe("input-required results (2026-07-28) under policy", () => {
  const stateless = (token: string, params: Record<string, unknown>) =>
    callTool({ ...bearer(token), "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "mrtr" }, "mrtr", {}, params);

  it("shows a caller only the input it may be asked, seals the state, and forwards only answers to what was asked", async () => {
    const developer = await setup.gateway.mint(["developer"]);
    const [first] = await messages(await stateless(developer, {}));
    expect(Object.keys(first!.result.inputRequests)).toEqual(["sample"]);
    const state = first!.result.requestState as string;
    expect(state).toMatch(/^mcpw-s1\./);
    expect(JSON.stringify(first)).not.toContain("origin-state-1");

    const before = recorded().length;
    const answers = { sample: { role: "assistant", content: { type: "text", text: "ok" }, model: "m" }, confirm: { action: "accept", content: { ok: true } } };
    const [second] = await messages(await stateless(developer, { inputResponses: answers, requestState: state }));
    expect(second!.result.content[0].text).toBe("answered: sample");
    const forwarded = JSON.parse(recorded()[before]!).params;
    expect(forwarded.requestState).toBe("origin-state-1");
    expect(Object.keys(forwarded.inputResponses)).toEqual(["sample"]);
  });

  it("never shows a caller allowed no input kind any input request", async () => {
    const [first] = await messages(await stateless(await setup.gateway.mint(["viewer"]), {}));
    expect(first!.result.inputRequests).toBeUndefined();
    expect(first!.result.requestState).toMatch(/^mcpw-s1\./);
  });

  it("refuses a state replayed by another principal, or altered, and answers that no state backs, forwarding nothing", async () => {
    const developer = await setup.gateway.mint(["developer"]);
    const [first] = await messages(await stateless(developer, {}));
    const state = first!.result.requestState as string;
    const answers = { sample: { role: "assistant", content: { type: "text", text: "ok" }, model: "m" } };
    const before = recorded().length;
    const replayed = await stateless(await setup.gateway.mint(["developer"]), { inputResponses: answers, requestState: state });
    expect(replayed.status).toBe(400);
    expect((await jsonBody(replayed)).error.code).toBe(-32602);
    expect((await stateless(developer, { inputResponses: answers, requestState: `${state}x` })).status).toBe(400);
    const unbacked = await stateless(developer, { inputResponses: { confirm: { action: "accept", content: { ok: true } } } });
    expect(unbacked.status).toBe(403);
    expect(recorded().length).toBe(before);
  });
});

describe("caching hints (2026-07-28)", () => {
  it("marks an answer filtered for one caller private and cuts its ttl to the policy's maximum", async () => {
    const viewer = await setup.gateway.mint(["viewer"]);
    const answer = await post(url(), JSON.stringify({ jsonrpc: "2.0", id: 4, method: "prompts/list" }), { ...bearer(viewer), "mcp-protocol-version": "2026-07-28", "mcp-method": "prompts/list" });
    const { result } = await jsonBody(answer);
    expect(result).toMatchObject({ cacheScope: "private", ttlMs: 60_000 });
  });
});

describe("parameter headers (2026-07-28 x-mcp-header)", () => {
  const regional = async (token: string, args: Record<string, unknown>, headers: Record<string, string>) =>
    callTool({ ...bearer(token), "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "regional", ...headers }, "regional", args);

  it("refuses a call whose parameter headers are missing or differ from its arguments, and forwards nothing", async () => {
    const viewer = await setup.gateway.mint(["viewer"]);
    const before = recorded().filter((body) => body.includes('"regional"')).length;
    for (const [args, headers] of [
      [{ region: "eu-west1" }, {}],
      [{ region: "eu-west1" }, { "mcp-param-region": "us-east1" }],
      [{ region: "eu-west1" }, { "mcp-param-region": "=?base64?ZXUtd2VzdDE?=" }],
      [{ region: "köln" }, { "mcp-param-region": "koln" }],
      [{ count: 3 }, { "mcp-param-count": "4" }],
      [{ note: "x" }, { "mcp-param-region": "eu-west1" }],
    ] as [Record<string, unknown>, Record<string, string>][]) {
      const answer = await regional(viewer, args, headers);
      expect({ args, headers, status: answer.status, code: (await jsonBody(answer)).error?.code }).toEqual({ args, headers, status: 400, code: -32020 });
    }
    expect(recorded().filter((body) => body.includes('"regional"')).length).toBe(before);
  });

  it("accepts matching headers (base64 decoded, integers compared as numbers) and forwards headers computed from the body", async () => {
    const viewer = await setup.gateway.mint(["viewer"]);
    const answer = await regional(viewer, { region: "köln", count: 42, note: "n" }, { "mcp-param-region": "=?base64?a8O2bG4=?=", "mcp-param-count": "42.0", "mcp-param-unknown": "dropped" });
    expect(answer.status).toBe(200);
    await answer.arrayBuffer();
    const forwarded = setup.recorder.requests.at(-1)!;
    expect(forwarded.headers["mcp-param-region"]).toBe("=?base64?a8O2bG4=?=");
    expect(forwarded.headers["mcp-param-count"]).toBe("42");
    expect(forwarded.headers["mcp-param-unknown"]).toBeUndefined();
  });
});

