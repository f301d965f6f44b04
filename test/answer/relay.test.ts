// Relaying an origin's answer to the client (src/answer/relay.ts): JSON answers that must settle the
// request, 202/204, SSE relayed event by event through the hook (ids kept, other responses dropped,
// withheld and changed messages), the in-band JSON-RPC error when the origin stops or fails mid-stream,
// relayed 4xx JSON-RPC errors, refused statuses and content types, the `headers` option (initialize),
// and onEnd called exactly once on every path. Real Response and ReadableStream objects throughout.

import { describe, expect, it } from "vitest";
import type { AnswerLimits } from "../../src/answer/read.js";
import { relay, type AnswerHook, type RelayOptions } from "../../src/answer/relay.js";
import { GatewayError } from "../../src/errors.js";
import type { JsonRpcMessage } from "../../src/mcp/jsonrpc.js";
import { SseParser, type SseEvent } from "../../src/mcp/sse.js";
import { failureOf as thrownBy } from "../support/failure.js";

const encoder = new TextEncoder();
const limits: AnswerLimits = { maxEventBytes: 64 * 1024, maxDepth: 32 };
const identity: AnswerHook = async (message) => message;

type Ended = { error?: GatewayError; bytes: number };

/** Options with an onEnd that records every call. */
function options(extra: Partial<RelayOptions> = {}): { options: RelayOptions; ends: Ended[] } {
  const ends: Ended[] = [];
  return { options: { limits, hook: identity, onEnd: (outcome) => ends.push(outcome), ...extra }, ends };
}

/** A stream that hands out the chunks one per read, then closes, errors or stays open. */
function originStream(chunks: string[], then: "close" | "open" | Error = "close"): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let index = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (index < chunks.length) controller.enqueue(encoder.encode(chunks[index++]!));
        else if (then === "close") controller.close();
        else if (then === "open") return new Promise<void>(() => {});
        else controller.error(then);
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, cancelled: () => cancelled };
}

function sseResponse(stream: ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Response {
  return new Response(stream, { headers: { "content-type": "text/event-stream", ...headers } });
}

function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

const event = (message: unknown, id?: string) => `${id === undefined ? "" : `id: ${id}\n`}data: ${JSON.stringify(message)}\n\n`;

/** Every event the client receives, parsed. */
async function clientEvents(response: Response): Promise<SseEvent[]> {
  const parser = new SseParser(1 << 20);
  const events = parser.push(await response.text());
  expect(parser.midEvent).toBe(false);
  return events;
}


const answer = (id: number | string, value: string) => ({ jsonrpc: "2.0", id, result: { value } });
const progress = (n: number) => ({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "t", progress: n } });

