// Virtual servers end to end: the real SDK client against /mcp/mixed (test/fixtures/policies), one
// endpoint over server-everything, the toolbox demo origin (stateless, pinned, `add` renamed to `sum`)
// and the recording test origin, each still governed by its own rules.

import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorker } from "../../cli/build.js";
import { startToolbox, type Toolbox } from "../../demo/toolbox.js";
import { gatewayAndRecorder } from "../support/e2e.js";
import { connect, jsonBody, post } from "../support/mcp-client.js";
import { PORTS } from "../support/ports.js";
import { startTestOrigin } from "../support/test-origin.js";

const setup = gatewayAndRecorder();
let toolbox: Toolbox;
const tokens: Record<string, string> = {};
const mixed = () => `${setup.gateway.url}/mcp/mixed`;

beforeAll(async () => {
  toolbox = await startToolbox(PORTS.toolbox);
  for (const role of ["viewer", "developer", "admin"]) tokens[role] = await setup.gateway.mint([role]);
});
afterAll(async () => {
  await toolbox?.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** A raw session on the virtual server, for what the SDK client has no call for. */
async function rawSession(role: string, token = tokens[role]!) {
  const authorization = `Bearer ${token}`;
  const opened = await post(mixed(), JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }), { authorization });
  expect(opened.status).toBe(200);
  const initialized: Any = await opened.json();
  const headers = { authorization, "mcp-session-id": opened.headers.get("mcp-session-id")!, "mcp-protocol-version": "2025-11-25" };
  let id = 1;
  return {
    initialized,
    headers,
    async rpc(method: string, params: Record<string, unknown> = {}): Promise<{ status: number; data: Any }> {
      const response = await post(mixed(), JSON.stringify({ jsonrpc: "2.0", id: id++, method, params }), headers);
      const type = response.headers.get("content-type") ?? "";
      if (type.startsWith("text/event-stream")) {
        const messages = (await response.text()).split("\n").filter((line) => line.startsWith("data: ") && line.length > 6).map((line) => JSON.parse(line.slice(6)));
        return { status: response.status, data: messages.find((message) => "result" in message || "error" in message) };
      }
      return { status: response.status, data: await jsonBody(response) };
    },
  };
}

const auditEvents = (): Any[] => setup.gateway.logs.filter((line) => line.startsWith('{"audit"')).map((line) => JSON.parse(line).audit);

