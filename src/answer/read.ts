// Reads an origin's answer as a sequence of whole JSON-RPC messages, whether it came as one JSON
// body or as an SSE stream, strictly parsed like client input. Nothing is buffered beyond one event;
// an event larger than the limit, invalid UTF-8, a non-JSON-RPC payload or an idle origin ends the
// sequence with a GatewayError that the caller turns into an answer for the client.

import { GatewayError } from "../errors.js";
import { readCapped, type Reader } from "../mcp/body.js";
import { JsonSyntaxError, parseJson } from "../mcp/json.js";
import { classify, type JsonRpcMessage } from "../mcp/jsonrpc.js";
import { SseParser, SseTooLargeError, utf8Length } from "../mcp/sse.js";

export type AnswerLimits = { maxEventBytes: number; maxDepth: number; idleTimeoutMs?: number };

/** One item of an origin's answer: a message (with its SSE event id, if any) or a bare resumption id. */
export type AnswerItem = { message: JsonRpcMessage; eventId?: string; retry?: number } | { message?: undefined; eventId?: string; retry?: number };

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

/**
 * Reads an origin's stream chunk by chunk and gives up when one read waits longer than the idle
 * timeout (cancelling the stream). One timer watches the whole stream instead of one per chunk: when
 * it fires early it re-arms for what is left; time spent while nothing is read (the client applying
 * backpressure) never counts. Each read is one promise the timer can fail, not a race against one
 * long-lived promise: a race leaves a reaction on that promise per read, and each reaction keeps its
 * read's chunk alive until the stream ends (memory growing with the answer, not its largest event).
 */
function idleGuardedReader(reader: Reader, idleTimeoutMs: number | undefined): { read(): Promise<ReadableStreamReadResult<Uint8Array>>; stop(): void } {
  if (idleTimeoutMs === undefined) return { read: () => reader.read(), stop() {} };
  let readSince: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let idle: GatewayError | undefined;
  /** Fails the read in progress, if any. */
  let failRead: ((error: unknown) => void) | undefined;
  const watch = (ms: number) => {
    timer = setTimeout(() => {
      const waited = readSince === undefined ? 0 : Date.now() - readSince;
      if (waited < idleTimeoutMs) return watch(idleTimeoutMs - waited);
      idle = new GatewayError("originTimeout", `origin idle for ${idleTimeoutMs} ms`);
      failRead?.(idle);
    }, ms);
  };
  watch(idleTimeoutMs);
  return {
    read() {
      return new Promise((resolve, reject) => {
        let settled = false;
        const fail = (error: unknown) => {
          if (settled) return;
          settled = true;
          readSince = undefined;
          failRead = undefined;
          reader.cancel().catch(() => {});
          reject(error);
        };
        if (idle) return fail(idle);
        readSince = Date.now();
        failRead = fail;
        reader.read().then((result) => {
          if (settled) return;
          settled = true;
          readSince = undefined;
          failRead = undefined;
          resolve(result);
        }, fail);
      });
    },
    stop: () => clearTimeout(timer),
  };
}

/**
 * Why reading an answer failed: a body that does not decode as its Content-Encoding claims is the
 * origin's invalid answer; anything else (a dropped connection) means the origin became unavailable.
 */
function streamFailure(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/decompress|gzip|deflate|brotli|incorrect header/i.test(message)) return invalid(`answer does not decode as its content encoding: ${message.slice(0, 200)}`);
  return new GatewayError("originUnavailable", `answer stream failed: ${message.slice(0, 200)}`);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export async function readCappedText(response: Response, maxBytes: number, idleTimeoutMs?: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const guarded = idleGuardedReader(reader, idleTimeoutMs);
  let bytes: Uint8Array;
  try {
    bytes = await readCapped(reader, maxBytes, () => invalid(`answer larger than ${maxBytes} bytes`), guarded.read);
  } catch (error) {
    throw streamFailure(error);
  } finally {
    guarded.stop();
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalid("answer is not valid UTF-8");
  }
}