describe("relay: JSON answers", () => {
  it("passes an answer that settles the request through the hook, and reports its size once", async () => {
    const seen: JsonRpcMessage[] = [];
    const hook: AnswerHook = async (message) => {
      seen.push(message);
      if (message.kind !== "response" || !("result" in message.message)) return message;
      return { kind: "response", message: { ...message.message, result: { value: "reviewed" } } };
    };
    const { options: opts, ends } = options({ requestId: 5, hook });
    const response = await relay(jsonResponse(answer(5, "original")), opts);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ jsonrpc: "2.0", id: 5, result: { value: "reviewed" } });
    expect(seen).toEqual([{ kind: "response", message: answer(5, "original") }]);
    expect(ends).toEqual([{ bytes: body.length }]);
  });

  it("re-serializes the answer (the origin's bytes never reach the client)", async () => {
    const { options: opts } = options({ requestId: "r1" });
    const response = await relay(jsonResponse('{ "jsonrpc" : "2.0",\n "id":"r1", "result" : {"value":"x"} }'), opts);
    expect(await response.text()).toBe('{"jsonrpc":"2.0","id":"r1","result":{"value":"x"}}');
  });

  it("refuses an answer that does not settle the request, after calling onEnd once with the error", async () => {
    for (const body of [answer(6, "other id"), answer("5", "string id")]) {
      let hooked = 0;
      const { options: opts, ends } = options({ requestId: 5, hook: async (m) => (hooked++, m) });
      const error = await thrownBy(relay(jsonResponse(body), opts));
      expect(error.kind).toBe("originInvalidAnswer");
      expect(hooked).toBe(0);
      expect(ends).toHaveLength(1);
      expect(ends[0]!.error).toBe(error);
      expect(ends[0]!.bytes).toBe(0);
    }
  });

  it("relays a JSON body of several messages (newline-delimited) as SSE, event by event, ending with the answer", async () => {
    const { options: opts, ends } = options({ requestId: 5 });
    const body = [progress(1), progress(2), answer(5, "done")].map((message) => JSON.stringify(message)).join("\n") + "\n";
    const response = await relay(jsonResponse(body), opts);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const data = (await response.text()).split("\n").filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6)));
    expect(data).toEqual([progress(1), progress(2), answer(5, "done")]);
    expect(ends).toHaveLength(1);
    expect(ends[0]!.error).toBeUndefined();
  });

  it("ends a JSON stream of notifications that never answers with the request's error, and refuses a response followed by more", async () => {
    const { options: opts } = options({ requestId: 5 });
    const response = await relay(jsonResponse(JSON.stringify(progress(1)) + "\n"), opts);
    const data = (await response.text()).split("\n").filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6)));
    expect(data.at(-1)).toMatchObject({ id: 5, error: { code: -32052 } });
    const trailing = options({ requestId: 5 });
    const error = await thrownBy(relay(jsonResponse(JSON.stringify(answer(5, "a")) + "\n" + JSON.stringify(progress(1))), trailing.options));
    expect(error.kind).toBe("originInvalidAnswer");
  });

  it("refuses an answer the hook withholds", async () => {
    const { options: opts, ends } = options({ requestId: 1, hook: async () => undefined });
    const error = await thrownBy(relay(jsonResponse(answer(1, "x")), opts));
    expect(error.kind).toBe("originInvalidAnswer");
    expect(ends).toEqual([{ error, bytes: 0 }]);
  });

  it("refuses an invalid JSON body, calling onEnd once", async () => {
    const { options: opts, ends } = options({ requestId: 1 });
    const error = await thrownBy(relay(jsonResponse("{not json"), opts));
    expect(error.kind).toBe("originInvalidAnswer");
    expect(ends).toEqual([{ error, bytes: 0 }]);
  });

  it("calls onEnd once with the error when the hook throws", async () => {
    const failure = new GatewayError("integrityStoreUnavailable", "kv down");
    const { options: opts, ends } = options({
      requestId: 1,
      hook: async () => {
        throw failure;
      },
    });
    expect(await thrownBy(relay(jsonResponse(answer(1, "x")), opts))).toBe(failure);
    expect(ends).toEqual([{ error: failure, bytes: 0 }]);
  });

  // BUG (src/answer/relay.ts:79, 105, 152): `bytes` is the UTF-16 length of the re-serialized answer, not
  // its size in bytes (docs/audit-events.md: responseBytes is "bytes of the re-serialized answer"; the answer
  // stage charges it to `measure: bytes` limits), so non-ASCII answers are undercounted up to 3x.
  it("reports the answer's size in UTF-8 bytes", async () => {
    const { options: opts, ends } = options({ requestId: 1 });
    const response = await relay(jsonResponse(answer(1, "€€€€€€€€€€")), opts);
    const body = new Uint8Array(await response.arrayBuffer());
    expect(ends).toEqual([{ bytes: body.byteLength }]);
  });
});

