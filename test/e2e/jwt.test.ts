// JWT resource-server mode end to end: the Worker in workerd, endpoints whose policy names a JWT issuer.
//
// The real part: oidc-provider (demo/idp.ts) issues JWT access tokens (RFC 9068) for the `crm` endpoint's
// resource indicator; the real MCP SDK client finds it through the endpoint's RFC 9728 metadata, gets a
// token by client_credentials, and calls a tool under the role the policy maps the token's claims to.
//
// The attacks: a second issuer whose signing keys this test holds, its key set served from a small local
// endpoint. Each attack token is valid in every respect but the one under test (a control token built the
// same way is accepted), so each refusal is that one defence's, and each test reads the precise reason
// in the audit event while the wire stays a generic `invalid_token`. The forgeries proper (`alg: none`,
// HS256 with the public key as secret, a key the issuer never published) are what an attacker who knows
// only the public key set can make; the others stand for tokens the issuer really issued, for another
// audience or time.

import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { base64url, exportJWK, SignJWT, type JWK } from "jose";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ClientCredentialsProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { buildWorker } from "../../cli/build.js";
import type { AuditEvent } from "../../src/audit/schema.js";
import { startIdp, type Idp } from "../../demo/idp.js";
import { startGateway, type Gateway } from "../support/gateway.js";
import { connect, jsonBody, post } from "../support/mcp-client.js";
import { EVERYTHING_URL, PORTS } from "../support/ports.js";

const BASE = `http://127.0.0.1:${PORTS.jwtGateway}`;
const IDP = `http://127.0.0.1:${PORTS.jwtIdp}`;
const ISSUER = `http://127.0.0.1:${PORTS.jwtKeys}`;
const MACHINE = { clientId: "reporting-agent", clientSecret: "reporting-agent-secret-for-the-local-provider" };
const WORKER = ".warden/test/jwt-worker.js";
const endpoint = (name: string) => `${BASE}/mcp/${name}`;

const POLICY = `
origins:
  # The real issuer: oidc-provider's JWT access tokens for this endpoint.
  crm:
    url: ${EVERYTHING_URL}
    jwt:
      issuer: ${IDP}
      audience: ${endpoint("crm")}
      jwksUrl: ${IDP}/jwks
      algorithms: [RS256]
      roleMapping:
        - { claim: client_id, equals: ${MACHINE.clientId}, roles: [viewer] }
  # The test's issuer: two endpoints with their own audiences, one with its own key set (rotation).
  ledger:
    url: ${EVERYTHING_URL}
    jwt:
      issuer: ${ISSUER}
      audience: ${endpoint("ledger")}
      jwksUrl: ${ISSUER}/jwks
      algorithms: [RS256, ES256]
      clockSkew: 60s
      roleMapping:
        - { claim: groups, equals: sre, roles: [viewer] }
  archive:
    url: ${EVERYTHING_URL}
    jwt:
      issuer: ${ISSUER}
      audience: ${endpoint("archive")}
      jwksUrl: ${ISSUER}/jwks
      algorithms: [RS256]
      roleMapping:
        - { claim: groups, equals: sre, roles: [viewer] }
  rotating:
    url: ${EVERYTHING_URL}
    jwt:
      issuer: ${ISSUER}
      audience: ${endpoint("rotating")}
      jwksUrl: ${ISSUER}/rotating/jwks
      algorithms: [RS256]
      roleMapping:
        - { claim: groups, equals: sre, roles: [viewer] }
  # JWTs beside the gateway's own tokens.
  mixed:
    url: ${EVERYTHING_URL}
    jwt:
      issuer: ${ISSUER}
      audience: ${endpoint("mixed")}
      jwksUrl: ${ISSUER}/jwks
      algorithms: [RS256]
      gatewayTokens: true
      roleMapping:
        - { claim: groups, equals: sre, roles: [viewer] }
  # Not in JWT mode: the gateway's own tokens only.
  plain:
    url: ${EVERYTHING_URL}
roles:
  viewer: {}
rules:
${["crm", "ledger", "archive", "rotating", "mixed", "plain"].map((origin) => `  - { id: ${origin}-echo, effect: allow, roles: [viewer], origin: ${origin}, tools: [echo], additionalArguments: true }`).join("\n")}
`;

/** The test issuer's keys: `k1` published from the start, `k2` published on /rotating/jwks only when the test rotates. */
const k1 = generateKeyPairSync("rsa", { modulusLength: 2048 });
const k2 = generateKeyPairSync("rsa", { modulusLength: 2048 });
const neverPublished = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicJwk = async (key: KeyObject, kid: string): Promise<JWK> => ({ ...(await exportJWK(key)), kid, alg: "RS256", use: "sig" });
let rotated = false;
const keySetFetches = { main: 0, rotating: 0 };

