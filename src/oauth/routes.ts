// The gateway as the OAuth 2.1 authorization server of its MCP endpoints (MCP authorization spec,
// 2025-11-25 and 2026-07-28), beside the MCP pipeline rather than in it:
//
//   GET  /.well-known/oauth-authorization-server   RFC 8414 metadata (issuer = this origin)
//   GET  /oauth/authorize   client (metadata document) and redirect URI checked, PKCE S256 and one known
//                           resource (RFC 8707) required; the user is sent to the OpenID provider
//   GET  /oauth/callback    the provider's answer: ID token verified, claims mapped to roles, consent page
//   POST /oauth/consent     the user's decision (CSRF token + the browser's own request cookie); on allow a
//                           grant (oauth/grant.ts) and a one-time code go back with `iss` (RFC 9207)
//   POST /oauth/token       authorization_code and refresh_token grants; tokens are `mcpw_` tokens whose
//                           KV keys are HMAC-SHA256(pepper, token), like CLI tokens
//   POST /oauth/register    Dynamic Client Registration (RFC 7591), only when the policy turns it on
//   POST /oauth/grants/revoke  `mcp-warden grant revoke`, signed (oauth/admin.ts): the grant object revokes
//
// Pending authorization requests live in KV under a keyed hash of their id for ten minutes. Every
// /oauth/* request makes one audit event (`oauth` field) with the precise reason of a refusal, which the
// client sees only in general terms; refusals at authorize, token and revoke count toward the client
// address's failed-authentication limit (ratelimit/failed-auth.ts), shared with the MCP endpoints, and
// registrations have a limit of their own per address.

import { Hono } from "hono/tiny";
import { AuditDraft, requestFacts } from "../audit/event.js";
import type { AuditEvent } from "../audit/schema.js";
import { gatewaySecrets, type Env } from "../config.js";
import { GatewayError, handleError, OAuthError } from "../errors.js";
import { hmacSha256, timingSafeEqualText, toBase64Url, toHex } from "../hmac.js";
import { forgetCachedGrant } from "../auth/authenticate.js";
import { generateToken, isWellFormedToken, tokenKey } from "../auth/token.js";
import type { CompiledLimit, CompiledPolicy, OAuthSettings } from "../policy/types.js";
import type { FailedAuthGuard } from "../ratelimit/failed-auth.js";
import { addressKey } from "../ratelimit/failed-auth.js";
import { limitBackend } from "../ratelimit/store.js";
import { REVOKE_PATH, revokeSignatureProblem } from "./admin.js";
import { clientMetadata, redirectUriAllowed, type ClientMetadata } from "./client-metadata.js";
import { MAX_REGISTRATION_BYTES, REGISTERED_CLIENT_ID, register, registeredClient, validateRegistration } from "./registration.js";
import { grantedRoles, mappingClaims, type RolePolicy } from "./grant-roles.js";
import type { Exchange, ExchangeResult, OAuthGrant } from "./grant.js";
import { consentPage, errorPage } from "./pages.js";
import { LoginRefused, beginLogin, finishLogin, mapRoles, verifiedEmail } from "./upstream.js";

export type OAuthEnv = Env & {
  OAUTH_GRANTS?: DurableObjectNamespace<OAuthGrant>;
  /** Tests and `npm start` only: admits http://127.0.0.1 and http://localhost client metadata documents. Never set in production. */
  INSECURE_DEV_LOOPBACK_CLIENT_METADATA?: string;
};

const REQUEST_SECONDS = 600;
const CODE_SECONDS = 60;
const REQUEST_KEY_PREFIX = "oauth-request:";
const CODE_KEY_PREFIX = "oauth-code:";
const REFRESH_KEY_PREFIX = "oauth-refresh:";

type PendingRequest = {
  clientId: string;
  clientName: string;
  redirectUri: string;
  state?: string;
  codeChallenge: string;
  origin: string;
  /** Roles the client asked for as scopes; absent, every role the user maps to. */
  scopes?: string[];
  login: { verifier: string; nonce: string };
  user?: { subject: string; name: string; roles: string[]; claims: Record<string, unknown> };
};

