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
  it("round-trips the origin session id and version", async () => {
    const id = await wrapSession(secret, binding, session);
    expect(id).toMatch(/^w1\.[A-Za-z0-9_-]+\.2025-11-25\.[A-Za-z0-9_-]{43}$/);
    expect(id).not.toContain(session.originSessionId);
    expect(await unwrapSession(secret, binding, id)).toEqual(session);
  });

  it("refuses the id for another principal, another origin, another secret", async () => {
    const id = await wrapSession(secret, binding, session);
    expect(await refused(unwrapSession(secret, { ...binding, principal: "mallory" }, id))).toBe("sessionNotFound");
    expect(await refused(unwrapSession(secret, { ...binding, origin: "other" }, id))).toBe("sessionNotFound");
    expect(await refused(unwrapSession("t".repeat(40), binding, id))).toBe("sessionNotFound");
  });

  it("refuses a non-canonical encoding of the same MAC (the unused bits of the last character)", async () => {
    const id = await wrapSession(secret, binding, session);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(id.at(-1)!);
    const sibling = `${id.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(await refused(unwrapSession(secret, binding, sibling))).toBe("sessionNotFound");
  });

  it("refuses any change to the id", async () => {
    const id = await wrapSession(secret, binding, session);
    const [tag, encoded, version, mac] = id.split(".") as [string, string, string, string];
    const swapped = await wrapSession(secret, binding, { ...session, originSessionId: "another" });
    for (const forged of [
      `${tag}.${encoded}.2025-06-18.${mac}`,
      `${tag}.${swapped.split(".")[1]}.${version}.${mac}`,
      `${tag}.${encoded}.${version}.${mac.slice(0, -1)}A`,
      `w2.${encoded}.${version}.${mac}`,
      `${id}.extra`,
      "",
    ]) {
      if (forged === id) continue;
      expect(await refused(unwrapSession(secret, binding, forged))).toBe("sessionNotFound");
    }
  });
});