let dir: string;
let keyHost: Server;
let idp: Idp;
let gateway: Gateway;

beforeAll(async () => {
  const published = { k1: await publicJwk(k1.publicKey, "k1"), k2: await publicJwk(k2.publicKey, "k2") };
  keyHost = createServer((request, response) => {
    if (request.url === "/jwks") {
      keySetFetches.main++;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [published.k1] }));
    } else if (request.url === "/rotating/jwks") {
      keySetFetches.rotating++;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: rotated ? [published.k1, published.k2] : [published.k1] }));
    } else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => keyHost.listen(PORTS.jwtKeys, "127.0.0.1", resolve));
  idp = await startIdp(PORTS.jwtIdp, [], { resources: [endpoint("crm")], machineClients: [MACHINE] });
  dir = mkdtempSync(join(tmpdir(), "warden-jwt-"));
  writeFileSync(join(dir, "jwt.yaml"), POLICY);
  await buildWorker({ policyDirs: [dir], outFile: WORKER });
  gateway = await startGateway({ port: PORTS.jwtGateway, scriptPath: WORKER });
});

afterAll(async () => {
  await gateway?.close();
  await idp?.close();
  keyHost?.closeAllConnections();
  await new Promise((resolve) => keyHost?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Forgery = { claims?: Record<string, unknown>; header?: Record<string, unknown>; key?: KeyObject; kid?: string; alg?: string };

/** A token of the test issuer for `audience`: valid (sub alice, group sre, 5 minutes) unless the forgery says otherwise. */
async function issue(audience: string, forgery: Forgery = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, aud: audience, sub: "alice", groups: ["sre"], iat: now, exp: now + 300, ...forgery.claims };
  const alg = forgery.alg ?? "RS256";
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "at+jwt", kid: forgery.kid ?? "k1", ...forgery.header }).sign(forgery.key ?? k1.privateKey);
}

function auditEvents(): AuditEvent[] {
  return gateway.logs.filter((line) => line.startsWith('{"audit"')).map((line) => JSON.parse(line).audit as AuditEvent);
}

/** The audit event of the one request `send` makes (events are logged once the answer is over). */
async function auditOf<T>(send: () => Promise<T>): Promise<{ result: T; event: AuditEvent }> {
  const before = auditEvents().length;
  const result = await send();
  const event = await vi.waitFor(() => {
    const fresh = auditEvents().slice(before);
    expect(fresh).toHaveLength(1);
    return fresh[0]!;
  });
  return { result, event };
}

const initialize = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });

/** One initialize with `token` at `origin`: its status, challenge, wire body and audit event. */
async function attempt(origin: string, token: string) {
  const { result: response, event } = await auditOf(() => post(endpoint(origin), initialize, { authorization: `Bearer ${token}` }));
  const text = await response.text();
  return { status: response.status, challenge: response.headers.get("www-authenticate"), text, event };
}

/** A refusal as the wire shows it: 401, the RFC 6750 challenge naming the endpoint's metadata, nothing precise; the precise reason in audit. */
async function expectRefused(origin: string, token: string, reason: string): Promise<void> {
  const outcome = await attempt(origin, token);
  expect(outcome.status).toBe(401);
  expect(outcome.challenge).toBe(
    `Bearer realm="mcp-warden", resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp/${origin}", error="invalid_token", error_description="the token is invalid, expired or revoked; ask your operator for a new one"`,
  );
  expect(outcome.text).not.toContain("JWT");
  expect(outcome.event).toMatchObject({ decision: "deny", origin, reason });
  expect(outcome.event.principal).toBeUndefined();
}

async function expectAccepted(origin: string, token: string): Promise<AuditEvent> {
  const outcome = await attempt(origin, token);
  expect(outcome.status).toBe(200);
  expect(outcome.event).toMatchObject({ origin, authMode: "jwt", roles: ["viewer"] });
  return outcome.event;
}

