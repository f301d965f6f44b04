// Reads a body up to a byte limit, never buffering more: a client's request body (refused up front
// when Content-Length says it is too large) and, through readCapped, an origin's JSON answer.

import { GatewayError } from "../errors.js";

export type Reader = ReadableStreamDefaultReader<Uint8Array>;

/**
 * Reads a stream to its end. Past `maxBytes` the stream is cancelled and `tooLarge()` is thrown;
 * `read` may bound each read (an origin's idle timeout).
 */
export async function readCapped(reader: Reader, maxBytes: number, tooLarge: () => Error, read: (reader: Reader) => Promise<ReadableStreamReadResult<Uint8Array>> = (r) => r.read()): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await read(reader);
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => new GatewayError("payloadTooLarge", "body over limit", { detail: `the limit is ${maxBytes} bytes` });
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d{1,15}$/.test(declared)) {
    if (Number(declared) > maxBytes) throw tooLarge();
    // A declared length within the limit bounds the body (the runtime enforces HTTP framing): one
    // read, its size checked again in case a runtime ever framed the body otherwise.
    if (request.body) {
      const body = new Uint8Array(await request.arrayBuffer());
      if (body.byteLength > maxBytes) throw tooLarge();
      return body;
    }
  }
  const reader = request.body?.getReader();
  return reader ? readCapped(reader, maxBytes, tooLarge) : new Uint8Array(0);
}
