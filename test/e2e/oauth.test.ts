// The gateway as OAuth authorization server, end to end: the Worker in workerd, a real OpenID provider
// (oidc-provider) as the organization's IdP, client metadata documents served from loopback, and the
// real MCP SDK's OAuth client. The flow, then each attack the issue names against it.

import { createHash, randomBytes } from "node:crypto";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed } from "@modelcontextprotocol/sdk/shared/auth.js";
import { RecordingOAuthClient } from "../support/oauth-client.js";
import { startGateway, TEST_SECRETS, type Gateway } from "../support/gateway.js";
import { IDP_CLIENT_SECRET, startIdp, type Idp } from "../../demo/idp.js";
import { PORTS } from "../support/ports.js";
import { UserAgent, type Visit } from "../support/user-agent.js";
import { connect, post } from "../support/mcp-client.js";
import { generateToken } from "../../src/auth/token.js";
import type { AuditEvent } from "../../src/audit/schema.js";
import { revokeAuthorization, REVOKE_PATH } from "../../src/oauth/admin.js";

const BASE = `http://127.0.0.1:${PORTS.oauthGateway}`;
const CLIENT_HOST = `http://127.0.0.1:${PORTS.clientHost}`;
const CLIENT_ID = `${CLIENT_HOST}/client.json`;
/** A client only the grant CLI test uses, so listing its grants finds that test's grant alone. */
const REVOKE_CLIENT_ID = `${CLIENT_HOST}/revoke-client.json`;
const REDIRECT = "http://127.0.0.1:21904/callback";
const EVERYTHING = `${BASE}/mcp/everything`;
const TOOLBOX = `${BASE}/mcp/toolbox`;
const initialize = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });

