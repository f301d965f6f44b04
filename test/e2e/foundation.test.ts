// End to end through workerd: the real MCP SDK client → the gateway → the real reference origin
// (server-everything) or the recording test origin, for the protocol paths and every error path.

import { request as httpRequest } from "node:http";
import { connect as connectSocket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SECRETS } from "../support/gateway.js";
import { gatewayAndRecorder } from "../support/e2e.js";
import { connect, jsonBody, post } from "../support/mcp-client.js";
import { PORTS } from "../support/ports.js";

const setup = gatewayAndRecorder({ leak: TEST_SECRETS.RECORDER_TOKEN });
let admin: string;
let developer: string;
const initialize = (id: number | string = 1, version = "2025-11-25") =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "initialize", params: { protocolVersion: version, capabilities: {}, clientInfo: { name: "raw", version: "1" } } });

beforeAll(async () => {
  admin = await setup.gateway.mint(["admin"]);
  developer = await setup.gateway.mint(["developer"]);
});
afterAll(async () => {
  if (process.env.DUMP_LOGS) (await import("node:fs")).writeFileSync(process.env.DUMP_LOGS, setup.gateway.logs.join("\n"));
});

const everything = () => `${setup.gateway.url}/mcp/everything`;
const recorderUrl = () => `${setup.gateway.url}/mcp/recorder`;
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** Opens a session with raw HTTP and returns the gateway's session id. */
async function rawSession(url: string, token: string): Promise<string> {
  const response = await post(url, initialize(), auth(token));
  expect(response.status).toBe(200);
  await response.text();
  return response.headers.get("mcp-session-id")!;
}