/** The endpoint URL a token is issued for: the RFC 8707 resource and the RFC 9728 `resource`. */
export function resourceUrl(base: string, origin: string): string {
  return `${base}/mcp/${origin}`;
}

/**
 * An origin's or a virtual server's metadata; only an origin endpoint names the authorization server (a grant is for one origin).
 * An endpoint in JWT mode names its JWT issuer first, and the gateway too when it also takes the gateway's own OAuth tokens.
 */
export function protectedResourceMetadata(policy: CompiledPolicy, base: string, endpoint: string): Record<string, unknown> {
  const jwt = Object.hasOwn(policy.origins, endpoint) ? policy.origins[endpoint]!.jwt : undefined;
  return {
    resource: resourceUrl(base, endpoint),
    bearer_methods_supported: ["header"],
    resource_name: `mcp-warden: ${endpoint}`,
    resource_documentation: `${base}/.well-known/mcp-warden`,
    ...(jwt
      ? { authorization_servers: [jwt.issuer, ...(jwt.gatewayTokens && policy.oauth ? [base] : [])] }
      : policy.oauth && Object.hasOwn(policy.origins, endpoint) ? { authorization_servers: [base], scopes_supported: Object.keys(policy.roles).sort() } : {}),
  };
}

function authorizationServerMetadata(policy: CompiledPolicy, base: string): Record<string, unknown> {
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    ...(policy.oauth?.dynamicClientRegistration ? { registration_endpoint: `${base}/oauth/register` } : {}),
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none"],
    scopes_supported: Object.keys(policy.roles).sort(),
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  };
}

async function keyOf(prefix: string, pepper: string, value: string): Promise<string> {
  return prefix + toHex(await hmacSha256(pepper, value));
}

function randomId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

async function s256(verifier: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

function cookieName(base: string): string {
  // __Host- binds the cookie to this host over https; plain http (local demo and tests) cannot carry it.
  return base.startsWith("https:") ? "__Host-warden-oauth" : "warden-oauth";
}

function requestCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(/; */)) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at) === name) return part.slice(at + 1);
  }
  return undefined;
}

function redirectWith(target: string, parameters: Record<string, string | undefined>, headers: Record<string, string> = {}): Response {
  const url = new URL(target);
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined) url.searchParams.set(name, value);
  return new Response(null, { status: 302, headers: { location: url.href, "cache-control": "no-store", ...headers } });
}

function grantStub(env: OAuthEnv, grantId: string): DurableObjectStub<OAuthGrant> {
  if (!env.OAUTH_GRANTS) throw new OAuthError("server_error", "the authorization server is not configured");
  return env.OAUTH_GRANTS.get(env.OAUTH_GRANTS.idFromName(grantId));
}

function upstreamSecret(env: OAuthEnv, settings: OAuthSettings): string {
  const value = env[settings.upstream.clientSecret.from];
  if (typeof value !== "string" || value === "") throw new Error(`secret ${settings.upstream.clientSecret.from} is missing`);
  return value;
}

const ENDPOINTS: Record<string, NonNullable<AuditEvent["oauth"]>["endpoint"]> = {
  "/oauth/authorize": "authorize",
  "/oauth/callback": "callback",
  "/oauth/consent": "consent",
  "/oauth/token": "token",
  "/oauth/register": "register",
  [REVOKE_PATH]: "revoke",
};
/** Endpoints where a refusal is a failed attempt at a credential (a code, a refresh token, a signature, a client's request). */
const GUARDED = new Set(["authorize", "token", "revoke"]);

type OAuthVariables = { audit: AuditDraft };

/** Records the precise reason of a refusal in the request's audit event and returns the answer the client sees. */
function refused(audit: AuditDraft, reason: string, response: Response): Response {
  audit.event.reason = reason;
  return response;
}

