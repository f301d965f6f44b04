import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors.js";
import { MAX_SEALED_LENGTH, openCursor, sealCursor, unwrapVirtualSession, wrapVirtualSession } from "../../src/virtual/session.js";

const secret = "test-session-secret-0123456789abcdef0123456789";
const binding = { server: "all", principal: "user-1" };

/** The GatewayError a promise rejects with. */
async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe("virtual session ids and cursors", () => {
  it("open for their own server and principal only", async () => {
    const id = await wrapVirtualSession(secret, binding, { version: "2025-11-25", origins: { everything: "w2s.x", toolbox: "" } });
    expect(await unwrapVirtualSession(secret, binding, id)).toEqual({ version: "2025-11-25", origins: { everything: "w2s.x", toolbox: "" } });
    expect((await refusal(unwrapVirtualSession(secret, { ...binding, principal: "user-2" }, id))).kind).toBe("sessionNotFound");
    const cursor = await sealCursor(secret, binding, "tools/list", { everything: "2" });
    expect(await openCursor(secret, binding, "tools/list", cursor)).toEqual({ everything: "2" });
    expect((await refusal(openCursor(secret, binding, "prompts/list", cursor))).kind).toBe("invalidParams");
  });

  it("refuses a session id or cursor over 16 KiB by its length, before opening it", async () => {
    const long = `w2v.${"A".repeat(MAX_SEALED_LENGTH)}`;
    const session = await refusal(unwrapVirtualSession(secret, binding, long));
    expect(session.kind).toBe("sessionNotFound");
    expect(session.options.detail).toBe(`Mcp-Session-Id is longer than ${MAX_SEALED_LENGTH} characters: not one this gateway issued`);
    const cursor = await refusal(openCursor(secret, binding, "tools/list", `mcpw-c1.${"A".repeat(MAX_SEALED_LENGTH)}`));
    expect(cursor.kind).toBe("invalidParams");
    expect(cursor.options.detail).toBe(`cursor is longer than ${MAX_SEALED_LENGTH} characters: not one this gateway issued`);
  });

  it("will not issue a cursor it would refuse: origins' cursors over 16 KiB together are the origins' fault", async () => {
    const next = { a: "x".repeat(7000), b: "y".repeat(7000) };
    const error = await refusal(sealCursor(secret, binding, "tools/list", next));
    expect(error.kind).toBe("originInvalidAnswer");
    expect(error.options.detail).toBe(`the origins' cursors together are longer than ${MAX_SEALED_LENGTH} characters`);
  });
});