describe("through the gateway to server-everything", () => {
  it("initializes, lists tools, calls echo and get-sum", async () => {
    const { client } = await connect(everything(), admin);
    expect(client.getServerVersion()?.name).toBe("mcp-servers/everything");
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(["echo", "get-sum", "trigger-long-running-operation"]));
    const echo = await client.callTool({ name: "echo", arguments: { message: "hello through the gateway" } });
    expect(echo.content).toEqual([{ type: "text", text: "Echo: hello through the gateway" }]);
    const sum = await client.callTool({ name: "get-sum", arguments: { a: 2, b: 40 } });
    expect(JSON.stringify(sum.content)).toContain("42");
    await client.close();
  });

  it("streams progress notifications of a long-running tool before its result", async () => {
    const { client } = await connect(everything(), developer);
    const progress: { value: number; callSettled: boolean }[] = [];
    let settled = false;
    const result = await client
      .callTool({ name: "trigger-long-running-operation", arguments: { duration: 2, steps: 4 } }, undefined, {
        onprogress: (event) => progress.push({ value: event.progress, callSettled: settled }),
      })
      .finally(() => (settled = true));
    expect(JSON.stringify(result.content)).toContain("completed");
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.every((event) => !event.callSettled)).toBe(true);
    expect(progress.map((event) => event.value)).toEqual([...progress.map((event) => event.value)].sort((a, b) => a - b));
    await client.close();
  });

  it("reads a resource", async () => {
    const { client } = await connect(everything(), developer);
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    const read = await client.readResource({ uri: resources[0]!.uri });
    expect(read.contents[0]?.uri).toBe(resources[0]!.uri);
    await client.close();
  });

  it("ends a session with DELETE, after which the session id is refused", async () => {
    const { client, transport } = await connect(everything(), admin);
    const sessionId = transport.sessionId!;
    expect(sessionId).toMatch(/^w2\./);
    await transport.terminateSession(); // the SDK throws unless the DELETE succeeded
    await client.close();
    const after = await post(everything(), JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }), {
      ...auth(admin),
      "mcp-session-id": sessionId,
      "mcp-protocol-version": "2025-11-25",
    });
    // The gateway keeps no session table: the origin, which ended the session, refuses it (server-everything says 400).
    expect([400, 404]).toContain(after.status);
    expect((await jsonBody(after)).error.code).toBeLessThan(0);
  });

  it("opens the GET stream of a session", async () => {
    const sessionId = await rawSession(everything(), admin);
    const controller = new AbortController();
    const response = await fetch(everything(), {
      headers: { accept: "text/event-stream", ...auth(admin), "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    controller.abort();
  });
});

describe("strict parsing and canonical forwarding", () => {
  async function rawCall(body: string, headers: Record<string, string> = {}) {
    const sessionId = await rawSession(recorderUrl(), admin);
    return post(recorderUrl(), body, { ...auth(admin), "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25", ...headers });
  }

  it("forwards the re-serialized message, not the client's bytes", async () => {
    const body = '{ "jsonrpc" : "2.0", "id" : 7, "method" : "tools/call", "params" : { "name" : "\\u0065cho", "arguments" : { "message" : "h\\u00e9" } } }';
    const response = await rawCall(body);
    expect(response.status).toBe(200);
    expect((await jsonBody(response)).result.content[0].text).toBe("hé");
    const forwarded = setup.recorder.requests.at(-1)!;
    expect(forwarded.body).toBe(JSON.stringify(JSON.parse(body)));
    expect(forwarded.body).not.toBe(body);
  });

  it.each([
    ["duplicate keys", '{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call"}'],
    ["a __proto__ key", '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"__proto__":{"x":1}}}'],
    ["trailing garbage", '{"jsonrpc":"2.0","id":1,"method":"tools/list"} x'],
    ["a lone surrogate", '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"\\ud800"}}'],
    ["a number beyond double range", '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"n":1e400}}'],
    ["deep nesting", `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":${'{"a":'.repeat(80)}1${"}".repeat(80)}}`],
  ])("refuses %s with -32700", async (_, body) => {
    const response = await rawCall(body);
    expect(response.status).toBe(400);
    expect((await jsonBody(response)).error.code).toBe(-32700);
  });

  it("refuses invalid UTF-8 with -32700", async () => {
    const sessionId = await rawSession(recorderUrl(), admin);
    const bytes = new Uint8Array([...new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"'), 0xc3, 0x28, ...new TextEncoder().encode('"}}')]);
    const response = await fetch(recorderUrl(), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...auth(admin), "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
      body: bytes,
    });
    expect(response.status).toBe(400);
    expect((await jsonBody(response)).error.code).toBe(-32700);
  });

  it.each([
    ["a batch", '[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]', -32600],
    ["a wrong jsonrpc version", '{"jsonrpc":"1.0","id":1,"method":"tools/list"}', -32600],
    ["an unknown member", '{"jsonrpc":"2.0","id":1,"method":"tools/list","extra":true}', -32600],
    ["a null id", '{"jsonrpc":"2.0","id":null,"method":"tools/list"}', -32600],
    ["params that are an array", '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":[]}', -32600],
    ["an unknown method", '{"jsonrpc":"2.0","id":1,"method":"tools/destroy"}', -32601],
    ["a method in another case", '{"jsonrpc":"2.0","id":1,"method":"Tools/List"}', -32601],
    ["tools/call without a name", '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}', -32602],
  ])("refuses %s with %i and keeps the request id", async (_, body, code) => {
    const response = await rawCall(body);
    expect(response.status).toBe(400);
    const answer = await jsonBody(response);
    expect(answer.error.code).toBe(code);
    expect(answer.id).toBe(Array.isArray(JSON.parse(body)) || JSON.parse(body).id === null ? null : 1);
  });

  it("answers notifications with 202", async () => {
    const response = await rawCall('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    expect(response.status).toBe(202);
  });
});

describe("transport checks", () => {
  const list = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';

  it("answers an unknown origin with 404 and a JSON-RPC body", async () => {
    const response = await post(`${setup.gateway.url}/mcp/nowhere`, list, auth(admin));
    expect(response.status).toBe(404);
    expect((await jsonBody(response)).error).toMatchObject({ code: -32000, message: "Unknown MCP endpoint" });
  });

  it.each([
    ["a missing event-stream in Accept", { accept: "application/json" }, 406],
    ["a non-JSON content type", { "content-type": "text/plain" }, 415],
    ["a foreign charset", { "content-type": "application/json; charset=latin1" }, 415],
    ["a content encoding", { "content-encoding": "gzip" }, 415],
    ["an unsupported protocol version", { "mcp-protocol-version": "2024-11-05" }, 400],
    ["a forbidden browser origin", { origin: "https://evil.example" }, 403],
  ])("refuses %s", async (_, headers, status) => {
    const response = await post(everything(), initialize(), { ...auth(admin), ...headers });
    expect(response.status).toBe(status);
    expect((await jsonBody(response)).jsonrpc).toBe("2.0");
  });

  it("accepts an allowed browser origin", async () => {
    const response = await post(everything(), initialize(), { ...auth(admin), origin: "http://localhost:6274" });
    expect(response.status).toBe(200);
    await response.text();
  });

  it("refuses a body over the limit with 413, by header and by stream", async () => {
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { cursor: "x".repeat(1024 * 1024) } });
    const response = await post(everything(), big, auth(admin));
    expect(response.status).toBe(413);
    expect((await jsonBody(response)).error.code).toBe(-32000);
    // By stream: a chunked body with no length, one 64 KiB chunk past the 1 MiB limit and never ended.
    // The gateway reads every byte sent before it refuses, so it closes a connection with nothing
    // unread (no reset that could lose its answer): the 413 always arrives.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(everything(), { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "transfer-encoding": "chunked", ...auth(admin) } });
      request.on("response", (response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      });
      request.on("error", reject);
      for (let i = 0; i < 17; i++) request.write("x".repeat(64 * 1024));
    });
    expect(status).toBe(413);
  });

  it("refuses a tampered or foreign session id with 404", async () => {
    const sessionId = await rawSession(everything(), admin);
    const tampered = sessionId.slice(0, -2) + (sessionId.endsWith("A") ? "BB" : "AA");
    for (const id of [tampered, "w1.abc.2025-11-25.def", "not-a-session"]) {
      const response = await post(everything(), list, { ...auth(admin), "mcp-session-id": id, "mcp-protocol-version": "2025-11-25" });
      expect(response.status).toBe(404);
      expect((await jsonBody(response)).error.code).toBe(-32001);
    }
    // A session opened on one origin is not valid on another.
    const elsewhere = await post(recorderUrl(), list, { ...auth(admin), "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" });
    expect(elsewhere.status).toBe(404);
  });

  it("drops initialize instructions that fail the poisoning scan (here: invisible characters) and keeps the rest of the answer", async () => {
    const response = await post(recorderUrl(), initialize(), auth(admin));
    const answer = await jsonBody(response);
    expect(answer.result.instructions).toBeUndefined();
    expect(answer.result.serverInfo).toEqual({ name: "test-origin", version: "1.0.0" });
  });

  it("refuses unsupported HTTP methods with 405", async () => {
    const response = await fetch(everything(), { method: "PUT", headers: auth(admin), body: "{}" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST, DELETE");
  });

  it("answers a GET stream without a session with 405, as a server without one does", async () => {
    const response = await fetch(everything(), { headers: { ...auth(admin), accept: "text/event-stream", "mcp-protocol-version": "2025-11-25" } });
    expect(response.status).toBe(405);
    expect((await jsonBody(response)).error.code).toBe(-32000);
  });
});

