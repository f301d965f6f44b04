// The grant-admin signature the CLI sends and /oauth/grants/revoke checks.

import { describe, expect, it } from "vitest";
import { revokeAuthorization, revokeSignatureProblem } from "../../src/oauth/admin.js";

const PEPPER = "test-token-pepper-0123456789abcdef0123456789ab";
const GRANT = "0123456789abcdef0123456789abcdef";
const NOW = 1_800_000_000;

describe("revokeSignatureProblem", () => {
  it("accepts the CLI's signature within five minutes of the gateway's clock", async () => {
    expect(await revokeSignatureProblem(PEPPER, await revokeAuthorization(PEPPER, GRANT, NOW), GRANT, NOW)).toBeUndefined();
    expect(await revokeSignatureProblem(PEPPER, await revokeAuthorization(PEPPER, GRANT, NOW - 300), GRANT, NOW)).toBeUndefined();
    expect(await revokeSignatureProblem(PEPPER, await revokeAuthorization(PEPPER, GRANT, NOW + 300), GRANT, NOW)).toBeUndefined();
  });

  it("refuses another pepper, another grant, an old or future time, and anything that is no signature", async () => {
    const other = "0123456789abcdef0123456789abcdee";
    expect(await revokeSignatureProblem(PEPPER, await revokeAuthorization(`${PEPPER}x`, GRANT, NOW), GRANT, NOW)).toBe("the signature does not match");
    expect(await revokeSignatureProblem(PEPPER, await revokeAuthorization(PEPPER, other, NOW), GRANT, NOW)).toBe("the signature does not match");
    expect(await revokeSignatureProblem(PEPPER, await revokeAuthorization(PEPPER, GRANT, NOW - 301), GRANT, NOW)).toMatch(/five minutes/);
    expect(await revokeSignatureProblem(PEPPER, await revokeAuthorization(PEPPER, GRANT, NOW + 301), GRANT, NOW)).toMatch(/five minutes/);
    expect(await revokeSignatureProblem(PEPPER, undefined, GRANT, NOW)).toBe("no grant-admin signature");
    expect(await revokeSignatureProblem(PEPPER, `Bearer ${GRANT}`, GRANT, NOW)).toBe("no grant-admin signature");
    expect(await revokeSignatureProblem(PEPPER, await revokeAuthorization(PEPPER, "not-a-grant", NOW), "not-a-grant", NOW)).toMatch(/32 hex/);
  });
});