const documents: Record<string, (response: import("node:http").ServerResponse) => void> = {
  "/client.json": (response) => json(response, { client_id: CLIENT_ID, client_name: "Test Assistant", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"] }),
  "/conformance-client.json": (response) => json(response, { client_id: `${CLIENT_HOST}/conformance-client.json`, client_name: "MCP conformance suite", redirect_uris: [`http://127.0.0.1:${PORTS.conformanceCallback}/callback`] }),
  "/revoke-client.json": (response) => json(response, { client_id: REVOKE_CLIENT_ID, client_name: "Revoked Assistant", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }),
  "/impostor.json": (response) => json(response, { client_id: `${CLIENT_HOST}/client.json`, redirect_uris: [REDIRECT] }),
  "/redirecting.json": (response) => response.writeHead(302, { location: `${CLIENT_HOST}/client.json` }).end(),
  "/redirecting-again.json": (response) => response.writeHead(302, { location: `${CLIENT_HOST}/client.json` }).end(),
  "/big.json": (response) => json(response, { client_id: `${CLIENT_HOST}/big.json`, redirect_uris: [REDIRECT], padding: "x".repeat(8000) }),
  "/slow.json": () => undefined,
  "/phish.json": (response) => json(response, { client_id: `${CLIENT_HOST}/phish.json`, redirect_uris: ["https://phish.example/login"] }),
  "/javascript.json": (response) => json(response, { client_id: `${CLIENT_HOST}/javascript.json`, redirect_uris: ["javascript:alert(document.domain)//"] }),
  "/data.json": (response) => json(response, { client_id: `${CLIENT_HOST}/data.json`, redirect_uris: ["data:text/html,<script>alert(1)</script>"] }),
  "/plain-http.json": (response) => json(response, { client_id: `${CLIENT_HOST}/plain-http.json`, redirect_uris: ["http://app.example/callback"] }),
  "/userinfo.json": (response) => json(response, { client_id: `${CLIENT_HOST}/userinfo.json`, redirect_uris: ["https://user:pass@app.example/callback"] }),
};

function json(response: import("node:http").ServerResponse, body: unknown): void {
  response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
}

let gateway: Gateway;
let idp: Idp;
let clientHost: Server;
/** The gateway's KV on disk, where the CLI's wrangler reads it (`--persist-to`). */
const kvState = mkdtempSync(join(tmpdir(), "warden-oauth-kv-"));
/** Requests the client host served, by path: the negative cache's test counts fetches. */
const served: Record<string, number> = {};

beforeAll(async () => {
  clientHost = createServer((request, response) => {
    served[request.url ?? ""] = (served[request.url ?? ""] ?? 0) + 1;
    const serve = documents[request.url ?? ""];
    if (serve) serve(response);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => clientHost.listen(PORTS.clientHost, "127.0.0.1", resolve));
  idp = await startIdp(PORTS.idp, [`${BASE}/oauth/callback`]);
  gateway = await startGateway({ port: PORTS.oauthGateway, kvPersistTo: kvState, bindings: { ...TEST_SECRETS, OIDC_CLIENT_SECRET: IDP_CLIENT_SECRET, INSECURE_DEV_LOOPBACK_CLIENT_METADATA: "true" } });
});

afterAll(async () => {
  await gateway?.close();
  rmSync(kvState, { recursive: true, force: true });
  await idp?.close();
  clientHost?.closeAllConnections();
  await new Promise((resolve) => clientHost?.close(resolve));
});

/** A test client whose id is its metadata document's URL. */
class TestClient extends RecordingOAuthClient {
  constructor(private readonly clientId = CLIENT_ID) {
    super(REDIRECT, { client_name: "Test Assistant", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"] });
  }
  // The SDK offers a client metadata URL only over https; over loopback http the same id is presented as known.
  clientInformation(): OAuthClientInformationMixed {
    return { client_id: this.clientId };
  }
}

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(overrides: Record<string, string | null> = {}, challenge = pkce().challenge): URL {
  const url = new URL(`${BASE}/oauth/authorize`);
  const parameters: Record<string, string | null> = { response_type: "code", client_id: CLIENT_ID, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "st-1", resource: EVERYTHING, ...overrides };
  for (const [name, value] of Object.entries(parameters)) if (value !== null) url.searchParams.set(name, value);
  return url;
}

/** A code for `user` through the whole browser-side flow, with its verifier. */
async function codeFor(user: string, overrides: Record<string, string | null> = {}) {
  const { verifier, challenge } = pkce();
  const landing = await new UserAgent(user).authorize(authorizeUrl(overrides, challenge), REDIRECT);
  if (!(landing instanceof URL)) throw new Error(`no redirect: ${landing.status} ${landing.html}`);
  return { code: landing.searchParams.get("code")!, verifier, landing };
}

function tokenRequest(form: Record<string, string>): Promise<Response> {
  return fetch(`${BASE}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form).toString() });
}

async function exchange(code: string, verifier: string, extra: Record<string, string> = {}): Promise<Response> {
  return tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, client_id: CLIENT_ID, redirect_uri: REDIRECT, resource: EVERYTHING, ...extra });
}

async function tokensFor(user: string): Promise<{ access_token: string; refresh_token: string; scope: string }> {
  const { code, verifier } = await codeFor(user);
  const response = await exchange(code, verifier);
  expect(response.status).toBe(200);
  return response.json() as Promise<{ access_token: string; refresh_token: string; scope: string }>;
}

type Tokens = { access_token: string; refresh_token: string; scope: string };
const refresh = (token: string) => tokenRequest({ grant_type: "refresh_token", refresh_token: token, client_id: CLIENT_ID, resource: EVERYTHING });
const status = async (url: string, token: string) => (await post(url, initialize, { authorization: `Bearer ${token}` })).status;

/** The audit events of /oauth/* requests the gateway has logged so far. */
const oauthEvents = () =>
  gateway.logs
    .filter((line) => line.startsWith('{"audit"'))
    .map((line) => (JSON.parse(line) as { audit: AuditEvent }).audit)
    .filter((event) => event.oauth !== undefined);

/** The first /oauth/* audit event after the first `before` that matches (logs arrive a moment after the answer). */
async function eventAfter(before: number, match: (event: AuditEvent) => boolean): Promise<AuditEvent> {
  for (let attempt = 0; attempt < 150; attempt++) {
    const found = oauthEvents().slice(before).find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("no matching audit event");
}

const execute = promisify(execFile);
/** `mcp-warden` as an operator runs it, against this gateway's KV on disk and with its pepper. */
async function cli(...args: string[]): Promise<string> {
  const { stdout } = await execute(process.execPath, ["bin/mcp-warden.mjs", ...args, "--persist-to", kvState], { env: { ...process.env, WARDEN_TOKEN_PEPPER: TEST_SECRETS.TOKEN_PEPPER, WRANGLER_SEND_METRICS: "false" } });
  return stdout;
}

describe("authorization server metadata", () => {
  it("names the gateway as authorization server of each endpoint, with the features the MCP spec asks for", async () => {
    const challenge = (await post(EVERYTHING, initialize)).headers.get("www-authenticate")!;
    expect(challenge).toContain(`resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp/everything"`);
    const resource = await (await fetch(`${BASE}/.well-known/oauth-protected-resource/mcp/everything`)).json();
    expect(resource).toMatchObject({ resource: EVERYTHING, authorization_servers: [BASE], scopes_supported: expect.arrayContaining(["admin", "developer", "viewer"]) });
    const server = (await (await fetch(`${BASE}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(server).toMatchObject({
      issuer: BASE,
      authorization_endpoint: `${BASE}/oauth/authorize`,
      token_endpoint: `${BASE}/oauth/token`,
      code_challenge_methods_supported: ["S256"],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
      response_types_supported: ["code"],
    });
    expect(server.registration_endpoint).toBeUndefined();
  });
});

describe("the MCP SDK's OAuth client through the whole flow", () => {
  it("logs in at the OpenID provider, consents, and calls tools under the mapped role", async () => {
    const provider = new TestClient();
    const first = new StreamableHTTPClientTransport(new URL(EVERYTHING), { authProvider: provider });
    await expect(new Client({ name: "oauth-test", version: "1" }).connect(first)).rejects.toThrow(UnauthorizedError);
    expect(provider.authorizationUrl!.searchParams.get("resource")).toBe(EVERYTHING);
    const agent = new UserAgent("alice");
    const landing = await agent.authorize(provider.authorizationUrl!, REDIRECT);
    if (!(landing instanceof URL)) throw new Error(`no redirect: ${landing.status}`);
    // RFC 9207: the redirect names the issuer; the consent page named the client, its redirect host, the endpoint and the roles.
    expect(landing.searchParams.get("iss")).toBe(BASE);
    const consent = agent.pages.find((page) => page.html?.includes("Allow access?"))!;
    for (const shown of ["Test Assistant", CLIENT_ID, "http://127.0.0.1:21904", EVERYTHING, "<li>developer</li>", "alice@example.com"]) expect(consent.html).toContain(shown);
    await first.finishAuth(landing.searchParams.get("code")!);
    expect(provider.saved!.scope).toBe("developer viewer");

    const client = new Client({ name: "oauth-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(EVERYTHING), { authProvider: provider }));
    const { tools } = await client.listTools();
    // developer sees get-structured-content (a developer rule), which a viewer does not.
    expect(tools.map((tool) => tool.name)).toContain("get-structured-content");
    const echoed = await client.callTool({ name: "echo", arguments: { message: "hi via oauth" } });
    expect(JSON.stringify(echoed.content)).toContain("hi via oauth");
    await client.close();
    // The token was issued for one endpoint (RFC 8707) and is no token at any other.
    expect(await status(TOOLBOX, provider.saved!.access_token)).toBe(401);
  });

  it("maps another user to another role", async () => {
    const tokens = await tokensFor("bob");
    expect(tokens.scope).toBe("viewer");
  });
});

describe("refresh tokens", () => {
  it("rotate on every use; reusing an old one revokes the grant and every token it issued", async () => {
    const first = await tokensFor("alice");
    const second = (await (await refresh(first.refresh_token)).json()) as Tokens;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const third = (await (await refresh(second.refresh_token)).json()) as Tokens;
    expect(await status(EVERYTHING, third.access_token)).toBe(200);
    const fresh = (await (await refresh(third.refresh_token)).json()) as Tokens;
    const reuse = await refresh(first.refresh_token);
    expect(reuse.status).toBe(400);
    expect(((await reuse.json()) as { error: string }).error).toBe("invalid_grant");
    // The grant is gone: its newest refresh token and an access token no isolate has cached yet are refused.
    expect((await refresh(fresh.refresh_token)).status).toBe(400);
    expect(await status(EVERYTHING, fresh.access_token)).toBe(401);
  });

  it("are race-free: of parallel refreshes with one token exactly one wins", async () => {
    const tokens = await tokensFor("alice");
    const answers = await Promise.all(Array.from({ length: 8 }, () => refresh(tokens.refresh_token)));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
  });

  it("are refused for another client or another resource", async () => {
    const tokens = await tokensFor("alice");
    expect((await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: `${CLIENT_HOST}/other.json` })).status).toBe(400);
    expect((await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: CLIENT_ID, resource: TOOLBOX })).status).toBe(400);
    expect((await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: CLIENT_ID, resource: `${BASE}/mcp/nowhere` })).status).toBe(400);
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
  });
});

describe("authorization codes", () => {
  it("are one-time: a replayed code is refused and revokes what the first redemption issued", async () => {
    const { code, verifier } = await codeFor("alice");
    const first = (await (await exchange(code, verifier)).json()) as Tokens;
    const replay = await exchange(code, verifier);
    expect(replay.status).toBe(400);
    expect(await status(EVERYTHING, first.access_token)).toBe(401);
  });

  it("need the PKCE verifier of their challenge, the same redirect URI and the same resource", async () => {
    const wrongs: Record<string, string>[] = [{ code_verifier: pkce().verifier }, { redirect_uri: "http://127.0.0.1:21904/other" }, { resource: TOOLBOX }];
    for (const wrong of wrongs) {
      const { code, verifier } = await codeFor("alice");
      const answer = await exchange(code, verifier, wrong);
      expect(answer.status, JSON.stringify(wrong)).toBe(400);
      // The failed attempt burned the code.
      expect((await exchange(code, verifier)).status).toBe(400);
    }
    // A missing or malformed verifier is refused before the grant is asked; the code still works with the right one.
    const { code, verifier } = await codeFor("alice");
    expect((await tokenRequest({ grant_type: "authorization_code", code, client_id: CLIENT_ID, redirect_uri: REDIRECT, resource: EVERYTHING })).status).toBe(400);
    expect((await exchange(code, verifier, { code_verifier: "short" })).status).toBe(400);
    expect((await exchange(code, verifier)).status).toBe(200);
  });

  it("refuses an unknown resource at the token endpoint with invalid_target", async () => {
    const { code, verifier } = await codeFor("alice");
    const answer = await exchange(code, verifier, { resource: `${BASE}/mcp/nowhere` });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toBe("invalid_target");
  });
});

describe("the authorization request", () => {
  // Before consent a registered redirect URI is still only the client's word: errors stay on the gateway's page (OAuth 2.1 §7.12.2).
  async function refusedHere(url: URL): Promise<string> {
    const response = await fetch(url, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    return response.text();
  }

  it("requires PKCE with S256", async () => {
    expect((await refusedHere(authorizeUrl({ code_challenge: null })))).toContain("invalid_request");
    expect((await refusedHere(authorizeUrl({ code_challenge_method: "plain" })))).toContain("invalid_request");
    expect((await refusedHere(authorizeUrl({ code_challenge_method: null })))).toContain("invalid_request");
    expect((await refusedHere(authorizeUrl({ response_type: "token" })))).toContain("unsupported_response_type");
  });

  it("requires one of the gateway's endpoints as resource (RFC 8707 invalid_target)", async () => {
    expect((await refusedHere(authorizeUrl({ resource: `${BASE}/mcp/nowhere` })))).toContain("invalid_target");
    expect((await refusedHere(authorizeUrl({ resource: "https://elsewhere.example/mcp/everything" })))).toContain("invalid_target");
    expect((await refusedHere(authorizeUrl({ resource: null })))).toContain("invalid_target");
  });

  it("is no open redirector: an invalid request from any registered client is refused on the gateway's page", async () => {
    const phishing = { client_id: `${CLIENT_HOST}/phish.json`, redirect_uri: "https://phish.example/login" };
    const invalid: Record<string, string | null>[] = [{ response_type: "token" }, { code_challenge: null }, { resource: null }, { scope: "no-such-role" }];
    for (const overrides of invalid) {
      expect(await refusedHere(authorizeUrl({ ...phishing, ...overrides })), JSON.stringify(overrides)).toContain("Sign-in request refused");
    }
  });

  it("refuses metadata documents whose redirect URIs are not https, loopback http or a private-use scheme", async () => {
    for (const name of ["javascript", "data", "plain-http", "userinfo"]) {
      const clientId = `${CLIENT_HOST}/${name}.json`;
      const before = oauthEvents().length;
      const response = await fetch(authorizeUrl({ client_id: clientId, redirect_uri: REDIRECT, response_type: "token" }), { redirect: "manual" });
      expect(response.status, name).toBe(400);
      expect(response.headers.get("location"), name).toBeNull();
      expect(await response.text(), name).toContain("registration could not be used");
      expect((await eventAfter(before, (event) => event.oauth?.client === clientId)).reason, name).toContain("private-use scheme");
    }
  });

  it("never redirects to a URI the client's metadata document does not register", async () => {
    for (const redirect of ["https://attacker.example/callback", "http://127.0.0.1:21904/elsewhere", "http://localhost:21904/callback"]) {
      const response = await fetch(authorizeUrl({ redirect_uri: redirect }), { redirect: "manual" });
      expect(response.status, redirect).toBe(400);
      expect(response.headers.get("location")).toBeNull();
      expect(await response.text()).toContain("has not registered");
    }
    // RFC 8252: a loopback redirect may use any port.
    const loopback = await fetch(authorizeUrl({ redirect_uri: "http://127.0.0.1:40123/callback" }), { redirect: "manual" });
    expect(loopback.status).toBe(302);
    expect(loopback.headers.get("location")!.startsWith(`${idp.issuer}/`)).toBe(true);
  });

  it("fetches client metadata documents defensively", async () => {
    const cases: [string, string][] = [
      [`${CLIENT_HOST}/redirecting.json`, "redirects are not followed"],
      [`${CLIENT_HOST}/big.json`, "too large"],
      [`${CLIENT_HOST}/impostor.json`, "different client_id"],
      [`${CLIENT_HOST}/slow.json`, "in time"],
      [`${CLIENT_HOST}/missing.json`, "answered 404"],
      ["https://10.1.2.3/client.json", "private or loopback"],
      ["https://169.254.169.254/latest/meta-data", "private or loopback"],
      ["https://[::1]/client.json", "private or loopback"],
      ["http://client.example/client.json", "https URL"],
      ["not a url", "https URL"],
    ];
    for (const [clientId, reason] of cases) {
      const before = oauthEvents().length;
      const response = await fetch(authorizeUrl({ client_id: clientId }), { redirect: "manual" });
      expect(response.status, clientId).toBe(400);
      // The page is generic; the precise reason is the operator's, in the audit event.
      const page = await response.text();
      expect(page, clientId).toContain("registration could not be used");
      expect(page, clientId).not.toContain(reason);
      expect(await eventAfter(before, (event) => event.oauth?.endpoint === "authorize" && event.oauth.client === clientId), clientId).toMatchObject({ decision: "deny", status: 400, reason: expect.stringContaining(reason) });
    }
  });

  it("remembers a failed metadata fetch for a while, so a client cannot make the gateway fetch again and again", async () => {
    for (const name of ["missing-again.json", "redirecting-again.json"]) {
      for (let attempt = 0; attempt < 3; attempt++) {
        expect((await fetch(authorizeUrl({ client_id: `${CLIENT_HOST}/${name}` }), { redirect: "manual" })).status).toBe(400);
      }
      expect(served[`/${name}`], name).toBe(1);
    }
  });
});

describe("the login", () => {
  async function refusal(user: string): Promise<Visit> {
    const visit = await new UserAgent(user).authorize(authorizeUrl(), REDIRECT);
    if (visit instanceof URL) throw new Error("expected a refusal page");
    return visit;
  }

  it("refuses, on a page that says why, a user outside the allowed e-mail domains or matched by no rule", async () => {
    const outsider = await refusal("mallory");
    expect(outsider.status).toBe(403);
    expect(outsider.html).toContain("the e-mail domain example.org is not one this gateway admits");
    const unmapped = await refusal("carol");
    expect(unmapped.status).toBe(403);
    expect(unmapped.html).toContain("no role mapping rule");
  });

  it("sends the user's refusal back to the client as access_denied", async () => {
    const landing = await new UserAgent("alice").authorize(authorizeUrl(), REDIRECT, { consent: "deny" });
    expect(landing).toBeInstanceOf(URL);
    expect((landing as URL).searchParams.get("error")).toBe("access_denied");
    expect((landing as URL).searchParams.get("code")).toBeNull();
  });

  it("refuses a consent form posted cross-site, with a forged CSRF token, or from another browser", async () => {
    const pageAgent = new UserAgent("alice");
    const visit = await stopAtConsent(pageAgent);
    const request = /name="request" value="([^"]+)"/.exec(visit.html!)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(visit.html!)![1]!;
    const target = new URL(`${BASE}/oauth/consent`);
    const crossSite = await pageAgent.request(target, { method: "POST", form: { request, csrf, decision: "allow" }, headers: { origin: "https://attacker.example", "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(403);
    const forged = await pageAgent.request(target, { method: "POST", form: { request, csrf: csrf.slice(1) + "A", decision: "allow" } });
    expect(forged.status).toBe(403);
    const otherBrowser = await new UserAgent("mallory").request(target, { method: "POST", form: { request, csrf, decision: "allow" } });
    expect(otherBrowser.status).toBe(400);
    const allowed = await pageAgent.request(target, { method: "POST", form: { request, csrf, decision: "allow" }, headers: { origin: BASE } });
    expect(allowed.status).toBe(302);
    expect(new URL(allowed.headers.get("location")!).searchParams.get("code")).toMatch(/^mcpw_/);
  });

  it("makes one grant of a consent submitted several times at once", async () => {
    const agent = new UserAgent("alice");
    const visit = await stopAtConsent(agent);
    const request = /name="request" value="([^"]+)"/.exec(visit.html!)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(visit.html!)![1]!;
    const submit = () => agent.request(new URL(`${BASE}/oauth/consent`), { method: "POST", form: { request, csrf, decision: "allow" }, headers: { origin: BASE } });
    const answers = await Promise.all([submit(), submit(), submit()]);
    const codes = answers.map((answer) => answer.headers.get("location")).filter((location) => location?.includes("code="));
    expect(codes).toHaveLength(1);
    for (const answer of answers) expect([302, 400, 409]).toContain(answer.status);
  });

  it("serves pages that cannot be framed, run no script and post only to the gateway and the client", async () => {
    const visit = await stopAtConsent(new UserAgent("alice"));
    expect(visit.status).toBe(200);
    const response = await new UserAgent("alice").request(new URL(`${BASE}/oauth/callback?state=x`));
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
  });
});

/** Follows the flow to the gateway's consent page and returns it unanswered. */
async function stopAtConsent(agent: UserAgent): Promise<Visit> {
  let url: URL = authorizeUrl();
  for (let hop = 0; hop < 20; hop++) {
    const response = await agent.request(url);
    if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get("location")!, url);
      continue;
    }
    const html = await response.text();
    if (html.includes('name="decision"')) return { url, status: response.status, html };
    const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!;
    const fields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]));
    const login = await agent.request(new URL(action, url), { method: "POST", form: { ...fields, login: "alice", password: "any" } });
    url = new URL(login.headers.get("location")!, url);
  }
  throw new Error("no consent page");
}

describe("OAuth access tokens at the MCP endpoint", () => {
  it("are refused once expired", async () => {
    const expired = await gateway.mint(["developer"], { expiresAt: Math.floor(Date.now() / 1000) - 1, origins: ["everything"], grant: "0".repeat(32), client: CLIENT_ID });
    expect(await status(EVERYTHING, expired)).toBe(401);
  });
});

describe("scope challenges", () => {
  async function call(token: string, tool: string, args: Record<string, unknown>): Promise<Response> {
    const { transport, client } = await connect(EVERYTHING, token);
    const body = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: tool, arguments: args } });
    const response = await post(EVERYTHING, body, { authorization: `Bearer ${token}`, "mcp-session-id": transport.sessionId!, "mcp-protocol-version": "2025-11-25" });
    await client.close();
    return response;
  }

  it("answer 403 insufficient_scope naming the missing scope when one more role would allow the call", async () => {
    const { access_token } = await tokensFor("bob");
    const denied = await call(access_token, "get-structured-content", { location: "New York" });
    expect(denied.status).toBe(403);
    const challenge = denied.headers.get("www-authenticate")!;
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="viewer developer"');
    expect(challenge).toContain(`resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp/everything"`);
  });

  it("ask for the least role that would do, and give no challenge to a CLI token", async () => {
    const { access_token } = await tokensFor("bob");
    // Only admin may call tools no rule names: the challenge asks for admin.
    const adminOnly = await call(access_token, "no-rule-names-this-tool", {});
    expect(adminOnly.status).toBe(403);
    expect(adminOnly.headers.get("www-authenticate")).toContain('scope="viewer admin"');
    const cli = await gateway.mint(["viewer"]);
    const denied = await call(cli, "get-structured-content", { location: "New York" });
    expect(denied.status).toBe(403);
    expect(denied.headers.get("www-authenticate")).toBeNull();
  });
});

describe("@modelcontextprotocol/conformance authorization scenarios", () => {
  /** Runs the authorization-server scenarios against the gateway as issuer, signing alice in where the suite asks a person to. */
  async function scenario(): Promise<string> {
    const clientId = `${CLIENT_HOST}/conformance-client.json`;
    const args = ["node_modules/@modelcontextprotocol/conformance/dist/index.js", "authorization", "--url", BASE, "--client-id", clientId, "--resource", EVERYTHING, "-p", String(PORTS.conformanceCallback)];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let signedIn: Promise<void> | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const url = /^(http:\/\/\S+\/oauth\/authorize\?\S+)$/m.exec(output)?.[1];
      if (url && !signedIn) {
        signedIn = (async () => {
          const landing = await new UserAgent("alice").authorize(new URL(url), `http://127.0.0.1:${PORTS.conformanceCallback}/callback`);
          if (landing instanceof URL) await fetch(landing);
        })();
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => child.on("close", resolve));
    await signedIn;
    return output;
  }

  it("passes the metadata and authorization code grant checks, with a real login in between", async () => {
    const output = await scenario();
    expect(output).toContain("authorization-server-metadata-endpoint: 2 passed, 0 failed");
    expect(output).toContain("authorization-code-grant: 1 passed, 0 failed");
    expect(output).toContain("Total: 3 passed, 0 failed");
  });
});

describe("mcp-warden grant list and revoke", () => {
  it("lists a grant by client and by subject; revoking it refuses its access token at once and its refresh token with invalid_grant", async () => {
    const provider = new TestClient(REVOKE_CLIENT_ID);
    const first = new StreamableHTTPClientTransport(new URL(EVERYTHING), { authProvider: provider });
    await expect(new Client({ name: "oauth-test", version: "1" }).connect(first)).rejects.toThrow(UnauthorizedError);
    const landing = await new UserAgent("alice").authorize(provider.authorizationUrl!, REDIRECT);
    if (!(landing instanceof URL)) throw new Error(`no redirect: ${landing.status}`);
    await first.finishAuth(landing.searchParams.get("code")!);
    const client = new Client({ name: "oauth-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(EVERYTHING), { authProvider: provider }));
    const echoed = await client.callTool({ name: "echo", arguments: { message: "before revocation" } });
    expect(JSON.stringify(echoed.content)).toContain("before revocation");
    const { access_token, refresh_token } = provider.saved!;

    const listed = await cli("grant", "list", "--client", REVOKE_CLIENT_ID);
    const grants = [...listed.matchAll(/^([0-9a-f]{32}) /gm)].map((match) => match[1]!);
    expect(grants).toHaveLength(1);
    expect(listed).toContain("alice@example.com");
    expect(listed).toContain("everything");
    expect(await cli("grant", "list", "--subject", "oidc:alice")).toContain(grants[0]);

    // Used just before: this isolate holds the token's record in its cache, which the revocation must empty too.
    expect(await status(EVERYTHING, access_token)).toBe(200);
    expect(await cli("grant", "revoke", grants[0]!, "--url", BASE)).toContain(`revoked ${grants[0]}`);
    // The access token the client holds (and this isolate has cached) is refused on the next call; its refresh token is dead.
    expect(await status(EVERYTHING, access_token)).toBe(401);
    await expect(client.callTool({ name: "echo", arguments: { message: "after revocation" } })).rejects.toThrow();
    const refused = await tokenRequest({ grant_type: "refresh_token", refresh_token: refresh_token!, client_id: REVOKE_CLIENT_ID, resource: EVERYTHING });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe("invalid_grant");
    expect(await cli("grant", "list", "--client", REVOKE_CLIENT_ID)).toContain("no live grants");
    await client.close().catch(() => undefined);
    // Each CLI run starts wrangler (seconds each on a busy machine).
  }, 120_000);

  it("refuses a revocation not signed with the gateway's pepper, or signed too long ago", async () => {
    const before = oauthEvents().length;
    const tokens = await tokensFor("alice");
    const grant = (await eventAfter(before, (event) => event.oauth?.endpoint === "token" && event.decision === "allow")).oauth!.grant!;
    const now = Math.floor(Date.now() / 1000);
    const attempts = [await revokeAuthorization("another-pepper-0123456789abcdef0123456789", grant, now), await revokeAuthorization(TEST_SECRETS.TOKEN_PEPPER, grant, now - 3600), "Bearer x"];
    const reasons = ["the signature does not match", "the signature's time is more than five minutes from the gateway's", "no grant-admin signature"];
    for (const [index, authorization] of attempts.entries()) {
      const sent = oauthEvents().length;
      const answer = await fetch(`${BASE}${REVOKE_PATH}`, { method: "POST", headers: { "content-type": "application/json", authorization }, body: JSON.stringify({ grant }) });
      expect(answer.status, authorization).toBe(401);
      expect(((await answer.json()) as { error_description: string }).error_description).toBe("the revocation request is not signed by this gateway's operator");
      expect(await eventAfter(sent, (event) => event.oauth?.endpoint === "revoke"), authorization).toMatchObject({ decision: "deny", status: 401, reason: reasons[index] });
    }
    expect(await status(EVERYTHING, tokens.access_token)).toBe(200);
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
  });
});

describe("audit events of the authorization server", () => {
  it("record each decision at authorize and token, with the precise reason the client is not told", async () => {
    let before = oauthEvents().length;
    const allowed = await fetch(authorizeUrl(), { redirect: "manual" });
    expect(allowed.status).toBe(302);
    expect(await eventAfter(before, (event) => event.oauth?.endpoint === "authorize")).toMatchObject({ decision: "allow", status: 302, origin: "everything", oauth: { client: CLIENT_ID } });

    before = oauthEvents().length;
    expect((await fetch(authorizeUrl({ code_challenge_method: "plain" }), { redirect: "manual" })).status).toBe(400);
    expect(await eventAfter(before, (event) => event.oauth?.endpoint === "authorize")).toMatchObject({ decision: "deny", status: 400, reason: "invalid_request: code_challenge_method must be S256" });

    before = oauthEvents().length;
    const first = await tokensFor("alice");
    expect(await eventAfter(before, (event) => event.oauth?.endpoint === "token")).toMatchObject({ decision: "allow", status: 200, origin: "everything", roles: ["developer"], oauth: { grantType: "authorization_code", client: CLIENT_ID } });
    expect((await refresh(first.refresh_token)).status).toBe(200);

    before = oauthEvents().length;
    const reuse = await refresh(first.refresh_token);
    expect(await reuse.json()).toEqual({ error: "invalid_grant", error_description: "the code or refresh token is invalid, expired or revoked" });
    expect(await eventAfter(before, (event) => event.oauth?.endpoint === "token")).toMatchObject({ decision: "deny", status: 400, reason: "refresh token reused; grant revoked", oauth: { grantType: "refresh_token", grant: expect.stringMatching(/^[0-9a-f]{32}$/) } });
  });
});

describe("failed attempts at the token endpoint", () => {
  it("are limited per client address: past the limit the address gets 429 there and at authorize; other addresses do not", async () => {
    const flood = { "cf-connecting-ip": "203.0.113.21" };
    const attempt = async (headers: Record<string, string>) => {
      const answer = await fetch(`${BASE}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: generateToken(), client_id: CLIENT_ID }).toString(),
      });
      await answer.arrayBuffer();
      return answer;
    };
    const statuses: number[] = [];
    // The policy's failedAuth limit is 120 a minute; the isolate learns of the excess from the store in the background.
    for (let i = 0; i < 170 && statuses.at(-1) !== 429; i++) statuses.push((await attempt(flood)).status);
    expect(statuses.slice(0, 120).every((code) => code === 400)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const limited = await attempt(flood);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await fetch(authorizeUrl(), { redirect: "manual", headers: flood })).status).toBe(429);
    expect((await attempt({ "cf-connecting-ip": "198.51.100.21" })).status).toBe(400);
  });
});

describe("Dynamic Client Registration, off unless the policy turns it on", () => {
  it("has no endpoint, and the MCP SDK's client offers its metadata document's URL instead", async () => {
    const register = await fetch(`${BASE}/oauth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }) });
    expect(register.status).toBe(404);
    const metadataUrl = "https://assistant.example/mcp-client.json";
    const provider = new TestClient();
    let saved: OAuthClientInformationMixed | undefined;
    Object.assign(provider, {
      clientMetadataUrl: metadataUrl,
      clientInformation: () => saved,
      saveClientInformation: (information: OAuthClientInformationMixed) => (saved = information),
    });
    await expect(new Client({ name: "oauth-test", version: "1" }).connect(new StreamableHTTPClientTransport(new URL(EVERYTHING), { authProvider: provider }))).rejects.toThrow(UnauthorizedError);
    expect(provider.authorizationUrl!.searchParams.get("client_id")).toBe(metadataUrl);
    expect(saved?.client_id).toBe(metadataUrl);
  });
});

describe("grant objects", () => {
  it("delete their storage once the grant's absolute lifetime is over", async () => {
    type GrantObject = { create(id: string, init: Record<string, unknown>, now: number): Promise<boolean> };
    const namespace = await gateway.mf.getDurableObjectNamespace("OAUTH_GRANTS");
    const id = randomBytes(16).toString("hex");
    const grant = namespace.get(namespace.idFromName(id)) as unknown as GrantObject;
    const now = Math.floor(Date.now() / 1000);
    const init = { subject: "oidc:short", name: "short", roles: ["viewer"], clientId: CLIENT_ID, redirectUri: REDIRECT, origin: "everything", codeChallenge: "c", codeKey: "oauth-code:0", codeExpiresAt: now + 1, refreshSeconds: 60, expiresAt: now + 2, claims: {} };
    expect(await grant.create(id, init, now)).toBe(true);
    expect(await grant.create(id, init, now)).toBe(false);
    // The object refuses a second creation while it holds the grant; once its alarm has emptied it, a creation succeeds again.
    let recreated = false;
    for (let attempt = 0; attempt < 40 && !recreated; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      recreated = await grant.create(id, { ...init, expiresAt: Math.floor(Date.now() / 1000) + 3600 }, Math.floor(Date.now() / 1000));
    }
    expect(recreated).toBe(true);
  });
});