describe("relay: empty answers and statuses", () => {
  it("answers a notification's 202 with an empty 202", async () => {
    const { options: opts, ends } = options();
    const origin = originStream(["ignored"], "open");
    const response = await relay(new Response(origin.stream, { status: 202 }), opts);
    expect(response.status).toBe(202);
    expect(await response.text()).toBe("");
    expect(origin.cancelled()).toBe(true);
    expect(ends).toEqual([{ bytes: 0 }]);
    // 204, and a 200 without a body, are empty answers too.
    for (const status of [204, 200]) {
      const empty = options();
      const answered = await relay(new Response(null, { status }), empty.options);
      expect(answered.status).toBe(status);
      expect(await answered.text()).toBe("");
      expect(empty.ends).toEqual([{ bytes: 0 }]);
    }
  });

  it("refuses a 202 or 204 answer to a request", async () => {
    for (const status of [202, 204]) {
      const { options: opts, ends } = options({ requestId: 3 });
      const error = await thrownBy(relay(new Response(null, { status }), opts));
      expect(error.kind).toBe("originInvalidAnswer");
      expect(ends).toEqual([{ error, bytes: 0 }]);
    }
  });

  it("relays a 4xx whose body is a JSON-RPC error with its status, through the hook", async () => {
    for (const status of [400, 404, 429]) {
      const hook: AnswerHook = async (message) => (message.kind === "response" && "error" in message.message ? { kind: "response", message: { ...message.message, error: { code: -32600, message: "reviewed" } } } : message);
      const { options: opts, ends } = options({ requestId: 2, hook });
      const response = await relay(jsonResponse({ jsonrpc: "2.0", id: 2, error: { code: -32600, message: "Invalid request" } }, status), opts);
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toBe("application/json");
      const body = await response.text();
      expect(JSON.parse(body)).toEqual({ jsonrpc: "2.0", id: 2, error: { code: -32600, message: "reviewed" } });
      expect(ends).toEqual([{ bytes: body.length }]);
    }
  });

  it("refuses a 4xx without a JSON-RPC error body", async () => {
    for (const body of ["Bad Request", JSON.stringify(answer(2, "a result with a 400"))]) {
      const { options: opts, ends } = options({ requestId: 2 });
      const error = await thrownBy(relay(new Response(body, { status: 400, headers: { "content-type": "application/json" } }), opts));
      expect(error.kind).toBe("originInvalidAnswer");
      expect(ends).toEqual([{ error, bytes: 0 }]);
    }
  });

  it("refuses 5xx, 401/403 and redirects, whatever the body", async () => {
    for (const status of [500, 502, 503, 401, 403, 302]) {
      const { options: opts, ends } = options({ requestId: 2 });
      const origin = originStream([JSON.stringify({ jsonrpc: "2.0", id: 2, error: { code: -32603, message: "Internal" } })]);
      const error = await thrownBy(relay(new Response(origin.stream, { status, headers: { "content-type": "application/json" } }), opts));
      expect(error.kind).toBe("originInvalidAnswer");
      expect(error.status).toBe(502);
      expect(ends).toEqual([{ error, bytes: 0 }]);
    }
  });

  it("maps the origin's 405 to methodNotAllowed", async () => {
    const { options: opts, ends } = options({ requestId: 2 });
    const error = await thrownBy(relay(new Response("no", { status: 405 }), opts));
    expect(error.kind).toBe("methodNotAllowed");
    expect(ends).toEqual([{ error, bytes: 0 }]);
  });

  it("refuses a 200 answer that is neither JSON nor an event stream, and cancels it", async () => {
    for (const type of ["text/html", "text/plain; charset=utf-8", ""]) {
      const { options: opts, ends } = options({ requestId: 2 });
      const origin = originStream(["<html>…</html>"], "open");
      const headers: Record<string, string> = type ? { "content-type": type } : {};
      const response = new Response(origin.stream, { headers });
      if (!type) response.headers.delete("content-type");
      const error = await thrownBy(relay(response, opts));
      expect(error.kind).toBe("originInvalidAnswer");
      expect(origin.cancelled()).toBe(true);
      expect(ends).toEqual([{ error, bytes: 0 }]);
    }
  });
});