describe("header smuggling", () => {
  /** Raw bytes on a socket: fetch refuses to send what these tests need to send. */
  function rawRequest(head: string, body: string, declaredLength = Buffer.byteLength(body)): Promise<string> {
    const { hostname, port } = new URL(setup.gateway.url);
    return new Promise((resolve) => {
      const socket = connectSocket({ host: hostname, port: Number(port) }, () => socket.end(`${head}\r\ncontent-length: ${declaredLength}\r\n\r\n${body}`));
      let answer = "";
      socket.on("data", (chunk) => (answer += chunk.toString()));
      socket.on("close", () => resolve(answer));
      socket.on("error", () => resolve(answer));
      socket.setTimeout(5000, () => socket.destroy());
    });
  }
  const list = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  const start = (path: string) =>
    `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\nmcp-protocol-version: 2025-11-25`;

  it("refuses a body over the limit that declares a small Content-Length but comes chunked", async () => {
    const admin = await setup.gateway.mint(["admin"]);
    const before = setup.recorder.requests.length;
    const payload = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { cursor: "x".repeat(1200 * 1024) } });
    const chunked = `${payload.length.toString(16)}\r\n${payload}\r\n0\r\n\r\n`;
    const answer = await rawRequest(`${start("/mcp/recorder")}\r\nauthorization: Bearer ${admin}\r\ntransfer-encoding: chunked`, chunked, 20);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
    expect(status === 0 || status === 400 || status === 413).toBe(true);
    expect(setup.recorder.requests.length).toBe(before);
  });

  it.each([
    ["a bare CR inside a header value", (token: string) => `authorization: Bearer ${token}\rx-injected: 1`],
    ["a bare LF inside a header value", (token: string) => `authorization: Bearer ${token}\nx-injected: 1`],
    ["an obsolete line folding", (token: string) => `authorization: Bearer\r\n ${token}\r\nx-injected: 1`],
  ])("forwards nothing of a request with %s but what the gateway chose", async (_name, header) => {
    // The HTTP parser in front of the Worker either refuses such a request or splits it into plain
    // headers; either way no client header, injected or not, may reach the origin.
    const admin = await setup.gateway.mint(["admin"]);
    const before = setup.recorder.requests.length;
    const answer = await rawRequest(`${start("/mcp/recorder")}\r\n${header(admin)}`, list);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
    expect(status === 0 || status === 200 || status >= 400).toBe(true);
    for (const forwarded of setup.recorder.requests.slice(before)) {
      expect(Object.keys(forwarded.headers)).not.toContain("x-injected");
      expect(JSON.stringify(forwarded.headers)).not.toContain(admin);
      expect(forwarded.headers.authorization).toBe(`Bearer ${TEST_SECRETS.RECORDER_TOKEN}`);
    }
    // The gateway is still up and answering.
    const after = await rawRequest(`${start("/mcp/recorder")}\r\nauthorization: Bearer ${admin}`, list);
    expect(after).toMatch(/^HTTP\/1\.1 200/);
    // No limit applies to the recorder: no empty RateLimit-Policy header either.
    expect(after.toLowerCase()).not.toContain("ratelimit-policy");
  });
});