describe("listings", () => {
  it("merges each origin's tools under its namespace, filtered per role by that origin's rules", async () => {
    const names = async (role: string) => {
      const { client } = await connect(mixed(), tokens[role]!);
      const { tools } = await client.listTools();
      await client.close();
      return tools.map((tool) => tool.name);
    };
    const viewer = await names("viewer");
    expect(viewer).toEqual(expect.arrayContaining(["everything__echo", "everything__get-sum", "sum", "tb__weather", "recorder__echo", "recorder__sampling"]));
    // Renamed tools are listed under their new name only; tools the role may not use are not listed.
    expect(viewer).not.toContain("tb__add");
    expect(viewer).not.toContain("tb__note");
    expect(viewer).not.toContain("everything__get-structured-content");
    const developer = await names("developer");
    expect(developer).toEqual(expect.arrayContaining(["tb__note", "everything__get-structured-content", "sum"]));
  });

  it("merges prompts, resources and templates with their integrity review, and caching hints conservatively", async () => {
    const session = await rawSession("viewer");
    const prompts = await session.rpc("prompts/list");
    expect(prompts.data.result.prompts.map((prompt: Any) => prompt.name)).toEqual(["recorder__clean-prompt"]);
    // The recorder says public for an hour; its endpoint makes it private and at most a minute; server-everything gives none.
    expect(prompts.data.result.cacheScope).toBe("private");
    expect(prompts.data.result.ttlMs).toBe(0);
    const resources = await session.rpc("resources/list");
    expect(resources.data.result.resources.map((resource: Any) => resource.uri)).toContain("mcpw:recorder:test://clean");
    const templates = await session.rpc("resources/templates/list");
    expect(templates.data.result.resourceTemplates.map((template: Any) => template.uriTemplate)).toContain("mcpw:recorder:test://clean/{id}");
  });

  it("merges initialize: capabilities of all origins, the server's own serverInfo, instructions scanned", async () => {
    const session = await rawSession("viewer");
    const result = session.initialized.result;
    expect(result.serverInfo.name).toBe("mcp-warden:mixed");
    expect(Object.keys(result.capabilities)).toEqual(expect.arrayContaining(["tools", "prompts", "resources"]));
    expect(result.instructions ?? "").not.toMatch(/[\u200b\u202e]/);
    expect(session.headers["mcp-session-id"]).toMatch(/^w2v\./);
  });

  it("pages across origins with a sealed cursor that resumes each origin where it stopped", async () => {
    const session = await rawSession("developer");
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await session.rpc("resources/list", cursor ? { cursor } : {});
      expect(page.status).toBe(200);
      seen.push(...page.data.result.resources.map((resource: Any) => resource.uri));
      cursor = page.data.result.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(2);
    expect(seen.filter((uri) => uri.startsWith("mcpw:recorder:"))).toEqual(["mcpw:recorder:test://clean", "mcpw:recorder:test://page-2"]);
    expect(seen.some((uri) => uri.startsWith("mcpw:everything:demo://"))).toBe(true);
    const forged = await session.rpc("resources/list", { cursor: "mcpw-c1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    expect(forged.status).toBe(400);
    expect(forged.data.error.code).toBe(-32602);
  });

  it("answers a listing with the caller's own limit at one origin instead of leaving that origin out", async () => {
    // fanout-tester: 4 messages a minute to the recorder (initialize and notifications/initialized count).
    const session = await rawSession("viewer", await setup.gateway.mint(["viewer", "fanout-tester"]));
    const answers: { status: number; names: string[]; retryAfter: string | null; code?: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await post(mixed(), JSON.stringify({ jsonrpc: "2.0", id: i + 1, method: "tools/list" }), session.headers);
      const body = await jsonBody(response);
      answers.push({ status: response.status, names: body.result?.tools.map((tool: Any) => tool.name) ?? [], retryAfter: response.headers.get("retry-after"), code: body.error?.code });
    }
    // Every listing either holds the recorder's tools or is the 429 itself: never a listing without them.
    for (const answer of answers) expect(answer.status === 429 || answer.names.includes("recorder__echo"), JSON.stringify(answer)).toBe(true);
    const limited = answers.find((answer) => answer.status === 429);
    expect(limited).toMatchObject({ code: -32029, retryAfter: expect.stringMatching(/^\d+$/) });
    await expect.poll(() => auditEvents().find((event) => event.server === "mixed" && event.method === "tools/list" && event.decision === "limited")).toBeTruthy();
  });
});

describe("routing", () => {
  const recorded = (since: number, method: string): Any[] =>
    setup.recorder.requests
      .slice(since)
      .map((request) => (request.body ? JSON.parse(request.body) : {}))
      .filter((body) => body.method === method);

  it("sends each named call to the one origin that owns the name, under the origin's own name", async () => {
    const session = await rawSession("viewer");
    const echo = await session.rpc("tools/call", { name: "everything__echo", arguments: { message: "hi" } });
    expect(echo.data.result.content[0].text).toBe("Echo: hi");
    const sum = await session.rpc("tools/call", { name: "sum", arguments: { a: 2, b: 3 } });
    expect(sum.data.result.content[0].text).toBe("5");
    const before = setup.recorder.requests.length;
    const recorderEcho = await session.rpc("tools/call", { name: "recorder__echo", arguments: { message: "x" } });
    expect(recorderEcho.status).toBe(200);
    expect(recorded(before, "tools/call")[0].params.name).toBe("echo");
    // The recorder's own credential, never the client's token, reaches the recorder.
    expect(setup.recorder.requests.at(-1)!.headers.authorization).toBe("Bearer origin-credential-for-the-recorder-7f3a9c");

    for (const [method, params, check] of [
      ["prompts/get", { name: "recorder__clean-prompt" }, (body: Any) => expect(body.params.name).toBe("clean-prompt")],
      ["resources/read", { uri: "mcpw:recorder:test://clean" }, (body: Any) => expect(body.params.uri).toBe("test://clean")],
      ["resources/subscribe", { uri: "mcpw:recorder:test://clean" }, (body: Any) => expect(body.params.uri).toBe("test://clean")],
      ["resources/unsubscribe", { uri: "mcpw:recorder:test://clean" }, (body: Any) => expect(body.params.uri).toBe("test://clean")],
      ["completion/complete", { ref: { type: "ref/prompt", name: "recorder__clean-prompt" }, argument: { name: "a", value: "b" } }, (body: Any) => expect(body.params.ref.name).toBe("clean-prompt")],
    ] as const) {
      const since = setup.recorder.requests.length;
      const answer = await session.rpc(method, params);
      expect(answer.status, method).toBe(200);
      const bodies = recorded(since, method);
      expect(bodies, method).toHaveLength(1);
      check(bodies[0]);
    }
  });

  it("passes the origin endpoint's RateLimit headers on with a routed answer", async () => {
    const session = await rawSession("viewer", await setup.gateway.mint(["viewer"]));
    const routed = await post(mixed(), JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "everything__echo", arguments: { message: "a" } } }), session.headers);
    await routed.text();
    expect(routed.status).toBe(200);
    expect(routed.headers.get("ratelimit-policy")).not.toBeNull();
  });

  it("routes task operations by the task id it handed out, to the origin that made the task", async () => {
    const session = await rawSession("viewer");
    const created = await session.rpc("tools/call", { name: "recorder__echo", arguments: {}, task: { ttl: 60000 } });
    expect(created.status).toBe(200);
    const taskId: string = created.data.result.task.taskId;
    expect(taskId).toMatch(/^recorder~mcpw-t1\./);
    const since = setup.recorder.requests.length;
    const state = await session.rpc("tasks/get", { taskId });
    expect(state.status).toBe(200);
    expect(state.data.result.taskId).toMatch(/^recorder~/);
    expect(recorded(since, "tasks/get")[0].params.taskId).toMatch(/^origin-task-/);
    const forged = await session.rpc("tasks/get", { taskId: "everything~mcpw-t1.forged" });
    expect(forged.status).toBe(403);
  });

  it("fans session-wide messages out and refuses names no origin owns", async () => {
    const session = await rawSession("viewer");
    expect((await session.rpc("ping")).data.result).toEqual({});
    expect((await session.rpc("logging/setLevel", { level: "info" })).data.result).toEqual({});
    const unknown = await session.rpc("tools/call", { name: "nobody__echo", arguments: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.data.error.code).toBe(-32602);
    // Each origin's own rules still decide: a viewer may not call toolbox's note.
    const denied = await session.rpc("tools/call", { name: "tb__note", arguments: { text: "x" } });
    expect(denied.status).toBe(403);
    expect(denied.data.error.code).toBe(-32032);
    // The server's own event for it records the origin endpoint's decision.
    await expect.poll(() => auditEvents().find((event) => event.server === "mixed" && event.method === "tools/call" && event.target === "note")?.decision).toBe("deny");
  });
});

