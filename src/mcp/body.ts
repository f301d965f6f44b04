// Reads a request body up to a byte limit: refused up front when Content-Length says it is too large,
// and cut off while streaming when it grows past the limit without saying so. Never buffers more.

import { GatewayError } from "../errors.js";

export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => new GatewayError("payloadTooLarge", "body over limit", { detail: `the limit is ${maxBytes} bytes` });
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  const reader = request.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
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
