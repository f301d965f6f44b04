// Forwarding to an origin. src/forward/origin.ts `callOrigin` against a real node:http server on
// 127.0.0.1 (an ephemeral port, closed after): exactly the headers the gateway chose go upstream,
// redirects are not followed, a silent origin is originTimeout, a refused connection is
// originUnavailable without the origin's address on the wire. src/forward/stage.ts `originCall`: what
// is sent for POST, the GET stream, DELETE and the stateless revision, from Incoming objects built on
// the method table's rows (src/mcp/methods.ts).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { errorMessage } from "../../src/errors.js";
import { callOrigin } from "../../src/forward/origin.js";
import { originCall } from "../../src/forward/stage.js";
import { parseJson } from "../../src/mcp/json.js";
import { classify } from "../../src/mcp/jsonrpc.js";
import { METHODS, OTHER_MESSAGES } from "../../src/mcp/methods.js";
import type { Incoming } from "../../src/mcp/stage.js";
import type { CompiledOrigin } from "../../src/policy/types.js";
import { failureOf } from "../support/failure.js";

type Seen = { method: string; url: string; headers: Record<string, string>; rawNames: string[]; body: string };

/** Headers the HTTP client itself adds to every request (Node's fetch here, workerd's in production). */
const TRANSPORT_HEADERS = new Set(["host", "connection", "content-length", "user-agent", "accept-encoding", "accept-language", "sec-fetch-mode"]);

let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: (request: IncomingMessage, response: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(", ") : (value ?? "");
      const rawNames = request.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
      seen.push({ method: request.method ?? "", url: request.url ?? "", headers, rawNames, body: Buffer.concat(chunks).toString("utf8") });
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
  answer = (_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end('{"jsonrpc":"2.0","id":1,"result":{}}');
  };
});

function origin(overrides: Partial<CompiledOrigin> = {}): CompiledOrigin {
  return {
    url: `${base}/mcp`,
    timeoutMs: 5_000,
    scrub: { families: [], action: "redact", allow: [] },
    integrity: { drift: "block", poisoning: "hide" },
    credential: { secret: "ORIGIN_TOKEN", header: "x-api-key", prefix: "Key " },
    ...overrides,
  };
}

/** The request's headers without the ones the HTTP client adds on its own. */
function chosen(request: Seen): Record<string, string> {
  return Object.fromEntries(Object.entries(request.headers).filter(([name]) => !TRANSPORT_HEADERS.has(name)));
}


