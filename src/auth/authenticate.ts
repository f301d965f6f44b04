// Who is calling: the bearer token from the Authorization header (and nowhere else), checked for
// shape and checksum, then looked up in KV by its HMAC under the pepper; the record is validated and
// its expiry checked again in code (KV expiration is lazy) on every request, cached or not. An isolate
// keeps records it found for `tokenCacheSeconds`, by token, so a busy caller costs one KV read and one
// HMAC per isolate per interval; unknown tokens are never cached. Failures are 401 with an RFC 6750 challenge pointing at
// the RFC 9728 protected-resource metadata; the precise reason stays inside. The `authentication`
// middleware puts the Principal on the context before any body is read. An endpoint in JWT mode
// (policy `origins.<name>.jwt`) takes the issuer's JWT access tokens instead (auth/jwt.ts), and the
// gateway's own tokens too only with `gatewayTokens: true`; every other endpoint refuses a JWT unread.

import { createMiddleware } from "hono/factory";
import { gatewaySecrets, type Env } from "../config.js";
import { GatewayError } from "../errors.js";
import { IsolateCache } from "../isolate-cache.js";
import type { FailedAuthGuard } from "../ratelimit/failed-auth.js";
import { TOKEN_PREFIX, isWellFormedToken, tokenKey } from "./token.js";
import { tokenRecordSchema, type TokenRecord } from "./record.js";
import { JwtRefusal, looksLikeJwt, verifyJwt } from "./jwt.js";
import type { OriginJwtSettings } from "../policy/types.js";

export type Principal = {
  id: string;
  name: string;
  roles: string[];
  /** The address ranges the token is bound to (the policy stage refuses a caller outside them). */
  addresses?: string[];
  /** The caller's own token, kept only so the scrubber can redact it from answers. */
  token: string;
  /** An OAuth access token's grant: its roles are scopes the client asked for, and a 403 says which one it lacks. */
  grant?: string;
  /** What authenticated the caller: a CLI token, a gateway-issued OAuth access token, or the issuer's JWT (JWT mode). */
  via: AuthMode;
};

export type AuthMode = "token" | "oauth" | "jwt";

export function protectedResourcePath(origin: string): string {
  return `/.well-known/oauth-protected-resource/mcp/${origin}`;
}

function challenge(request: Request, origin: string, error?: { code: string; description: string }): string {
  const metadata = new URL(protectedResourcePath(origin), request.url).href;
  const parts = [`Bearer realm="mcp-warden"`, `resource_metadata="${metadata}"`];
  if (error) parts.push(`error="${error.code}"`, `error_description="${error.description}"`);
  return parts.join(", ");
}

function refuse(request: Request, origin: string, reason: string, error?: { code: string; description: string }): GatewayError {
  return new GatewayError("unauthorized", reason, {
    detail: error?.description ?? "a bearer token is required",
    headers: { "www-authenticate": challenge(request, origin, error) },
  });
}

/** RFC 6750 §2.1 only: `Authorization: Bearer <token>`, scheme case-insensitive, one token. */
export function bearerToken(request: Request, origin: string): string {
  const url = new URL(request.url);
  const cookie = request.headers.get("cookie") ?? "";
  if (url.searchParams.has("access_token") || url.search.includes(TOKEN_PREFIX) || cookie.includes(TOKEN_PREFIX)) {
    throw new GatewayError("tokenNotInHeader", "token offered outside the Authorization header", {
      detail: "send the token in the Authorization header only",
      headers: { "www-authenticate": challenge(request, origin, { code: "invalid_request", description: "send the token in the Authorization header only" }) },
    });
  }
  const header = request.headers.get("authorization");
  if (header === null) throw refuse(request, origin, "no authorization header");
  const match = /^bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
  if (!match) throw refuse(request, origin, "authorization header is not a bearer token", { code: "invalid_request", description: "use the Bearer scheme" });
  return match[1]!;
}

const INVALID_TOKEN = { code: "invalid_token", description: "the token is invalid, expired or revoked; ask your operator for a new one" };

/**
 * Records this isolate found in KV, by the token itself (a cached token costs no HMAC either) and
 * only under the pepper they were found with, each with the second it must be read again. The tokens
 * stay in the isolate's memory no longer than their records.
 */
const cachedRecords = new IsolateCache<string, { record: TokenRecord; until: number; pepper: string }>(10_000);

function cachedRecord(token: string, pepper: string, now: number): TokenRecord | undefined {
  const cached = cachedRecords.get(token);
  if (cached && cached.until > now && cached.pepper === pepper) return cached.record;
  if (cached) cachedRecords.delete(token);
  return undefined;
}

/** Drops this isolate's cached records of an OAuth grant's access tokens (the grant was just revoked here). */
export function forgetCachedGrant(grant: string): void {
  cachedRecords.deleteWhere((cached) => cached.record.grant === grant);
}

function cacheRecord(token: string, pepper: string, record: TokenRecord, now: number, cacheSeconds: number): void {
  if (cacheSeconds === 0) return;
  cachedRecords.set(token, { record, until: now + cacheSeconds, pepper });
}