describe("the stateless revision 2026-07-28", () => {
  const call = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "echo", arguments: { message: "stateless" } } });
  const headers = (extra: Record<string, string>) => ({ ...auth(admin), "mcp-protocol-version": "2026-07-28", ...extra });

  it("forwards a request whose Mcp-Method and Mcp-Name match the body, without a session", async () => {
    const response = await post(recorderUrl(), call, headers({ "mcp-method": "tools/call", "mcp-name": "echo", "mcp-session-id": "ignored" }));
    expect(response.status).toBe(200);
    expect((await jsonBody(response)).result.content[0].text).toBe("stateless");
    const forwarded = setup.recorder.requests.at(-1)!;
    expect(forwarded.headers["mcp-method"]).toBe("tools/call");
    expect(forwarded.headers["mcp-name"]).toBe("echo");
    expect(forwarded.headers["mcp-protocol-version"]).toBe("2026-07-28");
    expect(forwarded.headers["mcp-session-id"]).toBeUndefined();
  });

  it.each([
    ["a different Mcp-Method", { "mcp-method": "tools/list", "mcp-name": "echo" }],
    ["a different Mcp-Name", { "mcp-method": "tools/call", "mcp-name": "get-env" }],
    ["missing headers", {}],
  ])("refuses %s with -32020", async (_, extra) => {
    const response = await post(recorderUrl(), call, headers(extra));
    expect(response.status).toBe(400);
    expect((await jsonBody(response)).error.code).toBe(-32020);
  });

  it("has no initialize, GET stream or DELETE", async () => {
    const init = await post(recorderUrl(), initialize(), headers({ "mcp-method": "initialize" }));
    expect((await jsonBody(init)).error.code).toBe(-32601);
    const get = await fetch(recorderUrl(), { headers: { accept: "text/event-stream", ...headers({}) } });
    expect(get.status).toBe(405);
  });
});

