import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors.js";
import { isValidOriginSessionId, sessionFromInitialize, unwrapSession, wrapSession } from "../../src/mcp/session.js";
import type { JsonRpcMessage } from "../../src/mcp/jsonrpc.js";
import { seal } from "../../src/sealed.js";

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

  it("marks an id that does not open as forged, so the refusal counts toward the abuse cooldown", async () => {
    const id = await wrapSession(secret, binding, session);
    try {
      await unwrapSession(secret, { ...binding, principal: "mallory" }, id);
      expect.unreachable();
    } catch (error) {
      expect((error as GatewayError).options.forged).toBe(true);
    }
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

describe("what a session id may hold", () => {
  const sealing = { secret, purpose: "session", prefix: "w2." };
  const bound = [binding.origin, binding.principal];

  it("refuses a sealed value that is not a supported version and a valid origin id", async () => {
    for (const value of [["2025-11-25"], ["2025-11-25", "id", "x"], { version: "2025-11-25", id: "id" }, ["1999-01-01", "id"], [20251125, "id"], ["2025-11-25", 5], ["2025-11-25", "has space"], ["2025-11-25", ""]]) {
      expect({ value, result: await refused(unwrapSession(secret, binding, await seal(sealing, bound, value))) }).toEqual({ value, result: "sessionNotFound" });
    }
    expect(await unwrapSession(secret, binding, await seal(sealing, bound, ["2025-06-18", "abc"]))).toEqual({ originSessionId: "abc", version: "2025-06-18" });
  });

  it("remembers an opened id for its binding only", async () => {
    const id = await wrapSession(secret, binding, session);
    expect(await unwrapSession(secret, binding, id)).toEqual(session);
    expect(await unwrapSession(secret, binding, id)).toEqual(session);
    expect(await refused(unwrapSession(secret, { ...binding, principal: "eve" }, id))).toBe("sessionNotFound");
    expect(await refused(unwrapSession("u".repeat(40), binding, id))).toBe("sessionNotFound");
  });

  it("takes visible ASCII origin ids up to 1024 characters", () => {
    expect(isValidOriginSessionId("!~")).toBe(true);
    expect(isValidOriginSessionId("a".repeat(1024))).toBe(true);
    expect(isValidOriginSessionId("a".repeat(1025))).toBe(false);
    expect(isValidOriginSessionId("")).toBe(false);
    expect(isValidOriginSessionId("a b")).toBe(false);
    expect(isValidOriginSessionId("a\u007f")).toBe(false);
    expect(isValidOriginSessionId("é")).toBe(false);
  });
});

describe("sessions from an initialize answer", () => {
  const answer = (result: object): JsonRpcMessage => ({ kind: "response", message: { jsonrpc: "2.0", id: 1, result } }) as JsonRpcMessage;

  it("wraps the origin's session and the negotiated version", async () => {
    const id = await sessionFromInitialize(secret, binding, "origin-1", answer({ protocolVersion: "2025-06-18" }));
    expect(await unwrapSession(secret, binding, id!)).toEqual({ originSessionId: "origin-1", version: "2025-06-18" });
  });

  it("opens none when the origin keeps no session or the answer is no result", async () => {
    expect(await sessionFromInitialize(secret, binding, null, answer({ protocolVersion: "2025-06-18" }))).toBeUndefined();
    expect(await sessionFromInitialize(secret, binding, "o", undefined)).toBeUndefined();
    expect(await sessionFromInitialize(secret, binding, "o", { kind: "response", message: { jsonrpc: "2.0", id: 1, error: { code: 1, message: "no" } } })).toBeUndefined();
    expect(await sessionFromInitialize(secret, binding, "o", { kind: "notification", message: { jsonrpc: "2.0", method: "x" } })).toBeUndefined();
  });

  it("blames the origin for an unsupported or stateless version, or an invalid session id", async () => {
    for (const result of [{}, { protocolVersion: 20250618 }, { protocolVersion: "1999-01-01" }, { protocolVersion: "2026-07-28" }]) {
      expect(await refused(sessionFromInitialize(secret, binding, "o", answer(result)))).toBe("originInvalidAnswer");
    }
    expect(await refused(sessionFromInitialize(secret, binding, "bad id", answer({ protocolVersion: "2025-11-25" })))).toBe("originInvalidAnswer");
  });
});
