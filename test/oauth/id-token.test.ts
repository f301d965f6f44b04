// The ID token checks of the upstream login (oauth4webapi) against a hand-rolled OpenID provider that answers
// with forged ID tokens: only a token signed with the provider's key, for this client, this nonce and in time,
// is accepted — removing the signature check (validateApplicationLevelSignature) fails the forged cases.
import { createHmac, createSign, generateKeyPairSync } from "node:crypto";
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