export function oauthRoutes({ policy, failures }: { policy: CompiledPolicy; failures: FailedAuthGuard }) {
  const settings = policy.oauth;
  if (!settings) throw new Error("oauthRoutes: the policy has no oauth section");
  // An endpoint that takes only its JWT issuer's tokens is no resource of this authorization server.
  const origins = Object.keys(policy.origins).filter((name) => policy.origins[name]!.jwt?.gatewayTokens !== false);
  const rolePolicy: RolePolicy = { emailDomains: settings.emailDomains, roleMapping: settings.roleMapping, roles: policy.roles };
  const registrationLimit: CompiledLimit | undefined = settings.dynamicClientRegistration && {
    id: "oauth-register",
    origin: "*",
    per: "principal",
    measure: "requests",
    cost: 1,
    limit: settings.dynamicClientRegistration.limit,
    windowMs: settings.dynamicClientRegistration.windowMs,
    algorithm: "fixed-window",
    fail: "closed",
  };
  const app = new Hono<{ Bindings: OAuthEnv; Variables: OAuthVariables }>();

  app.onError((error, c) => {
    if (error instanceof OAuthError) return error.toResponse();
    // The gateway's own refusals (a path under /oauth/ that is no route here: 404) keep their JSON-RPC shape.
    if (error instanceof GatewayError) return handleError(error, c);
    c.var.audit?.fail(new GatewayError("internal", `${error.name}: ${error.message}`));
    console.error(JSON.stringify({ error: `oauth: ${error.name}: ${error.message}` }));
    return new OAuthError("server_error", "the authorization server failed").toResponse();
  });

  // One audit event per /oauth/* request; a refusal at a guarded endpoint counts toward the address's failed-authentication limit.
  app.use("/oauth/*", async (c, next) => {
    const endpoint = ENDPOINTS[c.req.path];
    if (!endpoint || (endpoint === "register" && !registrationLimit)) return next();
    const draft = new AuditDraft(requestFacts(c.req.raw), policy.version, { queue: c.env.AUDIT_QUEUE, waitUntil: (promise) => c.executionCtx.waitUntil(promise) });
    draft.event.oauth = { endpoint };
    c.set("audit", draft);
    const address = c.req.header("cf-connecting-ip") ?? "unknown";
    if (GUARDED.has(endpoint)) {
      try {
        failures.refuseIfBlocked(address, Date.now());
      } catch (error) {
        if (!(error instanceof GatewayError)) throw error;
        const retryAfter = String(error.options.data?.retryAfter ?? 60);
        draft.event.reason = error.reason;
        draft.event.decision = "limited";
        draft.event.status = 429;
        draft.release();
        return new OAuthError("rate_limited", "too many failed requests from this address; try again later", error.reason, { "retry-after": retryAfter }).toResponse();
      }
    }
    await next();
    const status = c.res.status;
    draft.event.status = status;
    if (c.error instanceof OAuthError) draft.event.reason = c.error.reason;
    if (draft.event.decision === "error") draft.event.decision = status < 400 ? "allow" : status === 429 ? "limited" : status >= 500 ? "error" : "deny";
    if (GUARDED.has(endpoint) && status >= 400 && status < 500 && status !== 429) c.executionCtx.waitUntil(failures.recordFailure(c.env, address, Date.now()));
    draft.release();
  });

  app.get("/.well-known/oauth-authorization-server", (c) => c.json(authorizationServerMetadata(policy, new URL(c.req.url).origin)));

  app.get("/oauth/authorize", async (c) => {
    const audit = c.var.audit;
    const base = new URL(c.req.url).origin;
    const query = new URL(c.req.url).searchParams;
    for (const name of ["client_id", "redirect_uri", "response_type", "code_challenge", "code_challenge_method", "state", "resource", "scope"]) {
      if (query.getAll(name).length > 1) return refused(audit, `${name} repeated`, errorPage("Sign-in request refused", `The parameter ${name} appears more than once.`, 400));
    }
    const clientId = query.get("client_id") ?? "";
    const redirectUri = query.get("redirect_uri") ?? "";
    audit.event.oauth!.client = clientId.slice(0, 512);
    // Until the redirect URI is known to be the client's own, nothing is sent to it: errors stay on this page.
    let metadata: ClientMetadata;
    try {
      metadata =
        settings.dynamicClientRegistration && REGISTERED_CLIENT_ID.test(clientId)
          ? await registeredClient(gatewaySecrets(c.env).tokens, gatewaySecrets(c.env).pepper, clientId)
          : await clientMetadata(clientId, c.env.INSECURE_DEV_LOOPBACK_CLIENT_METADATA === "true", Math.floor(Date.now() / 1000));
    } catch (error) {
      // Why a metadata document could not be used is for the operator (the audit event), not for whoever sent the browser here.
      if (error instanceof OAuthError) return refused(audit, error.reason, errorPage("Unknown client", "The application's registration could not be used. Ask its developer, or the gateway's operator, to check it.", 400));
      throw error;
    }
    if (!redirectUriAllowed(metadata, redirectUri)) return refused(audit, "redirect_uri not registered by the client", errorPage("Sign-in request refused", "The application asked to send you to an address it has not registered.", 400));
    const state = query.get("state") ?? undefined;
    // A registered redirect URI is still the client's word, not a trusted one: before the user has consented,
    // an error is shown here rather than sent there automatically (OAuth 2.1 §7.12.2, no open redirector).
    const fail = (error: string, description: string) => refused(audit, `${error}: ${description}`, errorPage("Sign-in request refused", `The application's request is invalid (${error}): ${description}.`, 400));
    if (query.get("response_type") !== "code") return fail("unsupported_response_type", "only response_type=code is supported");
    const challenge = query.get("code_challenge");
    if (!challenge) return fail("invalid_request", "code_challenge is required (PKCE)");
    if (query.get("code_challenge_method") !== "S256") return fail("invalid_request", "code_challenge_method must be S256");
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) return fail("invalid_request", "code_challenge must be a base64url SHA-256");
    const resource = query.get("resource");
    const origin = origins.find((name) => resourceUrl(base, name) === resource);
    if (!origin) return fail("invalid_target", resource ? "the resource is not an endpoint of this gateway" : "resource is required");
    audit.event.origin = origin;
    const scope = query.get("scope");
    const scopes = scope ? [...new Set(scope.split(" ").filter(Boolean))] : undefined;
    if (scopes && !scopes.some((name) => Object.hasOwn(policy.roles, name))) return fail("invalid_scope", "no requested scope is a role of this gateway");

    const { pepper, tokens } = gatewaySecrets(c.env);
    const id = randomId();
    const login = await beginLogin(settings.upstream, upstreamSecret(c.env, settings), `${base}/oauth/callback`, id);
    const pending: PendingRequest = { clientId, clientName: metadata.name, redirectUri, codeChallenge: challenge, origin, login: { verifier: login.verifier, nonce: login.nonce }, ...(state !== undefined ? { state } : {}), ...(scopes ? { scopes } : {}) };
    await tokens.put(await keyOf(REQUEST_KEY_PREFIX, pepper, id), JSON.stringify(pending), { expirationTtl: REQUEST_SECONDS });
    const secure = base.startsWith("https:") ? "; Secure" : "";
    return redirectWith(login.url, {}, { "set-cookie": `${cookieName(base)}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${REQUEST_SECONDS}${secure}` });
  });

  /** The pending request this browser began, or undefined (missing, expired, or another browser's). */
  async function pendingRequest(env: OAuthEnv, id: string | undefined, cookie: string | undefined): Promise<{ key: string; pending: PendingRequest } | undefined> {
    if (!id || id !== cookie) return undefined;
    const { pepper, tokens } = gatewaySecrets(env);
    const key = await keyOf(REQUEST_KEY_PREFIX, pepper, id);
    const stored = await tokens.get(key, "text");
    return stored === null ? undefined : { key, pending: JSON.parse(stored) as PendingRequest };
  }

  async function csrfToken(env: OAuthEnv, id: string): Promise<string> {
    return toBase64Url(await hmacSha256(gatewaySecrets(env).sessionSecret, `consent\n${id}`));
  }

  app.get("/oauth/callback", async (c) => {
    const audit = c.var.audit;
    const base = new URL(c.req.url).origin;
    const url = new URL(c.req.url);
    const id = url.searchParams.get("state") ?? undefined;
    const found = await pendingRequest(c.env, id, requestCookie(c.req.header("cookie"), cookieName(base)));
    if (!found || found.pending.user) return refused(audit, "no pending request for this state in this browser", errorPage("Sign-in expired", "This sign-in was not started in this browser, or it took too long. Start again from your application.", 400));
    const { key, pending } = found;
    audit.event.oauth!.client = pending.clientId.slice(0, 512);
    audit.event.origin = pending.origin;
    let roles: string[];
    let claims;
    try {
      claims = await finishLogin(settings.upstream, upstreamSecret(c.env, settings), url, `${base}/oauth/callback`, id!, pending.login);
      roles = grantedRoles(policy.roles, mapRoles(settings, claims), pending.scopes);
    } catch (error) {
      await gatewaySecrets(c.env).tokens.delete(key);
      if (error instanceof LoginRefused) return refused(audit, `login refused: ${error.message}`, errorPage("Access refused", `You signed in, but this gateway does not admit you: ${error.message}.`, 403));
      return refused(audit, `identity provider answer not verified: ${(error as Error).name}: ${(error as Error).message}`, errorPage("Sign-in failed", "Your identity provider's answer could not be verified. Start again from your application.", 400));
    }
    if (roles.length === 0) {
      await gatewaySecrets(c.env).tokens.delete(key);
      return refused(audit, "the user holds none of the requested roles", errorPage("Access refused", "You signed in, but you hold none of the roles the application asked for.", 403));
    }
    const user = { subject: `oidc:${claims.sub}`, name: verifiedEmail(claims) ?? String(claims.sub), roles, claims: mappingClaims(settings, claims) };
    audit.event.principal = user.subject;
    audit.event.roles = roles;
    await gatewaySecrets(c.env).tokens.put(key, JSON.stringify({ ...pending, user }), { expirationTtl: REQUEST_SECONDS });
    return consentPage({
      request: id!,
      csrf: await csrfToken(c.env, id!),
      clientName: pending.clientName,
      clientId: pending.clientId,
      redirectOrigin: new URL(pending.redirectUri).origin,
      endpoint: resourceUrl(base, pending.origin),
      user: user.name,
      roles,
    });
  });

  app.post("/oauth/consent", async (c) => {
    const audit = c.var.audit;
    const base = new URL(c.req.url).origin;
    // A cross-site form post is refused by the browser's own word, then by the SameSite cookie and the CSRF token.
    const site = c.req.header("sec-fetch-site");
    const from = c.req.header("origin");
    if ((site !== undefined && site !== "same-origin") || (from !== undefined && from !== base)) return refused(audit, "consent posted cross-site", errorPage("Request refused", "This form can only be sent from this site.", 403));
    const form = await c.req.formData().catch(() => undefined);
    const id = form?.get("request");
    const csrf = form?.get("csrf");
    const decision = form?.get("decision");
    if (typeof id !== "string" || typeof csrf !== "string" || !timingSafeEqualText(csrf, await csrfToken(c.env, id))) return refused(audit, "consent CSRF token missing or wrong", errorPage("Request refused", "The form was not the one this gateway showed you.", 403));
    const found = await pendingRequest(c.env, id, requestCookie(c.req.header("cookie"), cookieName(base)));
    if (!found?.pending.user) return refused(audit, "no signed-in pending request for this browser", errorPage("Sign-in expired", "This sign-in was not started in this browser, or it took too long. Start again from your application.", 400));
    const { key, pending } = found;
    audit.event.oauth!.client = pending.clientId.slice(0, 512);
    audit.event.origin = pending.origin;
    audit.event.principal = found.pending.user.subject;
    audit.event.roles = found.pending.user.roles;
    const { pepper, tokens } = gatewaySecrets(c.env);
    await tokens.delete(key);
    const clear = { "set-cookie": `${cookieName(base)}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${base.startsWith("https:") ? "; Secure" : ""}` };
    if (decision !== "allow") {
      audit.event.decision = "deny";
      audit.event.reason = "the user denied access";
      return redirectWith(pending.redirectUri, { error: "access_denied", error_description: "the user denied access", state: pending.state, iss: base }, clear);
    }
    const user = pending.user!;
    const code = generateToken();
    // One pending request makes at most one grant: the grant's id is a keyed hash of the request's, and the
    // grant object refuses a second creation (KV's read-then-delete above is not atomic).
    const grantId = toHex(await hmacSha256(pepper, `grant\n${id}`)).slice(0, 32);
    audit.event.oauth!.grant = grantId;
    const now = Math.floor(Date.now() / 1000);
    const codeKey = await keyOf(CODE_KEY_PREFIX, pepper, code);
    const created = await grantStub(c.env, grantId).create(grantId, {
      subject: user.subject,
      name: user.name,
      roles: user.roles,
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      origin: pending.origin,
      codeChallenge: pending.codeChallenge,
      codeKey,
      codeExpiresAt: now + CODE_SECONDS,
      refreshSeconds: settings.refreshTokenSeconds,
      expiresAt: now + settings.grantSeconds,
      claims: user.claims,
      ...(pending.scopes ? { scopes: pending.scopes } : {}),
    }, now);
    if (!created) return refused(audit, "grant already created for this request", errorPage("Already answered", "This sign-in was already answered. Go back to your application.", 409));
    await tokens.put(codeKey, JSON.stringify({ v: 1, grant: grantId }), { expirationTtl: CODE_SECONDS });
    return redirectWith(pending.redirectUri, { code, state: pending.state, iss: base }, clear);
  });

  app.post("/oauth/token", async (c) => {
    const audit = c.var.audit;
    const base = new URL(c.req.url).origin;
    if (!(c.req.header("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) throw new OAuthError("invalid_request", "send the request as application/x-www-form-urlencoded");
    const form = new URLSearchParams(await c.req.text());
    for (const name of new Set(form.keys())) if (form.getAll(name).length > 1) throw new OAuthError("invalid_request", `${name} appears more than once`);
    const clientId = form.get("client_id");
    if (!clientId) throw new OAuthError("invalid_client", "client_id is required (public clients only)");
    audit.event.oauth!.client = clientId.slice(0, 512);
    const resource = form.get("resource");
    let origin: string | undefined;
    if (resource !== null) {
      origin = origins.find((name) => resourceUrl(base, name) === resource);
      if (!origin) throw new OAuthError("invalid_target", "the resource is not an endpoint of this gateway");
    }
    const grantType = form.get("grant_type");
    if (grantType) audit.event.oauth!.grantType = grantType.slice(0, 64);
    const { pepper, tokens } = gatewaySecrets(c.env);
    let presented: string | null;
    let prefix: string;
    if (grantType === "authorization_code") [presented, prefix] = [form.get("code"), CODE_KEY_PREFIX];
    else if (grantType === "refresh_token") [presented, prefix] = [form.get("refresh_token"), REFRESH_KEY_PREFIX];
    else throw new OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token");
    if (!presented || !isWellFormedToken(presented)) throw new OAuthError("invalid_grant", "the code or refresh token is invalid, expired or revoked");
    const presentedKey = await keyOf(prefix, pepper, presented);
    const indexed = await tokens.get(presentedKey, "text");
    // A reused refresh token's index is gone once its grant is revoked; until then it still finds the grant, which revokes.
    if (indexed === null) throw new OAuthError("invalid_grant", "the code or refresh token is invalid, expired or revoked", "no such code or refresh token (unknown, expired, or its grant revoked)");
    const pointer = JSON.parse(indexed) as { grant: string; generation?: number };
    const grantId = pointer.grant;
    audit.event.oauth!.grant = grantId;
    const access = generateToken();
    const refresh = generateToken();
    const exchange: Exchange = {
      presentedKey,
      clientId,
      ...(origin ? { origin } : {}),
      accessKey: await tokenKey(pepper, access),
      refreshKey: await keyOf(REFRESH_KEY_PREFIX, pepper, refresh),
      accessSeconds: settings.accessTokenSeconds,
      now: Math.floor(Date.now() / 1000),
    };
    const grant = grantStub(c.env, grantId);
    let result: ExchangeResult;
    if (grantType === "authorization_code") {
      const verifier = form.get("code_verifier");
      if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw new OAuthError("invalid_grant", "code_verifier is missing or malformed (PKCE S256 is required)");
      result = await grant.redeemCode({ ...exchange, codeChallenge: await s256(verifier), redirectUri: form.get("redirect_uri") ?? "" });
    } else {
      result = await grant.refresh({ ...exchange, policy: rolePolicy, ...(pointer.generation !== undefined ? { generation: pointer.generation } : {}) });
    }
    if (!result.ok) throw new OAuthError("invalid_grant", "the code or refresh token is invalid, expired or revoked", result.revoked ? `${result.reason}; grant revoked` : result.reason);
    audit.event.origin = result.origin;
    audit.event.roles = result.roles;
    return c.json(
      { access_token: access, token_type: "Bearer", expires_in: result.accessExpiresAt - exchange.now, refresh_token: refresh, scope: result.roles.join(" ") },
      200,
      { "cache-control": "no-store", pragma: "no-cache" },
    );
  });

  if (registrationLimit) {
    app.post("/oauth/register", async (c) => {
      const address = addressKey(c.req.header("cf-connecting-ip") ?? "unknown");
      let allowed: boolean;
      try {
        const [result] = await limitBackend(c.env).consume([{ limit: registrationLimit, identifier: `address:${address}`, rate: 1 }]);
        allowed = result?.success === true;
      } catch (error) {
        throw new OAuthError("temporarily_unavailable", "registration is not available right now", `registration limit not checked (fails closed): ${(error as Error).message}`);
      }
      if (!allowed) throw new OAuthError("rate_limited", "too many registrations from this address; try again later", "address over its registration limit", { "retry-after": String(Math.ceil(registrationLimit.windowMs / 1000)) });
      if (!(c.req.header("content-type") ?? "").startsWith("application/json")) throw new OAuthError("invalid_client_metadata", "send the registration as application/json");
      const text = await c.req.text();
      if (new TextEncoder().encode(text).length > MAX_REGISTRATION_BYTES) throw new OAuthError("invalid_client_metadata", "the registration is too large");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new OAuthError("invalid_client_metadata", "the registration is not JSON");
      }
      const validated = validateRegistration(body);
      const { pepper, tokens } = gatewaySecrets(c.env);
      const now = Math.floor(Date.now() / 1000);
      const registration = await register(tokens, pepper, validated, now, settings.grantSeconds);
      c.var.audit.event.oauth!.client = registration.clientId;
      return c.json(
        {
          client_id: registration.clientId,
          client_id_issued_at: now,
          client_name: registration.name,
          redirect_uris: registration.redirectUris,
          token_endpoint_auth_method: "none",
          grant_types: validated.grantTypes,
          response_types: ["code"],
        },
        201,
        { "cache-control": "no-store" },
      );
    });
  }

  app.post(REVOKE_PATH, async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { grant?: unknown } | undefined;
    const grant = typeof body?.grant === "string" ? body.grant : "";
    const problem = await revokeSignatureProblem(gatewaySecrets(c.env).pepper, c.req.header("authorization"), grant, Math.floor(Date.now() / 1000));
    if (problem) throw new OAuthError("invalid_client", "the revocation request is not signed by this gateway's operator", problem);
    c.var.audit.event.oauth!.grant = grant;
    const revoked = await grantStub(c.env, grant).revokeGrant("revoked by the operator (mcp-warden grant revoke)");
    if (revoked) {
      // KV no longer has them; this isolate must not serve them from its cache either (others hold them at most gateway.tokenCacheSeconds).
      forgetCachedGrant(grant);
      c.var.audit.event.principal = revoked.subject;
      c.var.audit.event.oauth!.client = revoked.client.slice(0, 512);
    } else c.var.audit.event.reason = "no live grant with this id";
    return c.json({ grant, revoked: revoked !== undefined }, 200, { "cache-control": "no-store" });
  });

  return app;
}
