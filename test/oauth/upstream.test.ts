// The claim-mapping rules that turn a verified ID token into roles, or into the refusal the user reads.

import { describe, expect, it } from "vitest";
import { LoginRefused, mapRoles, verifiedEmail } from "../../src/oauth/upstream.js";

const settings = {
  emailDomains: ["example.com"],
  roleMapping: [
    { claim: "groups", equals: "sre", roles: ["developer"] },
    { claim: "groups", equals: "staff", roles: ["viewer"] },
    { claim: "admin", equals: true, roles: ["admin"] },
  ],
};

const refusal = (claims: Record<string, unknown>) => {
  try {
    mapRoles(settings, claims);
  } catch (error) {
    expect(error).toBeInstanceOf(LoginRefused);
    return (error as Error).message;
  }
  return undefined;
};

describe("mapRoles", () => {
  it("adds the roles of every matching rule, for list and scalar claims", () => {
    expect(mapRoles(settings, { email: "a@example.com", email_verified: true, groups: ["sre", "staff"] })).toEqual(["developer", "viewer"]);
    expect(mapRoles(settings, { email: "a@EXAMPLE.com", email_verified: true, groups: "staff", admin: true })).toEqual(["admin", "viewer"]);
  });

  it("refuses an unverified or missing address, another domain, and a user no rule maps", () => {
    expect(refusal({ email: "a@example.com", email_verified: false, groups: ["sre"] })).toContain("did not vouch");
    expect(refusal({ groups: ["sre"] })).toContain("did not vouch");
    expect(refusal({ email: "a@example.com.evil.org", email_verified: true, groups: ["sre"] })).toContain("example.com.evil.org is not one");
    expect(refusal({ email: "a@example.com", email_verified: true, groups: ["other"], admin: "true" })).toContain("no role mapping rule");
  });

  it("matches a rule on the e-mail claim only when the provider verified the address, whatever the domain list", () => {
    const byEmail = { emailDomains: [], roleMapping: [{ claim: "email", equals: "ceo@example.com", roles: ["admin"] }, { claim: "groups", equals: "staff", roles: ["viewer"] }] };
    expect(mapRoles(byEmail, { sub: "u", email: "ceo@example.com", email_verified: true })).toEqual(["admin"]);
    expect(mapRoles(byEmail, { sub: "u", email: "ceo@example.com", email_verified: false, groups: ["staff"] })).toEqual(["viewer"]);
    expect(() => mapRoles(byEmail, { sub: "attacker", email: "ceo@example.com", email_verified: false })).toThrow(LoginRefused);
    expect(() => mapRoles(byEmail, { sub: "attacker", email: "ceo@example.com", email_verified: "true" })).toThrow(LoginRefused);
    expect(verifiedEmail({ email: "a@example.com", email_verified: true })).toBe("a@example.com");
    expect(verifiedEmail({ email: "a@example.com" })).toBeUndefined();
    expect(verifiedEmail({ email: ["a@example.com"], email_verified: true })).toBeUndefined();
  });

  it("admits any domain when the list is empty", () => {
    expect(mapRoles({ ...settings, emailDomains: [] }, { groups: ["sre"] })).toEqual(["developer"]);
  });
});
