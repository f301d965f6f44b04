// Bounded body reads (src/mcp/body.ts): a declared Content-Length over the limit is refused before
// reading, a body without one is read chunk by chunk and cancelled past the limit, chunks are joined
// in order, and a custom read function bounds each read.

import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors.js";
import { readBody, readCapped } from "../../src/mcp/body.js";

const encoder = new TextEncoder();

/** A stream of the given chunks that records whether it was cancelled. */
function chunks(parts: string[]): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < parts.length) controller.enqueue(encoder.encode(parts[index++]!));
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

const tooLarge = () => new GatewayError("payloadTooLarge", "over");
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("readCapped", () => {
  it("joins chunks in order, up to exactly the limit", async () => {
    const { stream } = chunks(["ab", "cde", "f"]);
    expect(text(await readCapped(stream.getReader(), 6, tooLarge))).toBe("abcdef");
    expect(text(await readCapped(chunks(["one"]).stream.getReader(), 3, tooLarge))).toBe("one");
    expect((await readCapped(chunks([]).stream.getReader(), 0, tooLarge)).byteLength).toBe(0);
  });

  it("cancels the stream and throws past the limit", async () => {
    const { stream, cancelled } = chunks(["ab", "cde", "fg"]);
    await expect(readCapped(stream.getReader(), 6, tooLarge)).rejects.toMatchObject({ kind: "payloadTooLarge" });
    await Promise.resolve();
    expect(cancelled()).toBe(true);
  });

  it("reads through the given read function", async () => {
    const { stream } = chunks(["a", "b"]);
    let reads = 0;
    const body = await readCapped(stream.getReader(), 10, tooLarge, (reader) => {
      reads++;
      return reader.read();
    });
    expect(text(body)).toBe("ab");
    expect(reads).toBe(3);
  });
});

/**
 * A request as the Workers runtime hands it over, with a Content-Length header (which a Request made
 * in Node drops), recording whether its body was read whole.
 */
function declared(length: string, body: string | null): { request: Request; readWhole: () => boolean } {
  let readWhole = false;
  const stream = body === null ? null : chunks([body]).stream;
  const request = {
    headers: new Headers({ "content-length": length }),
    body: stream,
    arrayBuffer: async () => {
      readWhole = true;
      return encoder.encode(body ?? "").buffer;
    },
  } as unknown as Request;
  return { request, readWhole: () => readWhole };
}

describe("readBody with a declared length", () => {
  it("refuses a declared length over the limit without reading", async () => {
    const { request, readWhole } = declared("11", "x".repeat(11));
    await expect(readBody(request, 10)).rejects.toMatchObject({ kind: "payloadTooLarge" });
    expect(readWhole()).toBe(false);
  });

  it("reads a body within its declared length in one read, and still refuses one over the limit", async () => {
    const within = declared("10", "0123456789");
    expect(text(await readBody(within.request, 10))).toBe("0123456789");
    expect(within.readWhole()).toBe(true);
    const lying = declared("5", "0123456789a");
    await expect(readBody(lying.request, 10)).rejects.toMatchObject({ kind: "payloadTooLarge" });
  });

  it("reads chunk by chunk when the declared length is no plain number, or there is no body", async () => {
    for (const length of ["abc", "+5", "1e1", "1".repeat(16)]) {
      const { request, readWhole } = declared(length, "0123456789");
      expect(text(await readBody(request, 10))).toBe("0123456789");
      expect(readWhole()).toBe(false);
    }
    const big = declared("1".repeat(16), "x".repeat(11));
    await expect(readBody(big.request, 10)).rejects.toMatchObject({ kind: "payloadTooLarge" });
    const empty = declared("0", null);
    expect((await readBody(empty.request, 10)).byteLength).toBe(0);
    expect(empty.readWhole()).toBe(false);
  });
});

describe("readBody", () => {
  const post = (body: BodyInit | null, headers: Record<string, string> = {}) => new Request("https://gw.example/mcp", { method: "POST", body, headers, duplex: "half" } as RequestInit);

  it("refuses a declared length over the limit before reading, with the limit in the detail", async () => {
    const error = await readBody(post("x".repeat(11), { "content-length": "11" }), 10).catch((thrown: GatewayError) => thrown);
    expect(error).toMatchObject({ kind: "payloadTooLarge" });
    expect((error as GatewayError).toJsonRpcError().message).toContain("the limit is 10 bytes");
  });

  it("reads a body within a declared length", async () => {
    expect(text(await readBody(post("0123456789", { "content-length": "10" }), 10))).toBe("0123456789");
  });

  it("reads a streamed body without a length up to the limit, and refuses one past it", async () => {
    expect(text(await readBody(post(chunks(["01234", "56789"]).stream), 10))).toBe("0123456789");
    const error = await readBody(post(chunks(["01234", "567890"]).stream), 10).catch((thrown: GatewayError) => thrown);
    expect(error).toMatchObject({ kind: "payloadTooLarge" });
    expect((error as GatewayError).toJsonRpcError().message).toContain("the limit is 10 bytes");
  });

  it("reads an empty body as no bytes", async () => {
    expect((await readBody(new Request("https://gw.example/mcp", { method: "POST" }), 10)).byteLength).toBe(0);
  });
});