describe("relay: SSE answers", () => {
  it("relays events one by one through the hook: ids kept, other responses dropped, withheld dropped, changed delivered", async () => {
    const hook: AnswerHook = async (message) => {
      if (message.kind === "notification" && message.message.params?.progress === 2) return undefined;
      if (message.kind === "response" && "result" in message.message) return { kind: "response", message: { ...message.message, result: { value: "scrubbed" } } };
      return message;
    };
    const { options: opts, ends } = options({ requestId: 10, hook });
    const origin = originStream([
      "id: prime\ndata: \n\n",
      event(progress(1), "e1"),
      event(answer(99, "someone else's answer"), "e2"),
      event(progress(2), "e3"),
      event({ jsonrpc: "2.0", id: "srv-1", method: "sampling/createMessage", params: {} }),
      event(answer(10, "secret"), "e5"),
    ]);
    const response = await relay(sseResponse(origin.stream), opts);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    const events = await clientEvents(response);
    expect(events).toEqual([
      { event: "message", data: "", id: "prime" },
      { event: "message", data: JSON.stringify(progress(1)), id: "e1" },
      { event: "message", data: JSON.stringify({ jsonrpc: "2.0", id: "srv-1", method: "sampling/createMessage", params: {} }) },
      { event: "message", data: JSON.stringify({ jsonrpc: "2.0", id: 10, result: { value: "scrubbed" } }), id: "e5" },
    ]);
    const dataBytes = events.reduce((sum, e) => sum + e.data.length, 0);
    expect(ends).toEqual([{ bytes: dataBytes }]);
  });

  it("ends with a JSON-RPC error for the request (-32052) when the origin ends the stream without answering", async () => {
    const { options: opts, ends } = options({ requestId: "req-7" });
    const response = await relay(sseResponse(originStream([event(progress(1)), event(answer("other", "x"))]).stream), opts);
    const events = await clientEvents(response);
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[1]!.data)).toEqual({ jsonrpc: "2.0", id: "req-7", error: { code: -32052, message: "Origin sent an invalid answer" } });
    expect(ends).toHaveLength(1);
    expect(ends[0]!.error?.kind).toBe("originInvalidAnswer");
    expect(ends[0]!.bytes).toBe(events[0]!.data.length);
  });

  it("ends with a JSON-RPC error for the request when the origin sends an invalid event mid-stream", async () => {
    const { options: opts, ends } = options({ requestId: 4 });
    const origin = originStream([event(progress(1)), "data: {broken\n\n", event(answer(4, "never read"))], "open");
    const events = await clientEvents(await relay(sseResponse(origin.stream), opts));
    expect(events.map((e) => JSON.parse(e.data))).toEqual([progress(1), { jsonrpc: "2.0", id: 4, error: { code: -32052, message: "Origin sent an invalid answer" } }]);
    expect(ends).toHaveLength(1);
    expect(ends[0]!.error?.kind).toBe("originInvalidAnswer");
    expect(origin.cancelled()).toBe(true);
  });

  it("ends with a JSON-RPC error for the request when the origin's stream fails mid-stream", async () => {
    const { options: opts, ends } = options({ requestId: 4 });
    const origin = originStream([event(progress(1))], new Error("connection reset by 10.0.0.7"));
    const response = await relay(sseResponse(origin.stream), opts);
    const text = await response.text();
    expect(text).not.toContain("10.0.0.7");
    const events = new SseParser(1 << 20).push(text);
    expect(JSON.parse(events.at(-1)!.data)).toEqual({ jsonrpc: "2.0", id: 4, error: { code: -32050, message: "Origin unavailable" } });
    expect(ends).toHaveLength(1);
    expect(ends[0]!.error?.kind).toBe("originUnavailable");
  });

  it("adds no error event when the origin fails after the request was settled, but still reports the error", async () => {
    const { options: opts, ends } = options({ requestId: 4 });
    const origin = originStream([event(answer(4, "done"))], new Error("reset"));
    const events = await clientEvents(await relay(sseResponse(origin.stream), opts));
    expect(events.map((e) => JSON.parse(e.data))).toEqual([answer(4, "done")]);
    expect(ends).toHaveLength(1);
    expect(ends[0]!.error?.kind).toBe("originUnavailable");
  });

  it("relays a GET stream (no request id): responses dropped, no error event when it ends", async () => {
    const { options: opts, ends } = options();
    const origin = originStream([event(answer(1, "stray"), "a"), event(progress(3), "b")]);
    const events = await clientEvents(await relay(sseResponse(origin.stream), opts));
    expect(events).toEqual([{ event: "message", data: JSON.stringify(progress(3)), id: "b" }]);
    expect(ends).toEqual([{ bytes: JSON.stringify(progress(3)).length }]);
  });

  it("reports the end once and cancels the origin when the client cancels", async () => {
    const { options: opts, ends } = options({ requestId: 1 });
    const origin = originStream([event(progress(1))], "open");
    const response = await relay(sseResponse(origin.stream), opts);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("notifications/progress");
    await reader.cancel();
    expect(ends).toEqual([{ bytes: JSON.stringify(progress(1)).length }]);
    expect(origin.cancelled()).toBe(true);
  });

  // BUG (src/answer/relay.ts:183-186): when the hook throws after the client's stream has begun, the pull
  // handler records the error and closes the stream, so the pending request never gets its JSON-RPC error
  // (the function's contract: "one after it has begun streaming is the pending request's last event").
  it("ends with a JSON-RPC error for the request when the hook fails mid-stream", async () => {
    const hook: AnswerHook = async (message) => {
      if (message.kind === "notification" && message.message.params?.progress === 2) throw new GatewayError("integrityStoreUnavailable", "kv down");
      return message;
    };
    const { options: opts } = options({ requestId: 4, hook });
    const origin = originStream([event(progress(1)), event(progress(2)), event(answer(4, "x"))], "open");
    const events = await clientEvents(await relay(sseResponse(origin.stream), opts));
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ jsonrpc: "2.0", id: 4, error: { code: -32033 } });
  });

  // BUG (same place): after the hook fails mid-stream the client's stream is closed but the origin's stream
  // is never cancelled (items.return() only runs on the client's cancel), so the origin connection leaks.
  it("cancels the origin's stream when the hook fails mid-stream", async () => {
    const hook: AnswerHook = async (message) => {
      if (message.kind === "notification" && message.message.params?.progress === 2) throw new Error("scrubber bug");
      return message;
    };
    const { options: opts, ends } = options({ requestId: 4, hook });
    const origin = originStream([event(progress(1)), event(progress(2))], "open");
    await (await relay(sseResponse(origin.stream), opts)).text();
    expect(ends).toHaveLength(1);
    expect(ends[0]!.error?.kind).toBe("internal");
    expect(origin.cancelled()).toBe(true);
  });
});

