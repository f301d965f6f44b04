// Sealed values (src/sealed.ts): AES-GCM with a key per secret and purpose and the binding as
// additional data. A value opens only with its sealing and binding; the text's prefix, length bound,
// base64url encoding and every byte of IV, ciphertext and tag are checked.

import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../src/hmac.js";
import { seal, unseal, type Sealing } from "../src/sealed.js";

const sealing: Sealing = { secret: "k".repeat(32), purpose: "test", prefix: "t1." };
const binding = ["origin", "alice", "session-1"];

/** The text with one byte of its sealed payload flipped. */
function flipped(text: string, index: number): string {
  const bytes = fromBase64Url(text.slice(sealing.prefix.length))!;
  bytes[index]! ^= 1;
  return sealing.prefix + toBase64Url(bytes);
}

describe("seal and unseal", () => {
  it("round-trips any JSON value under its prefix, with a fresh IV each time", async () => {
    for (const value of [["a", 1, null], { nested: { x: [true] } }, "text", 0]) {
      const text = await seal(sealing, binding, value);
      expect(text.startsWith("t1.")).toBe(true);
      expect(text.slice(3)).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(await unseal(sealing, binding, text)).toEqual(value);
    }
    const value = ["same"];
    const a = await seal(sealing, binding, value);
    const b = await seal(sealing, binding, value);
    expect(a).not.toBe(b);
    // 12-byte IV, the JSON's bytes, a 16-byte tag.
    expect(fromBase64Url(a.slice(3))!.length).toBe(12 + JSON.stringify(value).length + 16);
    expect(fromBase64Url(a.slice(3))!.subarray(0, 12)).not.toEqual(fromBase64Url(b.slice(3))!.subarray(0, 12));
  });

  it("does not carry the value in clear", async () => {
    const text = await seal(sealing, binding, ["origin-session-id-in-clear"]);
    expect(new TextDecoder().decode(fromBase64Url(text.slice(3)))).not.toContain("origin-session-id-in-clear");
  });

  it("opens only under the same secret, purpose and binding", async () => {
    const text = await seal(sealing, binding, ["v"]);
    expect(await unseal({ ...sealing, secret: "j".repeat(32) }, binding, text)).toBeUndefined();
    expect(await unseal({ ...sealing, purpose: "other" }, binding, text)).toBeUndefined();
    expect(await unseal(sealing, ["origin", "alice", "session-2"], text)).toBeUndefined();
    expect(await unseal(sealing, ["origin", "alice"], text)).toBeUndefined();
    // Moving the boundary between the binding's parts changes the binding.
    expect(await unseal(sealing, ["origina", "lice", "session-1"], text)).toBeUndefined();
    expect(await unseal(sealing, binding, text)).toEqual(["v"]);
  });

  it("keeps binding parts apart even when one holds the separator a plain join would use", async () => {
    const text = await seal(sealing, ["origin", "alice\nsession-1", ""], ["v"]);
    expect(await unseal(sealing, ["origin", "alice", "session-1\n"], text)).toBeUndefined();
    expect(await unseal(sealing, ["origin", "alice", "session-1"], text)).toBeUndefined();
    expect(await unseal(sealing, ["origin", "alice\nsession-1", ""], text)).toEqual(["v"]);
  });

  it("keeps the keys of two purposes apart even for one secret used first by the other", async () => {
    const first = { ...sealing, purpose: "first" };
    const second = { ...sealing, purpose: "second" };
    const a = await seal(first, binding, ["a"]);
    const b = await seal(second, binding, ["b"]);
    expect(await unseal(second, binding, a)).toBeUndefined();
    expect(await unseal(first, binding, b)).toBeUndefined();
    expect(await unseal(first, binding, a)).toEqual(["a"]);
    expect(await unseal(second, binding, b)).toEqual(["b"]);
  });

  it("refuses a changed byte anywhere: IV, ciphertext or tag", async () => {
    const text = await seal(sealing, binding, ["value"]);
    const length = fromBase64Url(text.slice(3))!.length;
    for (const index of [0, 11, 12, length - 17, length - 16, length - 1]) {
      expect({ index, value: await unseal(sealing, binding, flipped(text, index)) }).toEqual({ index, value: undefined });
    }
  });

  it("refuses another prefix, a non-canonical or short payload, and text over the length bound", async () => {
    const text = await seal(sealing, binding, ["value"]);
    expect(await unseal(sealing, binding, `x1.${text.slice(3)}`)).toBeUndefined();
    expect(await unseal(sealing, binding, text.slice(3))).toBeUndefined();
    expect(await unseal(sealing, binding, `${text}=`)).toBeUndefined();
    expect(await unseal(sealing, binding, `${text.slice(0, 5)}+${text.slice(6)}`)).toBeUndefined();
    // Exactly IV and tag, no ciphertext: too short to hold a value.
    expect(await unseal(sealing, binding, `t1.${toBase64Url(new Uint8Array(27))}`)).toBeUndefined();
    expect(await unseal(sealing, binding, `t1.${toBase64Url(new Uint8Array(28))}`)).toBeUndefined();
    expect(await unseal(sealing, binding, "t1.")).toBeUndefined();
    // The length bound: the default is 4096 characters, and a caller may set its own.
    expect(await unseal(sealing, binding, text, text.length)).toEqual(["value"]);
    expect(await unseal(sealing, binding, text, text.length - 1)).toBeUndefined();
    const big = await seal(sealing, binding, ["x".repeat(3100)]);
    expect(big.length).toBeGreaterThan(4096);
    expect(await unseal(sealing, binding, big)).toBeUndefined();
    expect(await unseal(sealing, binding, big, 8192)).toEqual(["x".repeat(3100)]);
    const fits = await seal(sealing, binding, ["x".repeat(2900)]);
    expect(fits.length).toBeLessThanOrEqual(4096);
    expect(await unseal(sealing, binding, fits)).toEqual(["x".repeat(2900)]);
  });
});