describe("abuse", () => {
  it("counts refusals of the virtual layer toward the abuse cooldown, and a cooling caller is refused on the server", async () => {
    // viewer: 20 denials a minute before a cooldown; a task id this server never gave out is refused by the server itself.
    const session = await rawSession("viewer", await setup.gateway.mint(["viewer"]));
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await session.rpc("tasks/get", { taskId: `nobody~forged-${i}` })).status);
    expect(statuses[0]).toBe(403);
    await expect.poll(async () => (await session.rpc("tools/call", { name: "everything__echo", arguments: { message: "still here?" } })).status).toBe(429);
  });

  it("cools down a caller who keeps asking for names the server does not have", async () => {
    const session = await rawSession("viewer", await setup.gateway.mint(["viewer"]));
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await session.rpc("tools/call", { name: `nobody__x${i}`, arguments: {} })).status);
    expect(statuses[0]).toBe(400);
    await expect.poll(async () => (await session.rpc("tools/call", { name: "nobody__again", arguments: {} })).status).toBe(429);
  });
});

describe("server-to-client traffic", () => {
  it("relays notifications and sampling requests from two origins in one session, and answers reach the origin that asked", async () => {
    const { client } = await connect(mixed(), tokens.admin!, { capabilities: { sampling: {} } });
    let sampled = 0;
    client.setRequestHandler(CreateMessageRequestSchema, async () => {
      sampled++;
      return { model: "test-model", role: "assistant", content: { type: "text", text: "sampled answer" } };
    });
    const logged: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void logged.push(String(notification.params.data)));

    const before = setup.recorder.requests.length;
    const fromRecorder = await client.callTool({ name: "recorder__sampling", arguments: {} });
    expect((fromRecorder.content as Any)[0].text).toBe("after sampling");
    const answer = setup.recorder.requests.slice(before).map((request) => request.body).find((body) => body.includes('"server-1"'));
    expect(JSON.parse(answer!)).toMatchObject({ id: "server-1", result: { model: "test-model" } });

    const fromEverything = await client.callTool({ name: "everything__trigger-sampling-request", arguments: { prompt: "hello", maxTokens: 10 } });
    expect(JSON.stringify(fromEverything.content)).toContain("sampled answer");
    expect(sampled).toBe(2);

    const progress: number[] = [];
    await client.callTool({ name: "recorder__sse-echo", arguments: { message: "m" } });
    await client.callTool({ name: "everything__trigger-long-running-operation", arguments: { duration: 1, steps: 2 } }, undefined, { onprogress: (step) => void progress.push(step.progress) });
    expect(logged).toContain("about to echo m");
    expect(progress.length).toBeGreaterThan(0);
    await client.close();
  });
});

