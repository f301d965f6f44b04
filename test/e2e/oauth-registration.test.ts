// Dynamic Client Registration (RFC 7591) end to end, with the policy turning it on: a gateway built from
// the demo policy plus `oauth.dynamicClientRegistration`, its own OpenID provider (oidc-provider), and the
// real MCP SDK's OAuth client registering itself, then through the whole flow to tool calls. Then the
// registration's strict checks and its limit per client address. (With registration off — the demo
// policy — the endpoint is absent and the SDK uses a client metadata document: test/e2e/oauth.test.ts.)

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed } from "@modelcontextprotocol/sdk/shared/auth.js";
import { RecordingOAuthClient } from "../support/oauth-client.js";
import { buildWorker } from "../../cli/build.js";
import { IDP_CLIENT_SECRET, startIdp, type Idp } from "../../demo/idp.js";
import type { AuditEvent } from "../../src/audit/schema.js";
import { startGateway, TEST_SECRETS, type Gateway } from "../support/gateway.js";
import { EVERYTHING_URL, SQL_URL, TOOLBOX_URL } from "../support/ports.js";
import { UserAgent } from "../support/user-agent.js";

const PORTS = { gateway: 22601, idp: 22602, redirect: 22603 };
const BASE = `http://127.0.0.1:${PORTS.gateway}`;
const EVERYTHING = `${BASE}/mcp/everything`;
const REDIRECT = `http://127.0.0.1:${PORTS.redirect}/callback`;
/** Registrations per address per hour in this test's policy. */
const REGISTRATION_LIMIT = 5;

let gateway: Gateway;
let idp: Idp;
const dir = mkdtempSync(join(tmpdir(), "warden-dcr-"));

beforeAll(async () => {
  // The demo policy and the test origins, with registration turned on in the one oauth section.
  cpSync("policies", join(dir, "policies"), { recursive: true });
  cpSync("test/fixtures/policies", join(dir, "test-policies"), { recursive: true });
  const oauth = join(dir, "policies/oauth.yaml");
  writeFileSync(oauth, `${readFileSync(oauth, "utf8").trimEnd()}\n  dynamicClientRegistration: { limit: ${REGISTRATION_LIMIT}, window: 1h }\n`);
  // workerd reads the script from inside the project (it refuses paths that leave its starting directory).
  const scriptPath = ".warden/test/registration-worker.js";
  await buildWorker({
    policyDirs: [join(dir, "policies"), join(dir, "test-policies")],
    outFile: scriptPath,
    originOverrides: { everything: EVERYTHING_URL, toolbox: TOOLBOX_URL, sql: SQL_URL },
    upstreamIssuer: `http://127.0.0.1:${PORTS.idp}`,
  });
  idp = await startIdp(PORTS.idp, [`${BASE}/oauth/callback`]);
  gateway = await startGateway({ scriptPath, port: PORTS.gateway, bindings: { ...TEST_SECRETS, OIDC_CLIENT_SECRET: IDP_CLIENT_SECRET } });
});