describe("callOrigin", () => {
  it("sends exactly the headers the gateway chose, the credential with its prefix, and the body", async () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}';
    const response = await callOrigin(origin(), "s3cret", {
      method: "POST",
      body,
      version: "2026-07-28",
      sessionId: "origin-session-1",
      lastEventId: "evt-9",
      mcpMethod: "tools/call",
      mcpName: "echo",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ jsonrpc: "2.0", id: 1, result: {} });
    expect(seen).toHaveLength(1);
    const request = seen[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/mcp");
    expect(request.body).toBe(body);
    expect(chosen(request)).toEqual({
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-protocol-version": "2026-07-28",
      "mcp-session-id": "origin-session-1",
      "last-event-id": "evt-9",
      "mcp-method": "tools/call",
      "mcp-name": "echo",
      "x-api-key": "Key s3cret",
    });
    // Nothing the client could have sent (Authorization, cookies, forwarding headers) is there.
    for (const name of ["authorization", "cookie", "x-forwarded-for", "cf-connecting-ip", "origin", "referer"]) expect(request.rawNames).not.toContain(name);
  });

  it("sends only accept for a bare GET, and no credential header when the origin has none", async () => {
    await callOrigin(origin({ credential: undefined }), "ignored", { method: "GET" });
    expect(seen[0]!.method).toBe("GET");
    expect(seen[0]!.body).toBe("");
    expect(chosen(seen[0]!)).toEqual({ accept: "application/json, text/event-stream" });
  });

  it("puts the credential in the header the policy names (Authorization with a Bearer prefix)", async () => {
    await callOrigin(origin({ credential: { secret: "S", header: "authorization", prefix: "Bearer " } }), "tok-123", { method: "DELETE", sessionId: "s" });
    expect(seen[0]!.method).toBe("DELETE");
    expect(chosen(seen[0]!)).toEqual({ accept: "application/json, text/event-stream", "mcp-session-id": "s", authorization: "Bearer tok-123" });
  });

  it("sends no credential header when the secret's value is missing", async () => {
    await callOrigin(origin(), undefined, { method: "POST", body: "{}" });
    expect(seen[0]!.rawNames).not.toContain("x-api-key");
  });

  it("does not follow a redirect: the 302 comes back as it is", async () => {
    answer = (_request, response) => {
      response.writeHead(302, { location: `${base}/elsewhere` });
      response.end();
    };
    const response = await callOrigin(origin(), "s3cret", { method: "POST", body: "{}" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${base}/elsewhere`);
    expect(seen.map((request) => request.url)).toEqual(["/mcp"]);
  });

  it("gives up with originTimeout when the origin does not answer within timeoutMs", async () => {
    answer = () => {}; // never answers
    const error = await failureOf(callOrigin(origin({ timeoutMs: 150 }), "s3cret", { method: "POST", body: "{}" }));
    expect(error.kind).toBe("originTimeout");
    expect(error.toJsonRpcError()).toEqual({ code: -32051, message: "Origin timed out" });
  });

  it("returns once the headers are in: a slow body is not the connection timeout's business", async () => {
    answer = (_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(": open\n\n");
      // The rest never comes; the answer path's idle timeout handles that.
    };
    const response = await callOrigin(origin({ timeoutMs: 150 }), "s3cret", { method: "GET" });
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(": open\n\n");
    await reader.cancel();
  });

  it("turns a refused connection into originUnavailable, without the URL or port on the wire", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failureOf(callOrigin(origin({ url: `http://127.0.0.1:${port}/secret-path` }), "s3cret", { method: "POST", body: "{}" }));
    expect(error.kind).toBe("originUnavailable");
    expect(error.status).toBe(502);
    const wire = errorMessage(error, 1);
    expect(JSON.parse(wire)).toEqual({ jsonrpc: "2.0", id: 1, error: { code: -32050, message: "Origin unavailable" } });
    for (const leak of [String(port), "127.0.0.1", "secret-path"]) expect(wire).not.toContain(leak);
  });
});

describe("originCall", () => {
  const session = { originSessionId: "origin-session-42", version: "2025-11-25" as const };
  const parsed = (text: string) => classify(parseJson(text, 32));

  it("POSTs the parsed message re-serialized, with the session's id and version", () => {
    const message = parsed('{ "jsonrpc": "2.0", "id": 7,\n  "method": "tools/call", "params": { "name": "echo", "arguments": { "b": 2, "a": 1 } } }');
    const incoming: Incoming = { row: METHODS["tools/call"]!, method: "tools/call", message, target: "echo", requestId: 7, version: "2025-11-25", stateless: false, session };
    expect(originCall(incoming)).toEqual({
      method: "POST",
      body: '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"b":2,"a":1}}}',
      version: "2025-11-25",
      sessionId: "origin-session-42",
    });
  });

  it("POSTs initialize without a session or version when it has none", () => {
    const message = parsed('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}');
    const incoming: Incoming = { row: METHODS.initialize!, method: "initialize", message, requestId: 0, stateless: false };
    expect(originCall(incoming)).toEqual({ method: "POST", body: JSON.stringify(message.message) });
  });

  it("opens the GET stream with the Last-Event-ID to resume from, and no body", () => {
    const incoming: Incoming = { row: OTHER_MESSAGES["GET stream"], method: "GET stream", stateless: false, session, version: "2025-11-25", lastEventId: "stream-1/17" };
    expect(originCall(incoming)).toEqual({ method: "GET", version: "2025-11-25", sessionId: "origin-session-42", lastEventId: "stream-1/17" });
    const fresh: Incoming = { row: OTHER_MESSAGES["GET stream"], method: "GET stream", stateless: false, session, version: "2025-11-25" };
    expect(originCall(fresh)).toEqual({ method: "GET", version: "2025-11-25", sessionId: "origin-session-42" });
  });

  it("ends the session with DELETE", () => {
    const incoming: Incoming = { row: OTHER_MESSAGES["DELETE session"], method: "DELETE session", stateless: false, session, version: "2025-06-18" };
    expect(originCall(incoming)).toEqual({ method: "DELETE", version: "2025-06-18", sessionId: "origin-session-42" });
  });

  it("mirrors Mcp-Method and Mcp-Name from the checked body under the stateless revision", () => {
    const call = parsed('{"jsonrpc":"2.0","id":"a","method":"resources/read","params":{"uri":"file:///notes.txt"}}');
    const incoming: Incoming = { row: METHODS["resources/read"]!, method: "resources/read", message: call, target: "file:///notes.txt", requestId: "a", version: "2026-07-28", stateless: true };
    expect(originCall(incoming)).toEqual({
      method: "POST",
      body: JSON.stringify(call.message),
      version: "2026-07-28",
      mcpMethod: "resources/read",
      mcpName: "file:///notes.txt",
    });
  });

  it("sends Mcp-Method without Mcp-Name for a stateless request or notification that names nothing", () => {
    const ping = parsed('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    expect(originCall({ row: METHODS.ping!, method: "ping", message: ping, requestId: 1, version: "2026-07-28", stateless: true })).toEqual({
      method: "POST",
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      version: "2026-07-28",
      mcpMethod: "ping",
    });
    const cancelled = parsed('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}');
    const call = originCall({ row: METHODS["notifications/cancelled"]!, method: "notifications/cancelled", message: cancelled, version: "2026-07-28", stateless: true });
    expect(call.mcpMethod).toBe("notifications/cancelled");
    expect("mcpName" in call).toBe(false);
  });

  it("sends no Mcp-Name for a method whose row names no target, even when the request has one (completion/complete)", () => {
    const complete = parsed('{"jsonrpc":"2.0","id":5,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"who","value":"a"}}}');
    const incoming: Incoming = { row: METHODS["completion/complete"]!, method: "completion/complete", message: complete, target: "greet", targetKind: "prompt", requestId: 5, version: "2026-07-28", stateless: true };
    expect(originCall(incoming)).toEqual({ method: "POST", body: JSON.stringify(complete.message), version: "2026-07-28", mcpMethod: "completion/complete" });
  });

  it("sends no routing headers for a client's response, nor outside the stateless revision", () => {
    const response = parsed('{"jsonrpc":"2.0","id":"srv-1","result":{"roots":[]}}');
    // The transport refuses responses under the stateless revision; originCall must not mirror one either way.
    for (const stateless of [true, false]) {
      const call = originCall({ row: OTHER_MESSAGES.response, method: "response", message: response, stateless, session });
      expect(call).toEqual({ method: "POST", body: '{"jsonrpc":"2.0","id":"srv-1","result":{"roots":[]}}', sessionId: "origin-session-42" });
    }
    const toolCall = parsed('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}');
    const sessionCall = originCall({ row: METHODS["tools/call"]!, method: "tools/call", message: toolCall, target: "echo", requestId: 2, version: "2025-11-25", stateless: false, session });
    expect("mcpMethod" in sessionCall || "mcpName" in sessionCall).toBe(false);
  });

  it("what originCall builds is what the origin receives", async () => {
    const message = parsed('{"jsonrpc":"2.0" , "id":3,"method":"prompts/get","params":{"name":"greet","arguments":{"who":"ünïcode"}}}');
    const incoming: Incoming = { row: METHODS["prompts/get"]!, method: "prompts/get", message, target: "greet", requestId: 3, version: "2026-07-28", stateless: true };
    await callOrigin(origin(), "s3cret", originCall(incoming));
    expect(seen[0]!.body).toBe(JSON.stringify(message.message));
    expect(chosen(seen[0]!)).toEqual({
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "prompts/get",
      "mcp-name": "greet",
      "x-api-key": "Key s3cret",
    });
  });
});