describe("client responses and notifications", () => {
  it("records the origin endpoint's refusal of a relayed client response as the server's decision", async () => {
    const session = await rawSession("viewer", await setup.gateway.mint(["viewer"]));
    // Routed to the recorder by its prefix; the recorder's endpoint refuses an id it never sealed.
    const before = auditEvents().length;
    const response = await post(mixed(), JSON.stringify({ jsonrpc: "2.0", id: "recorder~mcpw-s1.forged", result: {} }), session.headers);
    await response.text();
    expect(response.status).toBe(403);
    await expect.poll(() => auditEvents().slice(before).find((event) => event.server === "mixed" && event.method === "response")?.decision).toBe("deny");
  });
});

describe("the GET stream", () => {
  it("merges the origins' GET streams: what an origin sends on its own reaches the client", async () => {
    const session = await rawSession("admin");
    expect((await session.rpc("logging/setLevel", { level: "debug" })).status).toBe(200);
    // server-everything then logs on its own every few seconds, on the session's GET stream.
    expect((await session.rpc("tools/call", { name: "everything__toggle-simulated-logging", arguments: {} })).status).toBe(200);
    const stream = await fetch(mixed(), { headers: { ...session.headers, accept: "text/event-stream" } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes('"notifications/message"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    await reader.cancel();
    expect(text).toContain('"method":"notifications/message"');
    // Event ids, if the origin sets any, are routed back to it on resumption.
    for (const [, id] of text.matchAll(/^id: (.*)$/gm)) expect(id).toMatch(/^everything~/);
    await session.rpc("tools/call", { name: "everything__toggle-simulated-logging", arguments: {} });
  });
});

describe("partial failure", () => {
  it("leaves a dead origin out of listings with an audit event, refuses calls to it precisely, keeps the others working", async () => {
    const session = await rawSession("viewer");
    await setup.recorder.close();
    try {
      const listed = await session.rpc("tools/list");
      expect(listed.status).toBe(200);
      const names = listed.data.result.tools.map((tool: Any) => tool.name);
      expect(names).toContain("everything__echo");
      expect(names).toContain("sum");
      expect(names.some((name: string) => name.startsWith("recorder__"))).toBe(false);
      await expect.poll(() => auditEvents().find((event) => event.server === "mixed" && event.method === "tools/list" && event.droppedOrigins)).toBeTruthy();
      const event = auditEvents().findLast((event) => event.server === "mixed" && event.droppedOrigins);
      expect(event.droppedOrigins).toEqual([{ origin: "recorder", reason: expect.stringMatching(/Origin unavailable/) }]);
      // The origin's own endpoint recorded why, too.
      expect(auditEvents().some((event) => event.origin === "recorder" && event.method === "tools/list" && /fetch failed/.test(event.reason))).toBe(true);

      const call = await session.rpc("tools/call", { name: "recorder__echo", arguments: {} });
      expect(call.status).toBe(502);
      expect(call.data.error.code).toBe(-32050);
      expect((await session.rpc("tools/call", { name: "everything__echo", arguments: { message: "still" } })).data.result.content[0].text).toBe("Echo: still");
    } finally {
      setup.recorder = await startTestOrigin(PORTS.recorder);
    }
  });

  it("never waits for a listing past the server's per-origin time limit", async () => {
    // An origin that is up and answers initialize, but never finishes tools/list.
    const held: import("node:http").ServerResponse[] = [];
    const sluggish = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        const message = JSON.parse(body || "{}");
        if (message.method === "initialize") {
          response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result: { protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "sluggish", version: "1" } } }));
        } else if (message.id === undefined) response.writeHead(202).end();
        else held.push(response);
      });
    });
    await new Promise<void>((resolve) => sluggish.listen(PORTS.sluggish, "127.0.0.1", resolve));
    try {
      const authorization = `Bearer ${tokens.viewer}`;
      const late = `${setup.gateway.url}/mcp/late`;
      const opened = await post(late, JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }), { authorization });
      expect(opened.status).toBe(200);
      const headers = { authorization, "mcp-session-id": opened.headers.get("mcp-session-id")!, "mcp-protocol-version": "2025-11-25" };
      const listed = await post(late, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }), headers);
      expect(listed.status).toBe(200);
      const names = (await jsonBody(listed)).result.tools.map((tool: Any) => tool.name);
      expect(names).toContain("recorder__echo");
      expect(names.some((name: string) => name.startsWith("sluggish__"))).toBe(false);
      expect(held.length).toBe(1);
      // The virtual server aborted its inner request when it stopped waiting: the origin endpoint's own event says so.
      await expect.poll(() => auditEvents().find((event) => event.origin === "sluggish" && event.method === "tools/list" && !event.server)).toMatchObject({ errorCode: -32051, reason: "the virtual server stopped waiting for this origin" });
      await expect.poll(() => auditEvents().find((event) => event.server === "late" && event.method === "tools/list")?.droppedOrigins).toEqual([{ origin: "sluggish", reason: "no answer within 500 ms" }]);
    } finally {
      for (const response of held) response.destroy();
      sluggish.closeAllConnections();
      await new Promise((resolve) => sluggish.close(resolve));
    }
  });

  it("starts a session without an origin that is down at initialize; its calls say it did not join", async () => {
    await setup.recorder.close();
    let session;
    try {
      session = await rawSession("viewer");
    } finally {
      setup.recorder = await startTestOrigin(PORTS.recorder);
    }
    const call = await session.rpc("tools/call", { name: "recorder__echo", arguments: {} });
    expect(call.status).toBe(502);
    expect(call.data.error.message).toMatch(/unavailable when the session began/);
    const listed = await session.rpc("tools/list");
    expect(listed.data.result.tools.some((tool: Any) => tool.name.startsWith("recorder__"))).toBe(false);
  });

  it("resumes a listing cursor only at origins that joined this session", async () => {
    const token = await setup.gateway.mint(["developer"]);
    const first = await rawSession("developer", token);
    const cursor = (await first.rpc("resources/list")).data.result.nextCursor;
    expect(typeof cursor).toBe("string");
    await setup.recorder.close();
    let second;
    try {
      second = await rawSession("developer", token);
    } finally {
      setup.recorder = await startTestOrigin(PORTS.recorder);
    }
    const resumed = await second.rpc("resources/list", { cursor });
    expect(resumed.status).toBe(200);
    expect(resumed.data.result.resources).toEqual([]);
    // The same cursor in the session the recorder joined still goes on there.
    expect((await first.rpc("resources/list", { cursor })).data.result.resources.map((resource: Any) => resource.uri)).toEqual(["mcpw:recorder:test://page-2"]);
  });
});

describe("build time", () => {
  it("refuses a server under which two tools would end up with one name", async () => {
    mkdirSync(".warden/test", { recursive: true });
    const dir = mkdtempSync(".warden/test/virtual-");
    try {
      // The demo policy (with toolbox's pins) plus a server renaming two tools to one name.
      writeFileSync(join(dir, "clash.yaml"), "servers:\n  clash:\n    origins:\n      - { origin: everything, rename: { echo: add } }\n      - { origin: toolbox, rename: { add: add } }\n");
      await expect(buildWorker({ policyDirs: ["policies", dir], outFile: join(dir, "worker.js") })).rejects.toThrow(/servers\.clash\.origins\.1\.rename\.add: "add" is already the name of everything's "echo"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
