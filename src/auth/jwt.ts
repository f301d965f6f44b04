// JWT resource-server mode (policy `origins.<name>.jwt`): an access token the organization's own
// authorization server issued as a JWT (RFC 9068), verified with jose against the issuer's key set.
// Checked here: the algorithm (the endpoint's asymmetric allow-list; none and HS* are named apart),
// the issuer before any key is looked up, the signature against a key of the issuer's JWKS chosen by
// `kid`, `aud`, `exp` (required) and `nbf` within the clock skew, and `sub` (required). The key
// set is fetched defensively (no redirects, a size and a time cap, JSON Web Key Set shape) and cached
// per isolate for KEY_SET_MAX_AGE_MS; a `kid` it lacks makes it fetch again at most once per
// UNKNOWN_KID_COOLDOWN_MS per key set (the issuer rotated its keys), so forged key ids cannot turn the
// gateway into a flood against the issuer. A token is never stored: the caller is `jwt:` + a digest of
// iss and sub, and the claim-mapping rules (the same ones `oauth.roleMapping` uses) give the roles.
// Every refusal is a JwtRefusal whose message is the precise reason for audit, never a token value.

import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import { GatewayError } from "../errors.js";
import { toHex } from "../hmac.js";
import { IsolateCache } from "../isolate-cache.js";
import { LoginRefused, mapRoles } from "../oauth/upstream.js";
import type { OriginJwtSettings } from "../policy/types.js";

export const KEY_SET_MAX_BYTES = 64 * 1024;
export const KEY_SET_TIMEOUT_MS = 5_000;
/** Keys are read again after this even when every `kid` is known (a revoked key disappears from the set). */
export const KEY_SET_MAX_AGE_MS = 10 * 60_000;
/** At most one fetch per key set for unknown key ids in this window. */
export const UNKNOWN_KID_COOLDOWN_MS = 60_000;

/** A token refused; the message is the precise reason (audit only: the wire says `invalid_token`). */
export class JwtRefusal extends Error {}

/** Compact JWS shape: three base64url parts (the third empty for `alg: none`). Gateway tokens never contain a dot. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

type KeySet = { resolve: ReturnType<typeof createLocalJWKSet>; fetchedAt: number };

/** This isolate's key sets by JWKS URL, the fetches under way (concurrent callers share one), and each set's last re-read for an unknown kid. */
const keySets = new IsolateCache<string, KeySet>(64);
const fetching = new Map<string, Promise<KeySet>>();
const unknownKidFetches = new IsolateCache<string, number>(64);

async function readKeySet(url: string): Promise<JSONWebKeySet> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(KEY_SET_TIMEOUT_MS) });
  } catch (error) {
    throw new Error(`JWKS fetch failed: ${(error as Error).name}`);
  }
  // A redirect is an answer like any other non-200: not followed.
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`JWKS answered HTTP ${response.status}`);
  }
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    size += next.value.byteLength;
    if (size > KEY_SET_MAX_BYTES) {
      await reader.cancel();
      throw new Error("JWKS larger than its cap");
    }
    chunks.push(next.value);
  }
  let json: { keys?: unknown };
  try {
    json = JSON.parse(new TextDecoder().decode(await new Blob(chunks).arrayBuffer()));
  } catch {
    throw new Error("JWKS is not JSON");
  }
  if (!Array.isArray(json?.keys)) throw new Error("JWKS has no keys array");
  // Only public keys of asymmetric types are keys of a verifier: a secret (`oct`) or anything with a private member is dropped, never used.
  const usable = json.keys.filter((key: unknown) => typeof key === "object" && key !== null && ["RSA", "EC", "OKP"].includes((key as { kty?: unknown }).kty as string) && !("d" in key));
  return { keys: usable as JSONWebKeySet["keys"] };
}

function loadKeySet(url: string, now: number): Promise<KeySet> {
  let pending = fetching.get(url);
  if (!pending) {
    pending = readKeySet(url)
      .then((jwks) => {
        const keySet = { resolve: createLocalJWKSet(jwks), fetchedAt: now };
        keySets.set(url, keySet);
        return keySet;
      })
      .finally(() => fetching.delete(url));
    fetching.set(url, pending);
  }
  return pending;
}

async function currentKeySet(url: string, now: number): Promise<KeySet> {
  const cached = keySets.get(url);
  if (cached && now - cached.fetchedAt < KEY_SET_MAX_AGE_MS) return cached;
  try {
    return await loadKeySet(url, now);
  } catch (error) {
    // An issuer briefly down keeps its last keys (they were good when read), tried again after the cool-down, not on every request.
    if (cached) {
      cached.fetchedAt = now - KEY_SET_MAX_AGE_MS + UNKNOWN_KID_COOLDOWN_MS;
      return cached;
    }
    throw new GatewayError("keySetUnavailable", `${(error as Error).message} (${url})`);
  }
}