describe("a real OpenID provider's JWT access tokens", () => {
  it("names the issuer as authorization server in the endpoint's RFC 9728 metadata", async () => {
    const metadata = await jsonBody(await fetch(`${BASE}/.well-known/oauth-protected-resource/mcp/crm`));
    expect(metadata).toEqual({
      resource: endpoint("crm"),
      bearer_methods_supported: ["header"],
      resource_name: "mcp-warden: crm",
      resource_documentation: `${BASE}/.well-known/mcp-warden`,
      authorization_servers: [IDP],
    });
    const mixed = await jsonBody(await fetch(`${BASE}/.well-known/oauth-protected-resource/mcp/mixed`));
    expect(mixed.authorization_servers).toEqual([ISSUER]);
    const plain = await jsonBody(await fetch(`${BASE}/.well-known/oauth-protected-resource/mcp/plain`));
    expect(plain.authorization_servers).toBeUndefined();
  });

  it("the MCP SDK client discovers the issuer, gets a JWT by client_credentials and calls a tool under the mapped role", async () => {
    const provider = new ClientCredentialsProvider({ clientId: MACHINE.clientId, clientSecret: MACHINE.clientSecret, expectedIssuer: IDP });
    const transport = new StreamableHTTPClientTransport(new URL(endpoint("crm")), { authProvider: provider });
    const client = new Client({ name: "reporting-agent", version: "1.0.0" });
    const before = auditEvents().length;
    await client.connect(transport);
    const answer = await client.callTool({ name: "echo", arguments: { message: "quarterly numbers" } });
    expect(answer.content).toEqual([{ type: "text", text: "Echo: quarterly numbers" }]);
    await client.close();

    // The token the SDK got is the provider's JWT for this endpoint: signed RS256 by its key, aud = the resource.
    const token = provider.tokens()!.access_token;
    const [header, payload] = token.split(".").slice(0, 2).map((part) => JSON.parse(new TextDecoder().decode(base64url.decode(part))));
    expect(header).toMatchObject({ alg: "RS256", typ: "at+jwt" });
    expect(payload).toMatchObject({ iss: IDP, aud: endpoint("crm"), client_id: MACHINE.clientId, sub: MACHINE.clientId });

    const call = await vi.waitFor(() => {
      const found = auditEvents().slice(before).find((event) => event.method === "tools/call");
      expect(found).toBeDefined();
      return found!;
    });
    expect(call).toMatchObject({ decision: "allow", origin: "crm", authMode: "jwt", roles: ["viewer"], rule: "crm-echo", target: "echo" });
    expect(call.principal).toMatch(/^jwt:[0-9a-f]{32}$/);
    // Never stored or logged: no log line holds the token.
    expect(gateway.logs.some((line) => line.includes(token.split(".")[2]!))).toBe(false);
  });

  it("refuses the provider's token at an endpoint of another audience, and the 401 names that endpoint's metadata", async () => {
    const response = await fetch(`${IDP}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${MACHINE.clientId}:${MACHINE.clientSecret}`)}` },
      body: new URLSearchParams({ grant_type: "client_credentials", resource: endpoint("crm") }),
    });
    const { access_token: token } = await jsonBody(response);
    expect((await attempt("crm", token)).status).toBe(200);
    // ledger trusts another issuer: the provider's token is not one of its issuer's.
    await expectRefused("ledger", token, "JWT issuer is not this endpoint's issuer");
    await expectRefused("plain", token, "JWT at an endpoint not configured for JWT mode");
  });

  it("a request without a token gets the challenge that leads the client to the issuer", async () => {
    const response = await post(endpoint("crm"), initialize);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(`Bearer realm="mcp-warden", resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp/crm"`);
  });
});

