// auth/jwt.ts on its own: the key set fetched defensively from a local server (redirects, size, shape,
// secret and private members), kept when the issuer is briefly down, re-fetched for a new kid at most once
// per cool-down; the caller's id from iss and sub; the reasons refusals carry.

import { generateKeyPairSync, sign } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, SignJWT, type JWK } from "jose";
import { JwtRefusal, KEY_SET_MAX_AGE_MS, KEY_SET_MAX_BYTES, jwtPrincipalId, looksLikeJwt, verifyJwt } from "../../src/auth/jwt.js";
import { GatewayError } from "../../src/errors.js";
import type { OriginJwtSettings } from "../../src/policy/types.js";

const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
let publicJwk: JWK;
let privateJwk: JWK;
let base = "";
const fetches: Record<string, number> = {};
const routes: Record<string, (response: ServerResponse) => void> = {};
let server: Server;

beforeAll(async () => {
  publicJwk = { ...(await exportJWK(key.publicKey)), kid: "k1", alg: "ES256" };
  privateJwk = { ...(await exportJWK(key.privateKey)), kid: "k1", alg: "ES256" };
  server = createServer((request, response) => {
    fetches[request.url!] = (fetches[request.url!] ?? 0) + 1;
    const route = routes[request.url!];
    if (route) route(response);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const json = (body: unknown) => (response: ServerResponse) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
const NOW = Date.now();

function settings(path: string): OriginJwtSettings {
  return {
    issuer: "https://login.example.com",
    audience: "https://gateway.example.com/mcp/crm",
    jwksUrl: `${base}${path}`,
    algorithms: ["ES256"],
    clockSkewSeconds: 60,
    gatewayTokens: false,
    emailDomains: [],
    roleMapping: [{ claim: "groups", equals: "sre", roles: ["viewer"] }],
  };
}

const token = (claims: Record<string, unknown> = {}, kid = "k1") =>
  new SignJWT({ iss: "https://login.example.com", aud: "https://gateway.example.com/mcp/crm", sub: "alice", groups: ["sre"], exp: Math.floor(NOW / 1000) + 300, ...claims })
    .setProtectedHeader({ alg: "ES256", kid })
    .sign(key.privateKey);

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof JwtRefusal) return `JwtRefusal: ${error.message}`;
    if (error instanceof GatewayError) return `${error.kind}: ${error.message}`;
    throw error;
  }
  throw new Error("accepted");
}

describe("looksLikeJwt", () => {
  it("tells compact JWS apart from gateway tokens", () => {
    expect(looksLikeJwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.")).toBe(true);
    expect(looksLikeJwt("a.b.c")).toBe(true);
    expect(looksLikeJwt("mcpw_0123456789abcdef")).toBe(false);
    expect(looksLikeJwt("a.b")).toBe(false);
    expect(looksLikeJwt("a.b.c.d.e")).toBe(false);
  });
});

describe("verifyJwt", () => {
  it("accepts a valid token: roles from the mapping rules, the caller from iss and sub, never the token", async () => {
    routes["/valid"] = json({ keys: [publicJwk] });
    const verified = await verifyJwt(await token(), settings("/valid"), NOW);
    expect(verified.roles).toEqual(["viewer"]);
    expect(verified.principal).toBe(await jwtPrincipalId("https://login.example.com", "alice"));
    expect(verified.principal).toMatch(/^jwt:[0-9a-f]{32}$/);
    expect(verified.name).toBe("alice");
    expect(await jwtPrincipalId("https://other.example.com", "alice")).not.toBe(verified.principal);
    // Issuer and subject are kept apart: pairs that concatenate to the same text are two callers.
    expect(await jwtPrincipalId("https://a.example", "b")).not.toBe(await jwtPrincipalId("https://a.exampl", "eb"));
  });

  it("names the e-mail only when the issuer vouches for it", async () => {
    routes["/email"] = json({ keys: [publicJwk] });
    expect((await verifyJwt(await token({ email: "alice@example.com", email_verified: true }), settings("/email"), NOW)).name).toBe("alice@example.com");
    expect((await verifyJwt(await token({ email: "alice@example.com" }), settings("/email"), NOW)).name).toBe("alice");
    expect((await verifyJwt(await token({ email: 42, email_verified: true }), settings("/email"), NOW)).name).toBe("alice");
  });

  it("refuses a token of another issuer without fetching any key", async () => {
    routes["/other-issuer"] = json({ keys: [publicJwk] });
    expect(await refusal(verifyJwt(await token({ iss: "https://evil.example" }), settings("/other-issuer"), NOW))).toBe("JwtRefusal: JWT issuer is not this endpoint's issuer");
    expect(fetches["/other-issuer"]).toBeUndefined();
  });

  it("does not follow a redirect from the key set URL, nor take any other answer than 200", async () => {
    routes["/redirect"] = (response) => response.writeHead(302, { location: `${base}/valid` }).end();
    routes["/error"] = (response) => response.writeHead(500).end("{}");
    expect(await refusal(verifyJwt(await token(), settings("/redirect"), NOW))).toBe(`keySetUnavailable: JWKS answered HTTP 302 (${base}/redirect)`);
    expect(fetches["/valid"]).toBe(1);
    expect(await refusal(verifyJwt(await token(), settings("/error"), NOW))).toBe(`keySetUnavailable: JWKS answered HTTP 500 (${base}/error)`);
  });

  it("says so when the issuer cannot be reached at all", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks`;
    await new Promise((resolve) => closed.close(resolve));
    expect(await refusal(verifyJwt(await token(), { ...settings(""), jwksUrl: url }, NOW))).toBe(`keySetUnavailable: JWKS fetch failed: TypeError (${url})`);
  });

  it("reads one key set once for concurrent callers, and again when it is 10 minutes old", async () => {
    routes["/shared"] = json({ keys: [publicJwk] });
    await Promise.all([1, 2, 3].map(async () => verifyJwt(await token(), settings("/shared"), NOW)));
    expect(fetches["/shared"]).toBe(1);
    const at = async (ms: number) => verifyJwt(await token({ exp: Math.floor((NOW + ms) / 1000) + 300 }), settings("/shared"), NOW + ms);
    await at(KEY_SET_MAX_AGE_MS - 1);
    expect(fetches["/shared"]).toBe(1);
    await at(KEY_SET_MAX_AGE_MS);
    expect(fetches["/shared"]).toBe(2);
  });

  it("refuses a key set over its size cap, declared or streamed", async () => {
    const big = JSON.stringify({ keys: [publicJwk], padding: "x".repeat(KEY_SET_MAX_BYTES) });
    routes["/big"] = (response) => response.writeHead(200, { "content-type": "application/json" }).end(big);
    routes["/big-chunked"] = (response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.write(big.slice(0, 1000));
      response.end(big.slice(1000));
    };
    expect(await refusal(verifyJwt(await token(), settings("/big"), NOW))).toMatch(/^keySetUnavailable: JWKS larger than its cap/);
    expect(await refusal(verifyJwt(await token(), settings("/big-chunked"), NOW))).toMatch(/^keySetUnavailable: JWKS larger than its cap/);
    // At the cap exactly, it is read.
    const padding = KEY_SET_MAX_BYTES - JSON.stringify({ keys: [publicJwk], padding: "" }).length;
    routes["/at-cap"] = json({ keys: [publicJwk], padding: "x".repeat(padding) });
    expect((await verifyJwt(await token(), settings("/at-cap"), NOW)).roles).toEqual(["viewer"]);
  });

  it("refuses a key set that is not one", async () => {
    routes["/not-json"] = (response) => response.writeHead(200).end("<html>");
    routes["/no-keys"] = json({ kys: [] });
    routes["/null"] = json(null);
    expect(await refusal(verifyJwt(await token(), settings("/not-json"), NOW))).toMatch(/^keySetUnavailable: JWKS is not JSON/);
    expect(await refusal(verifyJwt(await token(), settings("/no-keys"), NOW))).toMatch(/^keySetUnavailable: JWKS has no keys array/);
    expect(await refusal(verifyJwt(await token(), settings("/null"), NOW))).toMatch(/^keySetUnavailable: JWKS has no keys array/);
  });

  it("takes RSA, EC and OKP public keys, skipping entries that are no keys", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const ed = generateKeyPairSync("ed25519");
    routes["/kinds"] = json({ keys: [1, null, "k", { ...(await exportJWK(rsa.publicKey)), kid: "r1" }, { ...(await exportJWK(ed.publicKey)), kid: "e1" }, publicJwk] });
    const kinds = { ...settings("/kinds"), algorithms: ["ES256", "RS256", "EdDSA"] };
    const signed = (alg: string, kid: string, signing: typeof key.privateKey) =>
      new SignJWT({ iss: kinds.issuer, aud: kinds.audience, sub: "alice", groups: ["sre"], exp: Math.floor(NOW / 1000) + 300 }).setProtectedHeader({ alg, kid }).sign(signing);
    expect((await verifyJwt(await signed("RS256", "r1", rsa.privateKey), kinds, NOW)).roles).toEqual(["viewer"]);
    expect((await verifyJwt(await signed("EdDSA", "e1", ed.privateKey), kinds, NOW)).roles).toEqual(["viewer"]);
    expect((await verifyJwt(await signed("ES256", "k1", key.privateKey), kinds, NOW)).roles).toEqual(["viewer"]);
  });

  it("never uses a secret or a private key from the key set", async () => {
    routes["/secret"] = json({ keys: [{ kty: "oct", k: "c2VjcmV0", kid: "k1", alg: "HS256" }, privateJwk] });
    expect(await refusal(verifyJwt(await token(), settings("/secret"), NOW))).toBe(
      "JwtRefusal: JWT key id (kid) not in the issuer's key set, even after a re-fetch within the cool-down",
    );
  });

  it("keeps the last good keys while the issuer is down, and asks again only after the cool-down", async () => {
    routes["/flaky"] = json({ keys: [publicJwk] });
    await verifyJwt(await token(), settings("/flaky"), NOW);
    routes["/flaky"] = (response) => response.writeHead(503).end();
    // Past the key set's age it is read again, fails, and the cached keys still verify.
    const later = NOW + 11 * 60_000;
    expect((await verifyJwt(await token({ exp: Math.floor(later / 1000) + 300 }), settings("/flaky"), later)).roles).toEqual(["viewer"]);
    expect(fetches["/flaky"]).toBe(2);
    // Not on every request while it stays down: again after the cool-down.
    await verifyJwt(await token({ exp: Math.floor(later / 1000) + 300 }), settings("/flaky"), later + 1000);
    expect(fetches["/flaky"]).toBe(2);
    // An unknown kid while it is down: refused as unknown, the last keys kept.
    expect(await refusal(verifyJwt(await token({ exp: Math.floor(later / 1000) + 300 }, "x9"), settings("/flaky"), later + 2000))).toBe(
      "JwtRefusal: JWT key id (kid) not in the issuer's key set, even after a re-fetch within the cool-down",
    );
    expect(fetches["/flaky"]).toBe(3);
    routes["/flaky"] = json({ keys: [publicJwk] });
    await verifyJwt(await token({ exp: Math.floor(later / 1000) + 300 }), settings("/flaky"), later + 61_000);
    expect(fetches["/flaky"]).toBe(4);
  });

  it("re-fetches for an unknown kid at most once per cool-down", async () => {
    routes["/rotate"] = json({ keys: [publicJwk] });
    await verifyJwt(await token(), settings("/rotate"), NOW);
    expect(fetches["/rotate"]).toBe(1);
    for (const kid of ["x1", "x2", "x3"]) await refusal(verifyJwt(await token({}, kid), settings("/rotate"), NOW + 1000));
    expect(fetches["/rotate"]).toBe(2);
    // After the cool-down one more unknown kid may cause one more fetch.
    await refusal(verifyJwt(await token({}, "x4"), settings("/rotate"), NOW + 61_000));
    expect(fetches["/rotate"]).toBe(3);
  });

  it("refuses claims no mapping rule admits", async () => {
    routes["/unmapped"] = json({ keys: [publicJwk] });
    expect(await refusal(verifyJwt(await token({ groups: ["staff"] }), settings("/unmapped"), NOW))).toBe("JwtRefusal: JWT claims match no role mapping rule, or no admitted e-mail domain");
  });

  it("refuses each claim and header flaw with its own reason", async () => {
    routes["/claims"] = json({ keys: [publicJwk] });
    const at = async (signed: Promise<string> | string, now = NOW) => refusal(verifyJwt(await signed, settings("/claims"), now));
    const seconds = Math.floor(NOW / 1000);
    const [header, payload] = (await token()).split(".");
    expect(await at(`${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${payload}.`)).toBe("JwtRefusal: JWT alg none (unsigned) refused");
    expect(await at(`${Buffer.from(JSON.stringify({ alg: "HS256", kid: "k1" })).toString("base64url")}.${payload}.c2ln`)).toBe("JwtRefusal: JWT with a symmetric algorithm (HS*) refused");
    expect(await at(`${Buffer.from(JSON.stringify({ alg: "ES384", kid: "k1" })).toString("base64url")}.${payload}.c2ln`)).toBe("JwtRefusal: JWT algorithm not in this endpoint's allowed algorithms");
    expect(await at(`${header}.${payload}.${Buffer.from("forged").toString("base64url")}`)).toBe("JwtRefusal: JWT signature does not verify");
    expect(await at(token({ aud: "https://gateway.example.com/mcp/other" }))).toBe("JwtRefusal: JWT audience is not this endpoint");
    expect(await at(token({ exp: seconds - 61 }))).toBe("JwtRefusal: JWT expired (exp beyond the clock skew)");
    expect(await at(token({ nbf: seconds + 61 }))).toBe("JwtRefusal: JWT not yet valid (nbf beyond the clock skew)");
    expect(await at(token({ exp: undefined }))).toBe("JwtRefusal: JWT exp claim missing or invalid");
    expect(await at(token({ sub: undefined }))).toBe("JwtRefusal: JWT sub claim missing or invalid");
    expect(await at(token({ sub: "" }))).toBe("JwtRefusal: JWT sub claim missing or invalid");
    expect(await at(token({ sub: 42 }))).toBe("JwtRefusal: JWT sub claim missing or invalid");
    expect(await at(token({ iat: "yesterday" }))).toBe("JwtRefusal: JWT iat claim missing or invalid");
    expect(await at(`${Buffer.from(JSON.stringify({ alg: 256, kid: "k1" })).toString("base64url")}.${payload}.c2ln`)).toBe("JwtRefusal: JWT refused by jose (ERR_JWS_INVALID)");
    // A validly signed token with a critical header parameter the gateway does not understand (jose will not sign one: signed here).
    const input = `${Buffer.from(JSON.stringify({ alg: "ES256", kid: "k1", crit: ["x-unknown"], "x-unknown": true })).toString("base64url")}.${payload}`;
    const critical = `${input}.${sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
    expect(await at(critical)).toBe("JwtRefusal: JWT refused by jose (ERR_JOSE_NOT_SUPPORTED)");
    // Within the skew, each passes.
    for (const claims of [{ exp: seconds - 59 }, { nbf: seconds + 59 }]) expect((await verifyJwt(await token(claims), settings("/claims"), NOW)).roles).toEqual(["viewer"]);
  });

  it("lets an error that is not jose's through, unnamed as the token's refusal: an issuer key that does not import", async () => {
    // An EC key whose coordinates are no point: WebCrypto refuses it with a DOMException, which is the issuer's fault, not the caller's.
    routes["/broken-key"] = json({ keys: [{ kty: "EC", crv: "P-256", x: "AA", y: "AA", kid: "k1", alg: "ES256" }] });
    const error = await verifyJwt(await token(), settings("/broken-key"), NOW).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(JwtRefusal);
    expect(error).not.toBeInstanceOf(GatewayError);
    expect((error as Error).name).toBe("DataError");
  });

  it("refuses a token that is not base64url JSON", async () => {
    expect(await refusal(verifyJwt("eyJ.eyJ.x", settings("/valid"), NOW))).toBe("JwtRefusal: malformed JWT (header or payload is not base64url JSON)");
  });
});