export async function authenticate(
  request: Request,
  origin: string,
  pepper: string,
  tokens: KVNamespace,
  now: number,
  cacheSeconds: number,
  /** Runs before a token that is not cached costs a KV read (and may refuse the request instead). */
  beforeLookup?: () => void,
  /** The policy's `gateway.maxTokenLifetime`: a token older than this is expired, whatever its own expiry says. */
  maxLifetimeSeconds?: number,
  /** The endpoint's JWT mode, when it has one. */
  jwt?: OriginJwtSettings,
): Promise<Principal> {
  const token = bearerToken(request, origin);
  if (looksLikeJwt(token)) {
    if (!jwt) throw refuse(request, origin, "JWT at an endpoint not configured for JWT mode", INVALID_TOKEN);
    return jwtPrincipal(request, origin, token, jwt, now);
  }
  if (jwt && !jwt.gatewayTokens) throw refuse(request, origin, isWellFormedToken(token) ? "gateway token at an endpoint that takes the issuer's JWTs only" : "not a signed JWT (compact JWS), at an endpoint in JWT mode", INVALID_TOKEN);
  if (!isWellFormedToken(token)) throw refuse(request, origin, "malformed token or bad checksum", INVALID_TOKEN);
  let record = cachedRecord(token, pepper, now);
  if (!record) {
    beforeLookup?.();
    const key = await tokenKey(pepper, token);
    let stored: string | null;
    try {
      stored = await tokens.get(key, "text");
    } catch (error) {
      throw new GatewayError("tokenStoreUnavailable", `KV read failed: ${(error as Error).message}`);
    }
    if (stored === null) throw refuse(request, origin, "unknown or revoked token", INVALID_TOKEN);
    let json: unknown;
    try {
      json = JSON.parse(stored);
    } catch {
      throw refuse(request, origin, "token record is not JSON", INVALID_TOKEN);
    }
    const parsed = tokenRecordSchema.safeParse(json);
    if (!parsed.success) throw refuse(request, origin, "token record fails its schema", INVALID_TOKEN);
    record = parsed.data;
    cacheRecord(token, pepper, record, now, cacheSeconds);
  }
  if (record.expiresAt !== null && record.expiresAt <= now) throw refuse(request, origin, "expired token", INVALID_TOKEN);
  if (maxLifetimeSeconds !== undefined && record.createdAt + maxLifetimeSeconds <= now) throw refuse(request, origin, "token older than the maximum token lifetime", INVALID_TOKEN);
  // An OAuth access token names its one resource (RFC 8707): elsewhere it is no token at all (RFC 6750 invalid_token).
  if (record.grant !== undefined && !record.origins?.includes(origin)) throw refuse(request, origin, `OAuth token issued for another resource`, INVALID_TOKEN);
  if (record.origins && !record.origins.includes(origin)) {
    throw new GatewayError("forbidden", `token not valid for origin ${origin}`, { detail: "this token may not use this endpoint" });
  }
  return { id: record.principal, name: record.name, roles: record.roles, token, via: record.grant ? "oauth" : "token", ...(record.addresses ? { addresses: record.addresses } : {}), ...(record.grant ? { grant: record.grant } : {}) };
}

/** A JWT verified at its endpoint; a refusal is the same 401 challenge as a gateway token's, its reason precise inside. */
async function jwtPrincipal(request: Request, origin: string, token: string, settings: OriginJwtSettings, now: number): Promise<Principal> {
  try {
    const verified = await verifyJwt(token, settings, now * 1000);
    return { id: verified.principal, name: verified.name, roles: verified.roles, token, via: "jwt" };
  } catch (error) {
    if (error instanceof JwtRefusal) throw refuse(request, origin, error.message, INVALID_TOKEN);
    throw error;
  }
}

export type AuthVariables = { principal: Principal };

/**
 * `failures` bounds unauthenticated traffic per client address (ratelimit/failed-auth.ts): an address
 * over its limit is refused before its token costs a KV read, and every failure is counted.
 */
export function authentication({ tokenCacheSeconds, maxTokenLifetimeSeconds, failures, origins = {} }: { tokenCacheSeconds: number; maxTokenLifetimeSeconds?: number; failures: FailedAuthGuard; origins?: Record<string, { jwt?: OriginJwtSettings }> }) {
  if (!Number.isInteger(tokenCacheSeconds) || tokenCacheSeconds < 0) throw new Error("authentication: tokenCacheSeconds must be a whole number of seconds");
  return createMiddleware<{ Bindings: Env; Variables: AuthVariables & { originName: string } }>(async (c, next) => {
    const { pepper, tokens } = gatewaySecrets(c.env);
    // Cloudflare sets CF-Connecting-IP and a client cannot: without it (local development) all callers share one address.
    const address = c.req.header("cf-connecting-ip") ?? "unknown";
    const now = Date.now();
    try {
      // A token this isolate already knows passes even from a blocked address: the block only spares KV reads.
      const refuse = () => failures.refuseIfBlocked(address, now);
      c.set("principal", await authenticate(c.req.raw, c.get("originName"), pepper, tokens, Math.floor(now / 1000), tokenCacheSeconds, refuse, maxTokenLifetimeSeconds, origins[c.get("originName")]?.jwt));
    } catch (error) {
      if (error instanceof GatewayError && error.kind === "unauthorized") c.executionCtx.waitUntil(failures.recordFailure(c.env, address, now));
      throw error;
    }
    await next();
  });
}
