// The gateway as an OpenID Connect client of the organization's provider (policy `oauth.upstream`):
// discovery, the authorization request (code + PKCE S256 + nonce), and the callback, where the code is
// exchanged and the ID token checked by oauth4webapi — its claims (iss, aud, exp, iat, nonce), and its
// signature against the provider's JWKS, which OpenID Connect lets a client skip for tokens from the
// token endpoint and this gateway does not. Then the claim-mapping rules turn the user into roles, or
// into a refusal that says why. Discovery and the key set are cached per isolate.

import * as oauth from "oauth4webapi";
import type { OAuthSettings } from "../policy/types.js";

export class LoginRefused extends Error {}

export type Claims = oauth.IDToken;

type Upstream = { as: oauth.AuthorizationServer; client: oauth.Client; auth: oauth.ClientAuth; keys: oauth.JWKSCacheInput; insecure: boolean };

let cached: { issuer: string; upstream: Promise<Upstream> } | undefined;

async function discover(settings: OAuthSettings["upstream"], clientSecret: string): Promise<Upstream> {
  const issuer = new URL(settings.issuer);
  // The policy admits http only on a loopback host (a local demo or test provider).
  const insecure = issuer.protocol === "http:";
  const response = await oauth.discoveryRequest(issuer, { algorithm: "oidc", [oauth.allowInsecureRequests]: insecure, signal: AbortSignal.timeout(5_000) });
  const as = await oauth.processDiscoveryResponse(issuer, response);
  if (!as.jwks_uri || !as.authorization_endpoint || !as.token_endpoint) throw new Error("provider metadata lacks jwks_uri, authorization_endpoint or token_endpoint");
  return {
    as,
    client: { client_id: settings.clientId },
    auth: oauth.ClientSecretBasic(clientSecret),
    keys: {},
    insecure,
  };
}

function upstream(settings: OAuthSettings["upstream"], clientSecret: string): Promise<Upstream> {
  if (!cached || cached.issuer !== settings.issuer) {
    const pending = discover(settings, clientSecret);
    cached = { issuer: settings.issuer, upstream: pending };
    // A failed discovery is tried again by the next login, not remembered.
    pending.catch(() => {
      if (cached?.upstream === pending) cached = undefined;
    });
  }
  return cached.upstream;
}

export type UpstreamLogin = { url: string; verifier: string; nonce: string };

export async function beginLogin(settings: OAuthSettings["upstream"], clientSecret: string, callback: string, state: string): Promise<UpstreamLogin> {
  const { as } = await upstream(settings, clientSecret);
  const verifier = oauth.generateRandomCodeVerifier();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    redirect_uri: callback,
    response_type: "code",
    scope: settings.scopes.join(" "),
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  }).toString();
  return { url: url.href, verifier, nonce };
}

/** The provider's verified ID token claims for the callback `url`, or a thrown error (the login failed). */
export async function finishLogin(settings: OAuthSettings["upstream"], clientSecret: string, url: URL, callback: string, state: string, login: { verifier: string; nonce: string }): Promise<Claims> {
  const { as, client, auth, keys, insecure } = await upstream(settings, clientSecret);
  const parameters = oauth.validateAuthResponse(as, client, url, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, auth, parameters, callback, login.verifier, { [oauth.allowInsecureRequests]: insecure, signal: AbortSignal.timeout(5_000) });
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: login.nonce, requireIdToken: true });
  await oauth.validateApplicationLevelSignature(as, response, { [oauth.jwksCache]: keys, [oauth.allowInsecureRequests]: insecure, signal: AbortSignal.timeout(5_000) });
  return oauth.getValidatedIdTokenClaims(result)!;
}

/** The user's e-mail address when the provider vouches for it (`email_verified` true), else undefined. */
export function verifiedEmail(claims: Record<string, unknown>): string | undefined {
  return typeof claims.email === "string" && claims.email_verified === true ? claims.email : undefined;
}

function claimMatches(value: unknown, expected: string | boolean): boolean {
  return Array.isArray(value) ? value.includes(expected) : value === expected;
}

/** Roles for the user's claims, or LoginRefused with the reason the page shows. */
export function mapRoles(settings: Pick<OAuthSettings, "emailDomains" | "roleMapping">, claims: Record<string, unknown>): string[] {
  if (settings.emailDomains.length) {
    const email = typeof claims.email === "string" ? claims.email.toLowerCase() : undefined;
    if (!email || claims.email_verified !== true) throw new LoginRefused("your identity provider did not vouch for an e-mail address, and this gateway admits people by e-mail domain");
    const domain = email.slice(email.lastIndexOf("@") + 1);
    if (!settings.emailDomains.includes(domain)) throw new LoginRefused(`the e-mail domain ${domain} is not one this gateway admits`);
  }
  const roles = new Set<string>();
  // A rule on the e-mail claim counts only for an address the provider verified: an unverified one is the user's own word.
  const matchable: Record<string, unknown> = { ...claims, email: verifiedEmail(claims) };
  for (const rule of settings.roleMapping) if (claimMatches(matchable[rule.claim], rule.equals)) for (const role of rule.roles) roles.add(role);
  if (roles.size === 0) throw new LoginRefused("no role mapping rule in the gateway's policy matches your account (for example, your groups); ask its operator to add one");
  return [...roles].sort();
}