describe("relay: the headers option (initialize)", () => {
  const initialized = { jsonrpc: "2.0", id: 0, result: { protocolVersion: "2025-11-25", capabilities: {}, serverInfo: { name: "o", version: "1" } } };

  it("computes headers from the origin response and the settled answer (JSON)", async () => {
    const calls: { session: string | null; answer: JsonRpcMessage | undefined }[] = [];
    const { options: opts, ends } = options({
      requestId: 0,
      hook: async (message) => (message.kind === "response" && "result" in message.message ? { kind: "response", message: { ...message.message, result: { ...message.message.result, reviewed: true } } } : message),
      headers: async (origin, settled) => {
        calls.push({ session: origin.headers.get("mcp-session-id"), answer: settled });
        return { "mcp-session-id": "gateway-session" };
      },
    });
    const response = await relay(jsonResponse(initialized, 200, { "mcp-session-id": "origin-session" }), opts);
    expect(response.headers.get("mcp-session-id")).toBe("gateway-session");
    expect(calls).toEqual([{ session: "origin-session", answer: { kind: "response", message: { ...initialized, result: { ...initialized.result, reviewed: true } } } }]);
    expect(((await response.json()) as { result: { reviewed?: boolean } }).result.reviewed).toBe(true);
    expect(ends).toHaveLength(1);
  });

  it("holds an SSE answer until the request is settled, then computes headers from it", async () => {
    const calls: (JsonRpcMessage | undefined)[] = [];
    const { options: opts, ends } = options({
      requestId: 0,
      headers: async (_origin, settled) => {
        calls.push(settled);
        return { "mcp-session-id": "gateway-session" };
      },
    });
    const origin = originStream([event(progress(1), "1"), event(initialized, "2"), event(progress(2), "3")]);
    const response = await relay(sseResponse(origin.stream, { "mcp-session-id": "origin-session" }), opts);
    // The headers were computed before the response was returned, from the settled answer.
    expect(calls).toEqual([{ kind: "response", message: initialized }]);
    expect(response.headers.get("mcp-session-id")).toBe("gateway-session");
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const events = await clientEvents(response);
    expect(events.map((e) => e.id)).toEqual(["1", "2", "3"]);
    expect(ends).toHaveLength(1);
    expect(ends[0]!.error).toBeUndefined();
  });

  it("passes headers for a 202 with no answer", async () => {
    const { options: opts } = options({ headers: async (_o, settled) => ({ "x-settled": String(settled === undefined) }) });
    const response = await relay(new Response(null, { status: 202 }), opts);
    expect(response.headers.get("x-settled")).toBe("true");
  });

  it("throws (after onEnd, once) when the SSE answer fails before it settles", async () => {
    let headerCalls = 0;
    const { options: opts, ends } = options({
      requestId: 0,
      headers: async () => {
        headerCalls++;
        return {};
      },
    });
    const error = await thrownBy(relay(sseResponse(originStream([event(progress(1))]).stream), opts));
    expect(error.kind).toBe("originInvalidAnswer");
    expect(headerCalls).toBe(0);
    expect(ends).toHaveLength(1);
    expect(ends[0]!.error).toBe(error);
  });
});

