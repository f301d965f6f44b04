// A virtual server's sealed session ids and listing cursors (src/virtual/session.ts): each opens only
// for the server and principal (and, a cursor, the listing method) it was sealed for, unchanged, and
// only in its shape; anything else is refused as forged (it counts toward the abuse cooldown). The
// e2e tests (test/e2e/virtual.test.ts) drive them through the endpoint.

import { describe, expect, it } from "vitest";
import { seal } from "../../src/sealed.js";
import { MAX_SEALED_LENGTH, openCursor, sealCursor, unwrapVirtualSession, wrapVirtualSession } from "../../src/virtual/session.js";
import { failureOf } from "../support/failure.js";

const SECRET = "virtual-session-test-secret-0123456789abcdef";
const binding = { server: "tools", principal: "alice" };
const session = { version: "2025-11-25" as const, origins: { github: "s-1", files: "" } };

describe("virtual session ids", () => {
  it("open for the server and principal they were sealed for, with the revision and each origin's session", async () => {
    const id = await wrapVirtualSession(SECRET, binding, session);
    expect(id.startsWith("w2v.")).toBe(true);
    expect(await unwrapVirtualSession(SECRET, binding, id)).toEqual(session);
  });

  it("are refused as forged for another server, another principal, another secret, or altered", async () => {
    const id = await wrapVirtualSession(SECRET, binding, session);
    // The second-to-last character always carries six bits of the sealed bytes (the last may carry padding bits).
    const altered = `${id.slice(0, -2)}${id.at(-2) === "A" ? "B" : "A"}${id.at(-1)}`;
    expect(altered).not.toBe(id);
    for (const [secret, bound, text] of [
      [SECRET, { server: "other", principal: "alice" }, id],
      [SECRET, { server: "tools", principal: "bob" }, id],
      [`${SECRET}x`, binding, id],
      [SECRET, binding, altered],
      [SECRET, binding, "w2v."],
    ] as const) {
      const refused = await failureOf(unwrapVirtualSession(secret, bound, text));
      expect(refused).toMatchObject({ kind: "sessionNotFound", reason: "session id does not open for this server and principal", options: { forged: true } });
    }
  });

  it("refuses a sealed value that is not a session: an unknown revision, origins that are no map of strings, another shape", async () => {
    const sealed = (value: unknown) => seal({ secret: SECRET, purpose: "virtual-session", prefix: "w2v." }, [binding.server, binding.principal], value);
    expect(await unwrapVirtualSession(SECRET, binding, await sealed(["2025-11-25", {}]))).toEqual({ version: "2025-11-25", origins: {} });
    for (const value of [["1999-01-01", {}], [20251125, {}], ["2025-11-25", null], ["2025-11-25", ["s-1"]], ["2025-11-25", { github: 1 }], ["2025-11-25", "s-1"], ["2025-11-25"], ["2025-11-25", {}, "extra"], { version: "2025-11-25", origins: {} }, "2025-11-25"]) {
      const refused = await failureOf(unwrapVirtualSession(SECRET, binding, await sealed(value)));
      expect({ value, kind: refused.kind, forged: refused.options.forged }).toEqual({ value, kind: "sessionNotFound", forged: true });
    }
  });
});

