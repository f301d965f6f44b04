// The roles a grant keeps across refreshes: mapped again from the claims stored at consent against the
// policy now in force, never more than the consent granted.

import { describe, expect, it } from "vitest";
import { grantedRoles, mappingClaims, rolesAtRefresh, type RolePolicy } from "../../src/oauth/grant-roles.js";

const policy: RolePolicy = {
  emailDomains: ["example.com"],
  roleMapping: [
    { claim: "groups", equals: "sre", roles: ["developer"] },
    { claim: "groups", equals: "staff", roles: ["viewer"] },
  ],
  roles: { developer: ["developer", "viewer"], viewer: ["viewer"], admin: ["admin", "developer", "viewer"] },
};
const alice = { email: "alice@example.com", email_verified: true, groups: ["sre"] };

describe("rolesAtRefresh", () => {
  it("keeps the consented roles while the policy still maps the stored claims to them", () => {
    expect(rolesAtRefresh(policy, alice, undefined, ["developer"])).toEqual(["developer"]);
    expect(rolesAtRefresh(policy, alice, ["viewer"], ["viewer"])).toEqual(["viewer"]);
  });

  it("never adds a role the consent did not grant, even when the policy now maps one", () => {
    const wider = { ...policy, roleMapping: [...policy.roleMapping, { claim: "groups", equals: "sre", roles: ["admin"] }] };
    expect(rolesAtRefresh(wider, alice, undefined, ["developer"])).toEqual(["developer"]);
  });

  it("drops a role whose mapping rule was removed, and every role once the user is no longer admitted", () => {
    expect(rolesAtRefresh({ ...policy, roleMapping: [{ claim: "groups", equals: "staff", roles: ["viewer"] }] }, alice, undefined, ["developer"])).toEqual([]);
    expect(rolesAtRefresh({ ...policy, emailDomains: ["example.org"] }, alice, undefined, ["developer"])).toEqual([]);
    expect(rolesAtRefresh({ ...policy, emailDomains: ["example.org"] }, alice, ["viewer"], ["viewer"])).toEqual([]);
    const both = { ...alice, groups: ["sre", "staff"] };
    expect(rolesAtRefresh({ ...policy, roleMapping: [{ claim: "groups", equals: "staff", roles: ["viewer"] }] }, both, undefined, ["developer", "viewer"])).toEqual(["viewer"]);
  });
});

describe("grantedRoles and mappingClaims", () => {
  it("grants requested scopes the user's roles include by inheritance", () => {
    expect(grantedRoles(policy.roles, ["developer"], ["viewer", "admin"])).toEqual(["viewer"]);
    expect(grantedRoles(policy.roles, ["developer"], undefined)).toEqual(["developer"]);
    // Sorted, whatever order the client asked in; a role with no inheritance entry holds itself.
    expect(grantedRoles({ b: ["b"], a: ["a"] }, ["b", "a"], ["b", "a"])).toEqual(["a", "b"]);
    expect(grantedRoles({}, ["auditor"], ["auditor"])).toEqual(["auditor"]);
  });

  it("keeps only the claims the mapping reads", () => {
    expect(mappingClaims(policy, { ...alice, sub: "u1", name: "Alice", address: "x" })).toEqual(alice);
  });
});