/** The verification key for this token's header: from the cached set, or after one re-fetch (rotation) outside the cool-down. */
async function verificationKey(url: string, header: ProtectedHeaderParameters, token: Parameters<KeySet["resolve"]>[1], now: number) {
  const keySet = await currentKeySet(url, now);
  try {
    return await keySet.resolve(header, token);
  } catch (error) {
    if (!(error instanceof errors.JWKSNoMatchingKey) || now - (unknownKidFetches.get(url) ?? -Infinity) < UNKNOWN_KID_COOLDOWN_MS) throw error;
    unknownKidFetches.set(url, now);
    let fresh: KeySet;
    try {
      fresh = await loadKeySet(url, now);
    } catch {
      throw error;
    }
    return fresh.resolve(header, token);
  }
}

/** The caller a verified token names: a digest of issuer and subject, so one `sub` at two issuers is two callers. */
export async function jwtPrincipalId(issuer: string, subject: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${issuer}\n${subject}`));
  return `jwt:${toHex(new Uint8Array(digest)).slice(0, 32)}`;
}

/** jose names the claim that failed (one of its own checks or of `requiredClaims`), never a value from the token. */
function claimReason(claim: string): string {
  if (claim === "iss") return "JWT issuer is not this endpoint's issuer";
  if (claim === "aud") return "JWT audience is not this endpoint";
  if (claim === "nbf") return "JWT not yet valid (nbf beyond the clock skew)";
  return `JWT ${claim} claim missing or invalid`;
}

/** What a refused verification was, as a reason that carries no value from the token. */
function refusalOf(error: unknown): JwtRefusal {
  if (error instanceof errors.JWTExpired) return new JwtRefusal("JWT expired (exp beyond the clock skew)");
  if (error instanceof errors.JWTClaimValidationFailed) return new JwtRefusal(claimReason(error.claim));
  if (error instanceof errors.JWKSNoMatchingKey) return new JwtRefusal("JWT key id (kid) not in the issuer's key set, even after a re-fetch within the cool-down");
  if (error instanceof errors.JWSSignatureVerificationFailed) return new JwtRefusal("JWT signature does not verify");
  if (error instanceof errors.JOSEAlgNotAllowed) return new JwtRefusal("JWT algorithm not in this endpoint's allowed algorithms");
  if (error instanceof errors.JOSEError) return new JwtRefusal(`JWT refused by jose (${error.code})`);
  throw error;
}

export type VerifiedJwt = { principal: string; name: string; roles: string[] };

/**
 * The caller a JWT names at an endpoint in JWT mode, or a thrown JwtRefusal (the token is no good here),
 * or GatewayError `keySetUnavailable` (the issuer's key set could not be read and none is cached).
 */
export async function verifyJwt(token: string, settings: OriginJwtSettings, nowMs: number): Promise<VerifiedJwt> {
  let header: ProtectedHeaderParameters;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    unverified = decodeJwt(token);
  } catch {
    throw new JwtRefusal("malformed JWT (header or payload is not base64url JSON)");
  }
  // Named apart: the two classic forgeries, an unsigned token and the issuer's public key used as an HMAC secret.
  if (header.alg === "none") throw new JwtRefusal("JWT alg none (unsigned) refused");
  if (typeof header.alg === "string" && header.alg.startsWith("HS")) throw new JwtRefusal("JWT with a symmetric algorithm (HS*) refused");
  // Another issuer's token costs no key lookup (and so no fetch).
  if (unverified.iss !== settings.issuer) throw new JwtRefusal(claimReason("iss"));
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, (keyHeader, input) => verificationKey(settings.jwksUrl, keyHeader, input, nowMs), {
      algorithms: settings.algorithms,
      issuer: settings.issuer,
      audience: settings.audience,
      clockTolerance: settings.clockSkewSeconds,
      currentDate: new Date(nowMs),
      requiredClaims: ["exp", "sub"],
    }));
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw refusalOf(error);
  }
  if (typeof payload.sub !== "string" || payload.sub === "") throw new JwtRefusal(claimReason("sub"));
  let roles: string[];
  try {
    roles = mapRoles(settings, payload as Record<string, unknown>);
  } catch (error) {
    if (error instanceof LoginRefused) throw new JwtRefusal("JWT claims match no role mapping rule, or no admitted e-mail domain");
    throw error;
  }
  const email = typeof payload.email === "string" && payload.email_verified === true ? payload.email : undefined;
  return { principal: await jwtPrincipalId(settings.issuer, payload.sub), name: email ?? payload.sub, roles };
}