describe("attacks on JWT mode, each refused by its own defence", () => {
  it("control: the test issuer's valid token is accepted, and the caller's id derives from iss and sub", async () => {
    const first = await expectAccepted("ledger", await issue(endpoint("ledger")));
    const again = await expectAccepted("ledger", await issue(endpoint("ledger"), { claims: { jti: "another" } }));
    expect(first.principal).toBe(again.principal);
    const bob = await expectAccepted("ledger", await issue(endpoint("ledger"), { claims: { sub: "bob" } }));
    expect(bob.principal).not.toBe(first.principal);
    // The control call works through the real SDK client too, under the mapped role.
    const { client } = await connect(endpoint("ledger"), await issue(endpoint("ledger")));
    expect((await client.callTool({ name: "echo", arguments: { message: "ok" } })).content).toEqual([{ type: "text", text: "Echo: ok" }]);
    await client.close();
  });

  it("alg: none (an unsigned token)", async () => {
    const valid = await issue(endpoint("ledger"));
    const [, payload] = valid.split(".");
    const unsigned = `${base64url.encode(JSON.stringify({ alg: "none", typ: "at+jwt", kid: "k1" }))}.${payload}.`;
    await expectRefused("ledger", unsigned, "JWT alg none (unsigned) refused");
  });

  it("HS256 signed with the issuer's public key as the HMAC secret", async () => {
    const pem = new TextEncoder().encode(createPublicKey(k1.privateKey).export({ format: "pem", type: "spki" }) as string);
    const forged = await new SignJWT({ iss: ISSUER, aud: endpoint("ledger"), sub: "alice", groups: ["sre"], exp: Math.floor(Date.now() / 1000) + 300 })
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .sign(pem);
    await expectRefused("ledger", forged, "JWT with a symmetric algorithm (HS*) refused");
  });

  it("an asymmetric algorithm the endpoint does not allow", async () => {
    await expectRefused("ledger", await issue(endpoint("ledger"), { alg: "PS256" }), "JWT algorithm not in this endpoint's allowed algorithms");
  });

  it("wrong aud", async () => {
    await expectRefused("ledger", await issue("https://another-api.example/"), "JWT audience is not this endpoint");
  });

  it("wrong iss", async () => {
    await expectRefused("ledger", await issue(endpoint("ledger"), { claims: { iss: "https://impostor.example" } }), "JWT issuer is not this endpoint's issuer");
  });

  it("expired beyond the clock skew, and accepted just inside it", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused("ledger", await issue(endpoint("ledger"), { claims: { iat: now - 900, exp: now - 120 } }), "JWT expired (exp beyond the clock skew)");
    await expectAccepted("ledger", await issue(endpoint("ledger"), { claims: { iat: now - 900, exp: now - 10 } }));
  });

  it("not yet valid (nbf) beyond the clock skew, and accepted just inside it", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused("ledger", await issue(endpoint("ledger"), { claims: { nbf: now + 600, exp: now + 900 } }), "JWT not yet valid (nbf beyond the clock skew)");
    await expectAccepted("ledger", await issue(endpoint("ledger"), { claims: { nbf: now + 10 } }));
  });

  it("no exp at all", async () => {
    const token = await new SignJWT({ iss: ISSUER, aud: endpoint("ledger"), sub: "alice", groups: ["sre"] }).setProtectedHeader({ alg: "RS256", kid: "k1" }).sign(k1.privateKey);
    await expectRefused("ledger", token, "JWT exp claim missing or invalid");
  });

  it("a key the issuer never published, under a published kid and under an unknown one", async () => {
    await expectRefused("ledger", await issue(endpoint("ledger"), { key: neverPublished.privateKey }), "JWT signature does not verify");
    await expectRefused("ledger", await issue(endpoint("ledger"), { key: neverPublished.privateKey, kid: "attacker" }), "JWT key id (kid) not in the issuer's key set, even after a re-fetch within the cool-down");
  });

  it("a token for one origin endpoint used at another", async () => {
    const forArchive = await issue(endpoint("archive"));
    await expectAccepted("archive", forArchive);
    await expectRefused("ledger", forArchive, "JWT audience is not this endpoint");
  });

  it("a JWT at an endpoint not configured for JWT mode", async () => {
    await expectRefused("plain", await issue(endpoint("plain")), "JWT at an endpoint not configured for JWT mode");
  });

  it("a gateway token at an endpoint that takes JWTs only; beside JWTs only where the policy says so", async () => {
    const token = await gateway.mint(["viewer"]);
    await expectRefused("ledger", token, "gateway token at an endpoint that takes the issuer's JWTs only");
    expect((await attempt("mixed", token)).event).toMatchObject({ authMode: "token", origin: "mixed" });
    await expectAccepted("mixed", await issue(endpoint("mixed")));
  });

  it("claims that map to no role", async () => {
    await expectRefused("ledger", await issue(endpoint("ledger"), { claims: { groups: ["staff"] } }), "JWT claims match no role mapping rule, or no admitted e-mail domain");
  });

  it("rotation: a new kid at the key set is accepted after one re-fetch; unknown kids after it cost no fetch within the cool-down", async () => {
    await expectAccepted("rotating", await issue(endpoint("rotating")));
    const fetchedAtStart = keySetFetches.rotating;
    // The issuer rotates: k2 appears at its key set, and its first token makes the gateway read the set again.
    rotated = true;
    await expectAccepted("rotating", await issue(endpoint("rotating"), { key: k2.privateKey, kid: "k2" }));
    expect(keySetFetches.rotating).toBe(fetchedAtStart + 1);
    // An unknown kid right after: refused, and no fetch (the cool-down) however many arrive.
    for (const kid of ["k3", "k4", "k5"]) {
      await expectRefused("rotating", await issue(endpoint("rotating"), { key: neverPublished.privateKey, kid }), "JWT key id (kid) not in the issuer's key set, even after a re-fetch within the cool-down");
    }
    expect(keySetFetches.rotating).toBe(fetchedAtStart + 1);
    await expectAccepted("rotating", await issue(endpoint("rotating"), { key: k2.privateKey, kid: "k2" }));
  });
});