describe("relay: edges of statuses, content types and streams", () => {
  it("reads the media type whatever the white space around it", async () => {
    const { options: opts } = options({ requestId: 1 });
    const response = await relay(jsonResponse(answer(1, "x"), 200, { "content-type": " Application/JSON ; charset=utf-8" }), opts);
    expect(JSON.parse(await response.text())).toEqual(answer(1, "x"));
  });

  it("refuses a valid JSON-RPC answer sent under another content type", async () => {
    for (const type of ["text/plain", "application/jsonx", "text/json"]) {
      const { options: opts } = options({ requestId: 1 });
      const error = await thrownBy(relay(jsonResponse(answer(1, "x"), 200, { "content-type": type }), opts));
      expect(error.kind).toBe("originInvalidAnswer");
    }
  });

  it("refuses an empty JSON body to a request", async () => {
    const { options: opts, ends } = options({ requestId: 1 });
    const error = await thrownBy(relay(jsonResponse(""), opts));
    expect(error.kind).toBe("originInvalidAnswer");
    expect(ends).toEqual([{ error, bytes: 0 }]);
  });

  it("refuses a 3xx even when its body is an answer that settles the request", async () => {
    for (const status of [300, 301]) {
      const { options: opts } = options({ requestId: 1 });
      const error = await thrownBy(relay(jsonResponse(answer(1, "x"), status), opts));
      expect(error.kind).toBe("originInvalidAnswer");
    }
  });

  it("refuses a bodiless error status to a notification instead of relaying it as an empty answer", async () => {
    for (const status of [400, 404, 500, 503]) {
      const { options: opts, ends } = options();
      const error = await thrownBy(relay(new Response(null, { status }), opts));
      expect(error.kind).toBe("originInvalidAnswer");
      expect(ends).toEqual([{ error, bytes: 0 }]);
    }
  });

  it("maps a bodiless 405 to methodNotAllowed", async () => {
    const { options: opts } = options({ requestId: 2 });
    expect((await thrownBy(relay(new Response(null, { status: 405 }), opts))).kind).toBe("methodNotAllowed");
  });

  it("refuses a 4xx JSON-RPC error the hook withholds", async () => {
    const { options: opts, ends } = options({ requestId: 2, hook: async () => undefined });
    const error = await thrownBy(relay(jsonResponse({ jsonrpc: "2.0", id: 2, error: { code: -32600, message: "Invalid request" } }, 400), opts));
    expect(error.kind).toBe("originInvalidAnswer");
    expect(ends).toEqual([{ error, bytes: 0 }]);
  });

  it("refuses, once and as the origin's fault, an answer whose body fails while it is let go", async () => {
    const { options: opts, ends } = options();
    const failed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(new Error("connection reset"));
      },
    });
    const error = await thrownBy(relay(new Response(failed, { status: 202 }), opts));
    expect(error.kind).toBe("originInvalidAnswer");
    expect(error.status).toBe(502);
    expect(ends).toEqual([{ error, bytes: 0 }]);
  });

  it("bounds the content type quoted in the reason", async () => {
    const { options: opts } = options({ requestId: 1 });
    const error = await thrownBy(relay(jsonResponse(answer(1, "x"), 200, { "content-type": `text/${"x".repeat(4000)}` }), opts));
    expect(error.reason.length).toBeLessThan(200);
  });

  it("cancels the origin when the client cancels a JSON stream after its first message", async () => {
    const { options: opts, ends } = options({ requestId: 5 });
    const origin = originStream([JSON.stringify(progress(1)) + "\n", JSON.stringify(progress(2)) + "\n"], "open");
    const streamed = await relay(new Response(origin.stream, { headers: { "content-type": "application/json" } }), opts);
    const reader = streamed.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("notifications/progress");
    await reader.cancel();
    expect(origin.cancelled()).toBe(true);
    expect(ends).toHaveLength(1);
  });

  it("a server request that reuses the client's request id does not settle the request", async () => {
    const { options: opts, ends } = options({ requestId: 7 });
    const serverRequest = { jsonrpc: "2.0", id: 7, method: "sampling/createMessage", params: {} };
    const events = await clientEvents(await relay(sseResponse(originStream([event(serverRequest)]).stream), opts));
    expect(events.map((e) => JSON.parse(e.data))).toEqual([serverRequest, { jsonrpc: "2.0", id: 7, error: { code: -32052, message: "Origin sent an invalid answer" } }]);
    expect(ends[0]!.error?.kind).toBe("originInvalidAnswer");
  });

  it("ends a failing GET stream (no request id) without an error event, reporting the error", async () => {
    const { options: opts, ends } = options();
    const origin = originStream([event(progress(1), "a")], new Error("connection reset"));
    const events = await clientEvents(await relay(sseResponse(origin.stream), opts));
    expect(events).toEqual([{ event: "message", data: JSON.stringify(progress(1)), id: "a" }]);
    expect(ends).toHaveLength(1);
    expect(ends[0]!.error?.kind).toBe("originUnavailable");
  });

  it("adds no error event when the hook fails on a GET stream, or after the request was settled", async () => {
    const failing: AnswerHook = async (message) => {
      if (message.kind === "notification" && message.message.params?.progress === 2) throw new GatewayError("integrityStoreUnavailable", "kv down");
      return message;
    };
    const get = options({ hook: failing });
    const getEvents = await clientEvents(await relay(sseResponse(originStream([event(progress(1)), event(progress(2))], "open").stream), get.options));
    expect(getEvents.map((e) => JSON.parse(e.data))).toEqual([progress(1)]);
    expect(get.ends[0]!.error?.kind).toBe("integrityStoreUnavailable");
    const settled = options({ requestId: 3, hook: failing });
    const origin = originStream([event(answer(3, "done")), event(progress(2))], "open");
    const settledEvents = await clientEvents(await relay(sseResponse(origin.stream), settled.options));
    expect(settledEvents.map((e) => JSON.parse(e.data))).toEqual([answer(3, "done")]);
    expect(origin.cancelled()).toBe(true);
  });
});