const STRUCTURE = /["{}]/g;
const STRING_END = /["\\]/g;

/**
 * Splits JSON text, fed in pieces, into its top-level values (objects, separated by white space) without
 * parsing them: braces are counted outside strings. Each value is then parsed strictly on its own. This
 * is how an `application/json` answer that carries several messages, one after another (newline-
 * delimited JSON, as some servers stream), is read; a value over the limit or anything between values
 * but white space is the origin's invalid answer. Linear: every character is looked at once.
 */
export class JsonSequence {
  private parts: string[] = [];
  private bytes = 0;
  private depth = 0;
  private inString = false;
  /** A backslash ended the last piece inside a string: the next piece's first character is escaped. */
  private escapePending = false;

  constructor(private readonly maxBytes: number) {}

  get midValue(): boolean {
    return this.depth > 0;
  }

  push(text: string): string[] {
    const values: string[] = [];
    let start = 0;
    let i = 0;
    if (this.escapePending && text.length) {
      this.escapePending = false;
      i = 1;
    }
    while (i < text.length) {
      if (this.depth === 0) {
        const code = text.charCodeAt(i);
        if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) {
          i++;
          continue;
        }
        if (code !== 0x7b) throw invalid("JSON answer holds something other than JSON-RPC messages");
        this.depth = 1;
        start = i++;
        continue;
      }
      if (this.inString) {
        STRING_END.lastIndex = i;
        const found = STRING_END.exec(text);
        if (!found) {
          i = text.length;
          break;
        }
        if (text.charCodeAt(found.index) === 0x5c) {
          i = found.index + 2;
          if (i > text.length) this.escapePending = true;
          continue;
        }
        this.inString = false;
        i = found.index + 1;
        continue;
      }
      STRUCTURE.lastIndex = i;
      const found = STRUCTURE.exec(text);
      if (!found) {
        i = text.length;
        break;
      }
      i = found.index + 1;
      const char = text.charCodeAt(found.index);
      if (char === 0x22) this.inString = true;
      else if (char === 0x7b) this.depth++;
      else if (--this.depth === 0) {
        const piece = text.slice(start, i);
        this.grow(piece);
        values.push(this.parts.length ? this.parts.join("") + piece : piece);
        this.parts = [];
        this.bytes = 0;
      }
    }
    if (this.depth > 0) {
      const rest = text.slice(start);
      this.grow(rest);
      this.parts.push(rest);
    }
    return values;
  }

  private grow(piece: string): void {
    this.bytes += utf8Length(piece, 0);
    if (this.bytes > this.maxBytes) throw invalid(`answer larger than ${this.maxBytes} bytes`);
  }
}

/**
 * An answer's body as decoded text, piece by piece as it arrives, the last piece flagged: each read
 * bounded by the idle timeout, invalid UTF-8 the origin's invalid answer, a failing stream classified.
 * The origin's stream is released whenever the reading ends.
 */
async function* decodedPieces(response: Response, limits: AnswerLimits): AsyncGenerator<{ text: string; done: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) return;
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const guarded = idleGuardedReader(reader, limits.idleTimeoutMs);
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await guarded.read();
      } catch (error) {
        throw streamFailure(error);
      }
      let text: string;
      try {
        text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      } catch {
        throw invalid("answer is not valid UTF-8");
      }
      yield { text, done: chunk.done };
      if (chunk.done) return;
    }
  } finally {
    guarded.stop();
    reader.cancel().catch(() => {});
  }
}

/** An `application/json` body: one message, or several one after another, read as they arrive. */
export async function* readJsonAnswers(response: Response, limits: AnswerLimits): AsyncGenerator<AnswerItem> {
  const sequence = new JsonSequence(limits.maxEventBytes);
  for await (const { text, done } of decodedPieces(response, limits)) {
    for (const value of sequence.push(text)) yield { message: parseOriginMessage(value, limits.maxDepth) };
    if (done && sequence.midValue) throw invalid("origin closed the answer in the middle of a message");
  }
}

/** An SSE body, event by event. */
export async function* readSseAnswer(response: Response, limits: AnswerLimits): AsyncGenerator<AnswerItem> {
  const parser = new SseParser(limits.maxEventBytes);
  for await (const { text, done } of decodedPieces(response, limits)) {
    if (done) {
      if (text !== "" || parser.midEvent) throw invalid("origin closed the stream in the middle of an event");
      return;
    }
    let events;
    try {
      events = parser.push(text);
    } catch (error) {
      if (error instanceof SseTooLargeError) throw invalid(`event larger than ${limits.maxEventBytes} bytes`);
      throw error;
    }
    for (const event of events) {
      if (event.event !== "message") continue;
      const control = { ...(event.id === undefined ? {} : { eventId: event.id }), ...(event.retry === undefined ? {} : { retry: event.retry }) };
      if (event.data === "") {
        if (event.id !== undefined || event.retry !== undefined) yield control;
        continue;
      }
      yield { message: parseOriginMessage(event.data, limits.maxDepth), ...control };
    }
  }
}
