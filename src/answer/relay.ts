// Turns an origin's HTTP answer into the client's: status mapped, each message passed through the
// answer hook (review.ts: listing filter, integrity, scrubbing, server-request policy) and re-serialized, SSE streamed
// event by event as it arrives. When the origin fails after the client's stream has started, the
// pending request still gets its JSON-RPC error as a last event.

import { GatewayError, errorMessage } from "../errors.js";
import type { JsonRpcId, JsonRpcMessage } from "../mcp/jsonrpc.js";
import { encodeSseControl, encodeSseEvent, utf8Length } from "../mcp/sse.js";
import { parseOriginMessage, readCappedText, readJsonAnswers, readSseAnswer, type AnswerItem, type AnswerLimits } from "./read.js";

export type AnswerHook = (message: JsonRpcMessage) => Promise<JsonRpcMessage | undefined>;

export type RelayOptions = {
  limits: AnswerLimits;
  /** The id of the client request this answer must settle, if any. */
  requestId?: JsonRpcId;
  hook: AnswerHook;
  /** Headers for the client, computed from the origin's response and the settled answer (initialize's session id). */
  headers?: (origin: Response, answer: JsonRpcMessage | undefined) => Promise<Record<string, string>>;
  /** A resumed stream: the origin replays responses to earlier requests of the client, and they are relayed. */
  replayedResponses?: boolean;
  /** The id the client sees for an origin's SSE event id (sealed), or undefined to send the event without one. */
  eventId?: (originId: string) => Promise<string | undefined>;
  /** Called once when the answer is over, with the error that ended it, if any. */
  onEnd: (outcome: { error?: GatewayError; bytes: number }) => void;
};

const encoder = new TextEncoder();
const RELAYED_CLIENT_STATUSES = new Set([400, 404, 406, 409, 413, 415, 422, 429]);

