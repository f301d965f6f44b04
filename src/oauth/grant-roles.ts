// The roles an OAuth grant carries: at consent, the roles the user's claims map to that the client asked
// for as scopes; at each refresh, the same computed again from the claims kept at consent against the
// policy now in force, and kept only where the consent granted them — so a policy change that drops a
// mapping rule or a role ends that role at the grant's next refresh, and the grant when none is left.

import type { OAuthSettings } from "../policy/types.js";
import { LoginRefused, mapRoles } from "./upstream.js";

/** What the refresh re-check needs of the compiled policy: the mapping rules and the role inheritance table. */
export type RolePolicy = Pick<OAuthSettings, "emailDomains" | "roleMapping"> & { roles: Record<string, string[]> };

/** The user's roles (with what they inherit) that the client asked for as scopes; all of them when it asked for none. */
export function grantedRoles(roles: Record<string, string[]>, userRoles: string[], scopes: string[] | undefined): string[] {
  if (!scopes) return userRoles;
  const held = new Set(userRoles.flatMap((role) => roles[role] ?? [role]));
  return scopes.filter((scope) => held.has(scope)).sort();
}

/** The claims a grant keeps for the refresh re-check: those the mapping rules and the e-mail checks read, nothing else. */
export function mappingClaims(settings: Pick<OAuthSettings, "roleMapping">, claims: Record<string, unknown>): Record<string, unknown> {
  const names = new Set(["email", "email_verified", ...settings.roleMapping.map((rule) => rule.claim)]);
  return Object.fromEntries(Object.entries(claims).filter(([name]) => names.has(name)));
}

/** The consented roles the current policy still grants for the stored claims; empty when it grants none. */
export function rolesAtRefresh(policy: RolePolicy, claims: Record<string, unknown>, scopes: string[] | undefined, consented: string[]): string[] {
  let mapped: string[];
  try {
    mapped = mapRoles(policy, claims);
  } catch (error) {
    if (error instanceof LoginRefused) return [];
    throw error;
  }
  const now = new Set(grantedRoles(policy.roles, mapped, scopes));
  return consented.filter((role) => now.has(role));
}
