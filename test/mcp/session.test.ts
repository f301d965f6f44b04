import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors.js";
import { unwrapSession, wrapSession } from "../../src/mcp/session.js";

const secret = "s".repeat(40);
const binding = { origin: "everything", principal: "alice" };
const session = { originSessionId: "3f2a-origin-session", version: "2025-11-25" as const };

async function refused(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    return (error as GatewayError).kind;
  }
}

describe("stateless gateway sessions", () => {
  it("round-trips the origin session id and version, sealed: the origin's id is not readable", async () => {
    const id = await wrapSession(secret, binding, session);
    expect(id).toMatch(/^w2\.[A-Za-z0-9_-]+$/);
    expect(id).not.toContain(session.originSessionId);
    expect(atob(id.slice(3).replaceAll("-", "+").replaceAll("_", "/") + "==".slice(0, (4 - ((id.length - 3) % 4)) % 4))).not.toContain(session.originSessionId);
    expect(await unwrapSession(secret, binding, id)).toEqual(session);
    // Each id is sealed with a fresh IV: two ids of one session differ.
    expect(await wrapSession(secret, binding, session)).not.toBe(id);
  });

  it("refuses the id for another principal, another origin, another secret", async () => {
    const id = await wrapSession(secret, binding, session);
    expect(await refused(unwrapSession(secret, { ...binding, principal: "mallory" }, id))).toBe("sessionNotFound");
    expect(await refused(unwrapSession(secret, { ...binding, origin: "other" }, id))).toBe("sessionNotFound");
    expect(await refused(unwrapSession("t".repeat(40), binding, id))).toBe("sessionNotFound");
  });

  it("refuses a non-canonical encoding of the same bytes (the unused bits of the last character)", async () => {
    const id = await wrapSession(secret, binding, session);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(id.at(-1)!);
    const sibling = `${id.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(await refused(unwrapSession(secret, binding, sibling))).toBe("sessionNotFound");
  });

  it("refuses any change to the id", async () => {
    const id = await wrapSession(secret, binding, session);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const flipped = (at: number) => `${id.slice(0, at)}${alphabet[(alphabet.indexOf(id[at]!) + 7) % 64]}${id.slice(at + 1)}`;
    for (const forged of [flipped(3), flipped(10), flipped(id.length - 5), `w1.${id.slice(3)}`, `${id}.extra`, id.slice(0, -4), "w2.", ""]) {
      expect(await refused(unwrapSession(secret, binding, forged))).toBe("sessionNotFound");
    }
  });
});