describe("virtual listing cursors", () => {
  const next = { github: "page-2", files: "c-9" };

  it("open for the caller and listing they were sealed for", async () => {
    const cursor = await sealCursor(SECRET, binding, "tools/list", next);
    expect(cursor.startsWith("mcpw-c1.")).toBe(true);
    expect(await openCursor(SECRET, binding, "tools/list", cursor)).toEqual(next);
    // Sealed for the cursor purpose, whoever sealed it.
    expect(await openCursor(SECRET, binding, "tools/list", await seal({ secret: SECRET, purpose: "virtual-cursor", prefix: "mcpw-c1." }, [binding.server, binding.principal, "tools/list"], next))).toEqual(next);
  });

  it("are refused as forged for another listing, caller or server, and when they are no map of strings", async () => {
    const cursor = await sealCursor(SECRET, binding, "tools/list", next);
    const sealed = (value: unknown) => seal({ secret: SECRET, purpose: "virtual-cursor", prefix: "mcpw-c1." }, [binding.server, binding.principal, "tools/list"], value);
    const attempts: [typeof binding, string, string][] = [
      [binding, "prompts/list", cursor],
      [{ server: "tools", principal: "bob" }, "tools/list", cursor],
      [{ server: "other", principal: "alice" }, "tools/list", cursor],
      [binding, "tools/list", "mcpw-c1.nothing"],
    ];
    for (const value of [null, ["page-2"], { github: 2 }, { github: "page-2", files: 2 }, "page-2"]) attempts.push([binding, "tools/list", await sealed(value)]);
    // A session id is no cursor, though both are sealed with the same secret and binding.
    attempts.push([binding, "tools/list", await seal({ secret: SECRET, purpose: "virtual-session", prefix: "mcpw-c1." }, [binding.server, binding.principal, "tools/list"], next)]);
    for (const [bound, method, text] of attempts) {
      const refused = await failureOf(openCursor(SECRET, bound, method, text));
      expect(refused).toMatchObject({
        kind: "invalidParams",
        reason: "cursor not issued by this gateway for this listing",
        options: { detail: "cursor must be the nextCursor this server gave you, unchanged", forged: true },
      });
    }
  });

});

describe("the session id's size bound", () => {
  const sessionOf = (origins: number) => ({ version: "2026-07-28" as const, origins: Object.fromEntries(Array.from({ length: origins }, (_, index) => [`origin-${index}`, "s".repeat(120)])) });

  it("opens a session id longer than sealed.ts's default bound, and refuses one over 16 KiB", async () => {
    const id = await wrapVirtualSession(SECRET, binding, sessionOf(40));
    expect(id.length).toBeGreaterThan(4096);
    expect(await unwrapVirtualSession(SECRET, binding, id)).toEqual(sessionOf(40));
    const huge = await wrapVirtualSession(SECRET, binding, sessionOf(200));
    expect(huge.length).toBeGreaterThan(16 * 1024);
    expect((await failureOf(unwrapVirtualSession(SECRET, binding, huge))).kind).toBe("sessionNotFound");
  });
});

describe("ids and cursors over 16 KiB", () => {
  it("are refused by their length, before opening, with a precise error", async () => {
    const session = await failureOf(unwrapVirtualSession(SECRET, binding, `w2v.${"A".repeat(MAX_SEALED_LENGTH)}`));
    expect(session).toMatchObject({ kind: "sessionNotFound", options: { detail: `Mcp-Session-Id is longer than ${MAX_SEALED_LENGTH} characters: not one this gateway issued`, forged: true } });
    const cursor = await failureOf(openCursor(SECRET, binding, "tools/list", `mcpw-c1.${"A".repeat(MAX_SEALED_LENGTH)}`));
    expect(cursor).toMatchObject({ kind: "invalidParams", options: { detail: `cursor is longer than ${MAX_SEALED_LENGTH} characters: not one this gateway issued`, forged: true } });
  });

  it("are never issued: origins' cursors that would make one are the origins' fault", async () => {
    const refused = await failureOf(sealCursor(SECRET, binding, "tools/list", { a: "x".repeat(7000), b: "y".repeat(7000) }));
    expect(refused).toMatchObject({ kind: "originInvalidAnswer", options: { detail: `the origins' cursors together are longer than ${MAX_SEALED_LENGTH} characters` } });
  });

  it("keep an origin to list from its start (null) in a cursor", async () => {
    const cursor = await sealCursor(SECRET, binding, "tools/list", { github: "page-2", files: null });
    expect(await openCursor(SECRET, binding, "tools/list", cursor)).toEqual({ github: "page-2", files: null });
  });
});