describe("origin failures", () => {
  async function callTool(url: string, name: string) {
    const sessionId = url === recorderUrl() ? await rawSession(url, admin) : undefined;
    return post(url, JSON.stringify({ jsonrpc: "2.0", id: "call-1", method: "tools/call", params: { name, arguments: {} } }), {
      ...auth(admin),
      "mcp-protocol-version": "2025-11-25",
      ...(sessionId ? { "mcp-session-id": sessionId } : {}),
    });
  }

  function expectNoLeak(text: string) {
    expect(text).not.toContain("127.0.0.1");
    expect(text).not.toContain(String(PORTS.recorder));
    expect(text).not.toContain("hunter2");
    expect(text).not.toMatch(/\bat \S+:\d+/);
  }

  /** The failure's audit event: emitted once the answer is over, so it may trail the response a little. */
  async function expectAuditEvent(tool: string, code: number) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const events = setup.gateway.logs.filter((line) => line.startsWith('{"audit"')).map((line) => JSON.parse(line).audit);
      const event = events.findLast((candidate) => candidate.target === tool && candidate.errorCode === code);
      if (event) {
        expect(event).toMatchObject({ decision: "error", method: "tools/call", reason: expect.any(String) });
        expect(JSON.stringify(event)).not.toContain("127.0.0.1");
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no audit event for ${tool} with error ${code}`);
  }

  it("answers a dead origin with 502 and the request id", async () => {
    const response = await callTool(`${setup.gateway.url}/mcp/dead`, "echo");
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ id: "call-1", error: { code: -32050 } });
    expectNoLeak(text);
    await expectAuditEvent("echo", -32050);
  });

  it("answers a slow origin with 504", async () => {
    const response = await callTool(recorderUrl(), "slow");
    expect(response.status).toBe(504);
    expect(await jsonBody(response)).toMatchObject({ id: "call-1", error: { code: -32051 } });
    await expectAuditEvent("slow", -32051);
  });

  it.each([
    ["garbage", 502, -32052],
    ["html", 502, -32052],
    ["crash", 502, -32052],
    ["deep", 502, -32052],
    ["huge-json", 502, -32052],
    ["bad-gzip", 502, -32052],
    ["latin1", 502, -32052],
  ])("answers an origin that sends %s with %i", async (name, status, code) => {
    const response = await callTool(recorderUrl(), name);
    expect(response.status).toBe(status);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ id: "call-1", error: { code } });
    expectNoLeak(text);
    await expectAuditEvent(name, code);
  });

  it("relays a stream that outlasts the idle timeout while never going idle", async () => {
    const response = await callTool(recorderUrl(), "steady");
    expect(response.status).toBe(200);
    const events = (await response.text()).split("\n").filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6)));
    expect(events.filter((event) => event.method === "notifications/message")).toHaveLength(6);
    expect(events.at(-1)).toMatchObject({ id: "call-1", result: { content: [{ type: "text", text: "finished" }] } });
  });

  it.each([
    ["hangs mid-stream", "hang", -32051],
    ["drops the connection in the middle of an event", "cut", -32050],
    ["sends an oversized event", "huge", -32052],
  ])("ends the stream with a JSON-RPC error when the origin %s", async (_, name, code) => {
    const response = await callTool(recorderUrl(), name);
    expect(response.status).toBe(200);
    const text = await response.text();
    const events = text.split("\n").filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6)));
    expect(events.at(-1)).toMatchObject({ id: "call-1", error: { code } });
    expectNoLeak(text);
    await expectAuditEvent(name, code);
  });
});
