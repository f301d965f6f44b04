// The ID token checks of the upstream login (oauth4webapi) against a hand-rolled OpenID provider that answers
// with forged ID tokens: only a token signed with the provider's key, for this client, this nonce and in time,
// is accepted — removing the signature check (validateApplicationLevelSignature) fails the forged cases.
import { createHash, createHmac, createSign, generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beginLogin, finishLogin } from "../../src/oauth/upstream.js";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "RS256", use: "sig" };
let forge: (claims: Record<string, unknown>) => string;
let server: Server; let issuer: string;
const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
function sign(header: Record<string, unknown>, claims: Record<string, unknown>, how: "rs" | "none" | "hs-pub") {
  const input = `${b64(header)}.${b64(claims)}`;
  if (how === "none") return `${input}.`;
  if (how === "hs-pub") return `${input}.${createHmac("sha256", publicKey.export({ format: "pem", type: "spki" })).update(input).digest("base64url")}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(privateKey).toString("base64url")}`;
}
beforeAll(async () => {
  server = createServer((q, r) => {
    const send = (body: unknown) => r.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (q.url === "/.well-known/openid-configuration") return send({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ["RS256", "none", "HS256"] });
    if (q.url === "/jwks") return send({ keys: [jwk] });
    if (q.url === "/token") return send({ access_token: "at", token_type: "Bearer", id_token: forge({}) });
    r.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe("forged upstream ID tokens", () => {
  const cases: [string, (base: Record<string, unknown>) => string, boolean][] = [
    ["valid (control)", (c) => sign({ alg: "RS256", kid: "k1" }, c, "rs"), true],
    ["alg none", (c) => sign({ alg: "none" }, c, "none"), false],
    ["HS256 keyed with the public key", (c) => sign({ alg: "HS256", kid: "k1" }, c, "hs-pub"), false],
    ["wrong aud", (c) => sign({ alg: "RS256", kid: "k1" }, { ...c, aud: "someone-else" }, "rs"), false],
    ["wrong iss", (c) => sign({ alg: "RS256", kid: "k1" }, { ...c, iss: "https://evil.example" }, "rs"), false],
    ["expired", (c) => sign({ alg: "RS256", kid: "k1" }, { ...c, exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 }, "rs"), false],
    ["wrong nonce", (c) => sign({ alg: "RS256", kid: "k1" }, { ...c, nonce: "other" }, "rs"), false],
    ["unknown kid", (c) => sign({ alg: "RS256", kid: "k2" }, c, "rs"), false],
    ["multi-aud without azp", (c) => sign({ alg: "RS256", kid: "k1" }, { ...c, aud: ["gw", "other"] }, "rs"), false],
    ["bad signature", (c) => sign({ alg: "RS256", kid: "k1" }, c, "rs").slice(0, -4) + "AAAA", false],
  ];
  it.each(cases)("%s", async (_name, make, accepted) => {
    const settings = { issuer, clientId: "gw", clientSecret: { from: "OIDC_CLIENT_SECRET" }, scopes: ["openid"] };
    const login = await beginLogin(settings, "secret", "https://gw.example/oauth/callback", "st");
    const now = Math.floor(Date.now() / 1000);
    forge = () => make({ iss: issuer, aud: "gw", sub: "u1", iat: now, exp: now + 300, nonce: login.nonce });
    const callback = new URL(`https://gw.example/oauth/callback?code=c&state=st`);
    const outcome = await finishLogin(settings, "secret", callback, "https://gw.example/oauth/callback", "st", login).then((claims) => ({ ok: true, sub: claims.sub }), (error: Error) => ({ ok: false, error: error.message }));
    expect(outcome.ok).toBe(accepted);
  });
});

describe("the upstream login's discovery and authorization request", () => {
  let provider: Server;
  let base: string;
  let discoveries = 0;
  let metadata: (issuer: string) => Record<string, unknown>;
  const complete = (at: string) => ({ issuer: at, authorization_endpoint: `${at}/auth`, token_endpoint: `${at}/token`, jwks_uri: `${at}/jwks` });
  let tokenAnswer: Record<string, unknown> = {};
  beforeAll(async () => {
    provider = createServer((q, r) => {
      const send = (body: unknown) => r.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      if (q.url === "/.well-known/openid-configuration") {
        discoveries++;
        return send(metadata(base));
      }
      if (q.url === "/token") return send(tokenAnswer);
      if (q.url === "/jwks") return send({ keys: [jwk] });
      r.writeHead(404).end();
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(provider.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((r) => provider.close(r)));
  const settingsOf = (at: string) => ({ issuer: at, clientId: "gw", clientSecret: { from: "OIDC_CLIENT_SECRET" }, scopes: ["openid", "email"] });

  it("refuses a provider whose metadata lacks an endpoint, and asks it again at the next login", async () => {
    for (const missing of ["jwks_uri", "authorization_endpoint", "token_endpoint"]) {
      metadata = (at) => {
        const { [missing]: _, ...rest } = complete(at) as Record<string, unknown>;
        return rest;
      };
      await expect(beginLogin(settingsOf(base), "secret", "https://gw.example/oauth/callback", "st")).rejects.toThrow("provider metadata lacks jwks_uri, authorization_endpoint or token_endpoint");
    }
    metadata = complete;
    const before = discoveries;
    const login = await beginLogin(settingsOf(base), "secret", "https://gw.example/oauth/callback", "st");
    expect(login.url.startsWith(`${base}/auth?`)).toBe(true);
    // Discovered once, then remembered for the next logins at this issuer.
    await beginLogin(settingsOf(base), "secret", "https://gw.example/oauth/callback", "st2");
    expect(discoveries - before).toBe(1);
  });

  it("asks for a code with PKCE S256, the nonce, the state and the policy's scopes, at the provider the policy names now", async () => {
    metadata = complete;
    await beginLogin(settingsOf(issuer), "secret", "https://gw.example/oauth/callback", "st");
    const login = await beginLogin(settingsOf(base), "secret", "https://gw.example/oauth/callback", "state-1");
    const url = new URL(login.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${base}/auth`);
    const challenge = createHash("sha256").update(login.verifier).digest("base64url");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: "gw",
      redirect_uri: "https://gw.example/oauth/callback",
      response_type: "code",
      scope: "openid email",
      state: "state-1",
      nonce: login.nonce,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
  });

  it("refuses a token answer without an ID token", async () => {
    metadata = complete;
    const login = await beginLogin(settingsOf(base), "secret", "https://gw.example/oauth/callback", "st");
    tokenAnswer = { access_token: "at", token_type: "Bearer" };
    const callback = new URL("https://gw.example/oauth/callback?code=c&state=st");
    await expect(finishLogin(settingsOf(base), "secret", callback, "https://gw.example/oauth/callback", "st", login)).rejects.toThrow();
  });
});
