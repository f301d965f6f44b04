// Reads an origin's answer as a sequence of whole JSON-RPC messages, whether it came as one JSON
// body or as an SSE stream, strictly parsed like client input. Nothing is buffered beyond one event;
// an event larger than the limit, invalid UTF-8, a non-JSON-RPC payload or an idle origin ends the
// sequence with a GatewayError that the caller turns into an answer for the client.

import { GatewayError } from "../errors.js";
import { readCapped } from "../mcp/body.js";
import { JsonSyntaxError, parseJson } from "../mcp/json.js";
import { classify, type JsonRpcMessage } from "../mcp/jsonrpc.js";
import { SseParser, SseTooLargeError } from "../mcp/sse.js";

export type AnswerLimits = { maxEventBytes: number; maxDepth: number; idleTimeoutMs?: number };

/** One item of an origin's answer: a message (with its SSE event id, if any) or a bare resumption id. */
export type AnswerItem = { message: JsonRpcMessage; eventId?: string } | { message?: undefined; eventId: string };

function invalid(reason: string): GatewayError {
  return new GatewayError("originInvalidAnswer", reason);
}

export function parseOriginMessage(text: string, maxDepth: number): JsonRpcMessage {
  try {
    return classify(parseJson(text, maxDepth));
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw invalid(`origin sent invalid JSON: ${error.message}`);
    if (error instanceof GatewayError) throw invalid(`origin sent an invalid JSON-RPC message: ${error.reason}`);
    throw error;
  }
}

/** Reads a chunk, or gives up after the idle timeout (cancelling the origin's stream). */
async function readChunk(reader: ReadableStreamDefaultReader<Uint8Array>, idleTimeoutMs: number | undefined) {
  if (idleTimeoutMs === undefined) return reader.read();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GatewayError("originTimeout", `origin idle for ${idleTimeoutMs} ms`)), idleTimeoutMs);
  });
  try {
    return await Promise.race([reader.read(), timeout]);
  } catch (error) {
    reader.cancel().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A JSON body, read up to the limit. */
export async function readJsonAnswer(response: Response, limits: AnswerLimits): Promise<JsonRpcMessage> {
  const text = await readCappedText(response, limits.maxEventBytes, limits.idleTimeoutMs);
  return parseOriginMessage(text, limits.maxDepth);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export async function readCappedText(response: Response, maxBytes: number, idleTimeoutMs?: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  try {
    const bytes = await readCapped(reader, maxBytes, () => invalid(`answer larger than ${maxBytes} bytes`), (r) => readChunk(r, idleTimeoutMs));
    return utf8.decode(bytes);
  } catch (error) {
    if (error instanceof TypeError) throw invalid("answer is not valid UTF-8");
    if (error instanceof GatewayError) throw error;
    throw new GatewayError("originUnavailable", `answer stream failed: ${(error as Error).message}`);
  }
}

/** An SSE body, event by event. */
export async function* readSseAnswer(response: Response, limits: AnswerLimits): AsyncGenerator<AnswerItem> {
  const reader = response.body?.getReader();
  if (!reader) return;
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const parser = new SseParser(limits.maxEventBytes);
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await readChunk(reader, limits.idleTimeoutMs);
      } catch (error) {
        if (error instanceof GatewayError) throw error;
        throw new GatewayError("originUnavailable", `answer stream failed: ${(error as Error).message}`);
      }
      if (chunk.done) {
        let tail = "";
        try {
          tail = decoder.decode();
        } catch {
          throw invalid("answer is not valid UTF-8");
        }
        if (tail !== "" || parser.midEvent) throw invalid("origin closed the stream in the middle of an event");
        return;
      }
      let text: string;
      try {
        text = decoder.decode(chunk.value, { stream: true });
      } catch {
        throw invalid("answer is not valid UTF-8");
      }
      let events;
      try {
        events = parser.push(text);
      } catch (error) {
        if (error instanceof SseTooLargeError) throw invalid(`event larger than ${limits.maxEventBytes} characters`);
        throw error;
      }
      for (const event of events) {
        if (event.event !== "message") continue;
        if (event.data === "") {
          if (event.id !== undefined) yield { eventId: event.id };
          continue;
        }
        const message = parseOriginMessage(event.data, limits.maxDepth);
        yield event.id === undefined ? { message } : { message, eventId: event.id };
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