describe("relay: event ids and reconnection times", () => {
  it("sends every origin event id as the id the eventId option gives, and events without one without", async () => {
    const asked: string[] = [];
    const { options: opts } = options({
      requestId: 1,
      eventId: async (originId) => {
        asked.push(originId);
        return originId === "unsafe" ? undefined : `sealed(${originId})`;
      },
    });
    const origin = originStream([
      "id: prime\ndata: \n\n",
      "id: unsafe\ndata: \n\n",
      event(progress(1), "e1"),
      event(progress(2)),
      event(progress(3), "unsafe"),
      "id: unsafe\nretry: 3000\ndata: \n\n",
      "retry: 5000\ndata: \n\n",
      `retry: 700\nid: e2\ndata: ${JSON.stringify(answer(1, "x"))}\n\n`,
    ]);
    const events = await clientEvents(await relay(sseResponse(origin.stream), opts));
    expect(events).toEqual([
      { event: "message", data: "", id: "sealed(prime)" },
      { event: "message", data: JSON.stringify(progress(1)), id: "sealed(e1)" },
      { event: "message", data: JSON.stringify(progress(2)) },
      { event: "message", data: JSON.stringify(progress(3)) },
      { event: "message", data: "", retry: 3000 },
      { event: "message", data: "", retry: 5000 },
      { event: "message", data: JSON.stringify(answer(1, "x")), id: "sealed(e2)", retry: 700 },
    ]);
    expect(asked).toEqual(["prime", "unsafe", "e1", "unsafe", "unsafe", "e2"]);
  });

  it("holds a priming event with the rest of an initialize answer until it settles", async () => {
    const initialized = { jsonrpc: "2.0", id: 0, result: { protocolVersion: "2025-11-25", capabilities: {}, serverInfo: { name: "o", version: "1" } } };
    const calls: (JsonRpcMessage | undefined)[] = [];
    const { options: opts } = options({
      requestId: 0,
      headers: async (_origin, settled) => {
        calls.push(settled);
        return {};
      },
    });
    const origin = originStream(["id: prime\ndata: \n\n", "retry: 1000\ndata: \n\n", event(initialized, "1")]);
    const events = await clientEvents(await relay(sseResponse(origin.stream), opts));
    expect(calls).toEqual([{ kind: "response", message: initialized }]);
    expect(events.map((e) => [e.id, e.retry, e.data === "" ? "" : "answer"])).toEqual([
      ["prime", undefined, ""],
      [undefined, 1000, ""],
      ["1", undefined, "answer"],
    ]);
  });
});