function contentType(response: Response): string {
  return (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

function settles(message: JsonRpcMessage, requestId: JsonRpcId | undefined): boolean {
  return requestId !== undefined && message.kind === "response" && message.message.id === requestId;
}

/**
 * The client's answer. A failure before the answer has begun is thrown (after `onEnd`) for the app's
 * error handler; one after it has begun streaming is the pending request's last event.
 */
export async function relay(origin: Response, options: RelayOptions): Promise<Response> {
  let ended = false;
  const once: RelayOptions = {
    ...options,
    onEnd(outcome) {
      if (ended) return;
      ended = true;
      options.onEnd(outcome);
    },
  };
  try {
    return await relayUnsafe(origin, once);
  } catch (thrown) {
    const error = thrown instanceof GatewayError ? thrown : new GatewayError("originInvalidAnswer", String(thrown));
    once.onEnd({ error, bytes: 0 });
    throw error;
  }
}

async function relayUnsafe(origin: Response, options: RelayOptions): Promise<Response> {
  const { status } = origin;
  if (status === 202 || status === 204 || (status === 200 && options.requestId === undefined && origin.body === null)) {
    if (options.requestId !== undefined) throw new GatewayError("originInvalidAnswer", `origin answered a request with ${status}`);
    await origin.body?.cancel();
    options.onEnd({ bytes: 0 });
    return new Response(null, { status, headers: await options.headers?.(origin, undefined) });
  }
  if (status === 405) {
    await origin.body?.cancel();
    throw new GatewayError("methodNotAllowed", "origin answered 405");
  }
  if (status >= 300 || status < 200) return relayClientError(origin, options);
  const type = contentType(origin);
  if (type === "text/event-stream") return relaySse(origin, options);
  if (type === "application/json") {
    // One message is a JSON answer. Several in a row (a server streaming newline-delimited JSON) are a
    // stream, relayed to the client as SSE: known once the first message is not the answer itself.
    const items = readJsonAnswers(origin, options.limits);
    const first = await items.next();
    if (first.done) throw new GatewayError("originInvalidAnswer", "empty JSON answer");
    const message = first.value.message!;
    if (message.kind !== "response") return relaySse(origin, options, prepended(first.value, items));
    if (!settles(message, options.requestId)) throw new GatewayError("originInvalidAnswer", "JSON answer does not settle the request");
    if (!(await items.next()).done) throw new GatewayError("originInvalidAnswer", "JSON answer goes on after the response");
    const out = await options.hook(message);
    if (!out) throw new GatewayError("originInvalidAnswer", "answer withheld");
    const body = encoder.encode(JSON.stringify(out.message));
    options.onEnd({ bytes: body.byteLength });
    return new Response(body, { status: 200, headers: { "content-type": "application/json", ...(await options.headers?.(origin, out)) } });
  }
  await origin.body?.cancel();
  throw new GatewayError("originInvalidAnswer", `origin answered with content type ${JSON.stringify(type.slice(0, 60))}`);
}

/** 4xx answers whose body is a JSON-RPC error are relayed re-serialized; anything else is the origin's fault. */
async function relayClientError(origin: Response, options: RelayOptions): Promise<Response> {
  if (!RELAYED_CLIENT_STATUSES.has(origin.status)) {
    await origin.body?.cancel();
    throw new GatewayError("originInvalidAnswer", `origin answered HTTP ${origin.status}`);
  }
  const text = await readCappedText(origin, 64 * 1024, options.limits.idleTimeoutMs);
  let message: JsonRpcMessage;
  try {
    message = parseOriginMessage(text, options.limits.maxDepth);
  } catch {
    throw new GatewayError("originInvalidAnswer", `origin answered HTTP ${origin.status} without a JSON-RPC error`);
  }
  if (message.kind !== "response" || !("error" in message.message)) {
    throw new GatewayError("originInvalidAnswer", `origin answered HTTP ${origin.status} with a non-error message`);
  }
  const out = await options.hook(message);
  if (!out) throw new GatewayError("originInvalidAnswer", "answer withheld");
  const body = encoder.encode(JSON.stringify(out.message));
  options.onEnd({ bytes: body.byteLength });
  return new Response(body, { status: origin.status, headers: { "content-type": "application/json" } });
}

/** The items of an answer whose first item was already read. */
async function* prepended(first: AnswerItem, rest: AsyncGenerator<AnswerItem>): AsyncGenerator<AnswerItem> {
  try {
    yield first;
    yield* rest;
  } finally {
    await rest.return(undefined);
  }
}

async function relaySse(origin: Response, options: RelayOptions, items: AsyncGenerator<AnswerItem> = readSseAnswer(origin, options.limits)): Promise<Response> {
  let settled = false;
  let bytes = 0;
  let ended = false;
  let failure: GatewayError | undefined;
  const end = (error?: GatewayError) => {
    if (ended) return;
    ended = true;
    failure = error;
    options.onEnd(error ? { error, bytes } : { bytes });
  };

  /** The next piece of output, or undefined when the answer is over. */
  const next = async (): Promise<{ text: string; message?: JsonRpcMessage } | undefined> => {
    for (;;) {
      let item: IteratorResult<AnswerItem>;
      try {
        item = await items.next();
      } catch (thrown) {
        const error = thrown instanceof GatewayError ? thrown : new GatewayError("originUnavailable", String(thrown));
        end(error);
        if (options.requestId === undefined || settled) return undefined;
        settled = true;
        return { text: encodeSseEvent(errorMessage(error, options.requestId)) };
      }
      if (item.done) {
        if (options.requestId !== undefined && !settled) {
          settled = true;
          const error = new GatewayError("originInvalidAnswer", "origin ended the stream without answering");
          end(error);
          return { text: encodeSseEvent(errorMessage(error, options.requestId)) };
        }
        end();
        return undefined;
      }
      const { message, retry } = item.value;
      const eventId = item.value.eventId === undefined || !options.eventId ? item.value.eventId : await options.eventId(item.value.eventId);
      if (!message) {
        if (eventId === undefined && retry === undefined) continue;
        return { text: encodeSseControl(eventId, retry) };
      }
      if (message.kind === "response" && !settles(message, options.requestId) && !options.replayedResponses) continue;
      const out = await options.hook(message);
      if (!out) continue;
      if (settles(out, options.requestId)) settled = true;
      const data = JSON.stringify(out.message);
      bytes += utf8Length(data, 0);
      return { text: encodeSseEvent(data, eventId, retry), message: out };
    }
  };

  // Initialize's session header depends on its answer: hold the headers until the answer is in.
  const held: string[] = [];
  let extraHeaders: Record<string, string> = {};
  if (options.headers) {
    let answer: JsonRpcMessage | undefined;
    while (!settled) {
      const piece = await next();
      if (failure) throw failure;
      if (!piece) break;
      if (piece.message && settles(piece.message, options.requestId)) answer = piece.message;
      held.push(piece.text);
    }
    extraHeaders = await options.headers(origin, answer);
  }

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const heldText = held.shift();
      if (heldText !== undefined) {
        controller.enqueue(encoder.encode(heldText));
        return;
      }
      try {
        const piece = await next();
        if (piece) controller.enqueue(encoder.encode(piece.text));
        else controller.close();
      } catch (thrown) {
        // The review failed mid-stream: the pending request still gets its error, the origin's stream is let go.
        const error = thrown instanceof GatewayError ? thrown : new GatewayError("internal", String(thrown));
        end(error);
        if (options.requestId !== undefined && !settled) {
          settled = true;
          controller.enqueue(encoder.encode(encodeSseEvent(errorMessage(error, options.requestId))));
        }
        controller.close();
        await items.return(undefined);
      }
    },
    async cancel() {
      end();
      await items.return(undefined);
    },
  });
  return new Response(stream, {
    status: 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", ...extraHeaders },
  });
}