afterAll(async () => {
  await gateway?.close();
  await idp?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A client with no metadata document: it registers itself. */
class RegisteringClient extends RecordingOAuthClient {
  information?: OAuthClientInformationMixed;
  constructor() {
    super(REDIRECT, { client_name: "Registered Assistant", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] });
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
}

const registration = (body: unknown, address: string) =>
  fetch(`${BASE}/oauth/register`, { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": address }, body: typeof body === "string" ? body : JSON.stringify(body) });

const valid = { client_name: "Checked", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"] };

const registerEvents = () =>
  gateway.logs
    .filter((line) => line.startsWith('{"audit"'))
    .map((line) => (JSON.parse(line) as { audit: AuditEvent }).audit)
    .filter((event) => event.oauth?.endpoint === "register");

describe("Dynamic Client Registration, turned on by the policy", () => {
  it("is announced in the authorization server metadata", async () => {
    const metadata = (await (await fetch(`${BASE}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(metadata.registration_endpoint).toBe(`${BASE}/oauth/register`);
  });

  it("lets the MCP SDK's OAuth client register, sign the user in, and call tools under the mapped role", async () => {
    const provider = new RegisteringClient();
    const first = new StreamableHTTPClientTransport(new URL(EVERYTHING), { authProvider: provider });
    await expect(new Client({ name: "dcr-test", version: "1" }).connect(first)).rejects.toThrow(UnauthorizedError);
    const clientId = provider.information!.client_id;
    expect(clientId).toMatch(/^mcpw-client-[A-Za-z0-9_-]{22}$/);
    expect(provider.authorizationUrl!.searchParams.get("client_id")).toBe(clientId);
    const agent = new UserAgent("alice");
    const landing = await agent.authorize(provider.authorizationUrl!, REDIRECT);
    if (!(landing instanceof URL)) throw new Error(`no redirect: ${landing.status} ${landing.html}`);
    // The consent page says the name is the client's own word.
    expect(agent.pages.find((page) => page.html?.includes("Allow access?"))!.html).toContain("Registered Assistant (registered dynamically, unverified)");
    await first.finishAuth(landing.searchParams.get("code")!);
    expect(provider.saved!.scope).toBe("developer viewer");

    const client = new Client({ name: "dcr-test", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(EVERYTHING), { authProvider: provider }));
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("get-structured-content");
    const echoed = await client.callTool({ name: "echo", arguments: { message: "hi via a registered client" } });
    expect(JSON.stringify(echoed.content)).toContain("hi via a registered client");
    await client.close();
    expect(registerEvents().some((event) => event.decision === "allow" && event.oauth?.client === clientId)).toBe(true);
  });

  it("registers public clients with code and refresh grants and safe redirect URIs only", async () => {
    const refusals: [unknown, string][] = [
      [{ ...valid, token_endpoint_auth_method: undefined }, "invalid_client_metadata"],
      [{ ...valid, token_endpoint_auth_method: "client_secret_basic" }, "invalid_client_metadata"],
      [{ ...valid, grant_types: ["authorization_code", "client_credentials"] }, "invalid_client_metadata"],
      [{ ...valid, grant_types: ["refresh_token"] }, "invalid_client_metadata"],
      [{ ...valid, response_types: ["token"] }, "invalid_client_metadata"],
      [{ ...valid, redirect_uris: [] }, "invalid_client_metadata"],
      [{ ...valid, redirect_uris: ["javascript:alert(document.domain)//"] }, "invalid_redirect_uri"],
      [{ ...valid, redirect_uris: ["http://app.example/callback"] }, "invalid_redirect_uri"],
      [{ ...valid, redirect_uris: ["https://user:pass@app.example/callback"] }, "invalid_redirect_uri"],
      [{ ...valid, redirect_uris: ["https://app.example/callback#fragment"] }, "invalid_redirect_uri"],
      ["{not json", "invalid_client_metadata"],
      [{ ...valid, client_name: "x".repeat(6000) }, "invalid_client_metadata"],
    ];
    for (const [index, [body, error]] of refusals.entries()) {
      // Each from its own address: the limit on registrations is tested below.
      const answer = await registration(body, `198.51.100.${index + 10}`);
      expect(answer.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(((await answer.json()) as { error: string }).error, JSON.stringify(body).slice(0, 120)).toBe(error);
    }
    const accepted = await registration(valid, "198.51.100.40");
    expect(accepted.status).toBe(201);
    const registered = (await accepted.json()) as Record<string, unknown>;
    expect(registered).toMatchObject({ client_name: "Checked", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"] });
    // A registered client is held to its redirect URIs like a metadata document's client.
    const authorize = new URL(`${BASE}/oauth/authorize`);
    for (const [name, value] of Object.entries({ response_type: "code", client_id: String(registered.client_id), redirect_uri: "https://attacker.example/callback", code_challenge: "A".repeat(43), code_challenge_method: "S256", resource: EVERYTHING })) authorize.searchParams.set(name, value);
    const refused = await fetch(authorize, { redirect: "manual" });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("location")).toBeNull();
    // An id the gateway never issued is no client.
    authorize.searchParams.set("client_id", "mcpw-client-AAAAAAAAAAAAAAAAAAAAAA");
    authorize.searchParams.set("redirect_uri", REDIRECT);
    expect((await fetch(authorize, { redirect: "manual" })).status).toBe(400);
  });

  it("limits registrations per client address, recording each refusal's reason", async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= REGISTRATION_LIMIT; i++) statuses.push((await registration(valid, "203.0.113.50")).status);
    expect(statuses).toEqual([...Array(REGISTRATION_LIMIT).fill(201), 429]);
    expect((await registration(valid, "203.0.113.51")).status).toBe(201);
    for (let attempt = 0; attempt < 100 && !registerEvents().some((event) => event.decision === "limited"); attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(registerEvents().find((event) => event.decision === "limited")).toMatchObject({ status: 429, reason: "address over its registration limit" });
  });
});
