// Authentication (src/auth/authenticate.ts): `bearerToken` (the Authorization header only, RFC 6750
// challenges naming the RFC 9728 resource metadata) and `authenticate` (shape and checksum before any KV
// read, unknown, corrupt, expired and origin-restricted records, a failing store, the isolate's record
// cache, and the JWT-mode branches: a JWT where none is taken, a gateway token where only JWTs are).
// KV is a small in-memory object implementing only `get(key, "text" | "json")` and counting reads (the
// e2e tests use a real KV namespace in workerd). The record cache is module-level: every test mints its own tokens.
// A verified JWT's principal: the issuer's key set served by a local node:http server, as in jwt.test.ts.

import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, SignJWT } from "jose";
import { authenticate, bearerToken, forgetCachedGrant } from "../../src/auth/authenticate.js";
import { jwtPrincipalId } from "../../src/auth/jwt.js";
import type { TokenRecord } from "../../src/auth/record.js";
import { generateToken, tokenKey } from "../../src/auth/token.js";
import { GatewayError } from "../../src/errors.js";
import { failureOf } from "../support/failure.js";

const PEPPER = "pepper-for-unit-tests-0123456789abcdef";
const NOW = 1_800_000_000;
const ORIGIN = "everything";
const URL_BASE = "https://gw.example/mcp/everything";
const METADATA = "https://gw.example/.well-known/oauth-protected-resource/mcp/everything";

class FakeKv {
  readonly values = new Map<string, string>();
  reads = 0;
  types: (string | undefined)[] = [];
  failing: Error | undefined;

  async get(key: string, type?: "text" | "json"): Promise<unknown> {
    this.reads++;
    this.types.push(type);
    if (this.failing) throw this.failing;
    const value = this.values.get(key);
    if (value === undefined) return null;
    return type === "json" ? JSON.parse(value) : value;
  }

  get binding(): KVNamespace {
    return this as unknown as KVNamespace;
  }
}

function record(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return { v: 1, principal: "alice", name: "Alice's laptop", roles: ["developer"], createdAt: NOW - 100, expiresAt: null, ...overrides };
}

async function mint(kv: FakeKv, value: unknown = record()): Promise<string> {
  const token = generateToken();
  kv.values.set(await tokenKey(PEPPER, token), JSON.stringify(value));
  return token;
}

function request(authorization?: string, init: { url?: string; cookie?: string } = {}): Request {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (init.cookie !== undefined) headers.cookie = init.cookie;
  return new Request(init.url ?? URL_BASE, { method: "POST", headers });
}


const auth = (kv: FakeKv, token: string, now = NOW, cacheSeconds = 60, origin = ORIGIN) => authenticate(request(`Bearer ${token}`), origin, PEPPER, kv.binding, now, cacheSeconds);

describe("bearerToken", () => {
  it("refuses a request without Authorization with a challenge naming the resource metadata", () => {
    const error = (() => {
      try {
        bearerToken(request(), ORIGIN);
      } catch (thrown) {
        return thrown as GatewayError;
      }
      throw new Error("accepted");
    })();
    expect(error.kind).toBe("unauthorized");
    expect(error.status).toBe(401);
    expect(error.options.headers?.["www-authenticate"]).toBe(`Bearer realm="mcp-warden", resource_metadata="${METADATA}"`);
  });

  it("refuses any other scheme, or more than one token, as invalid_request", () => {
    for (const header of ["Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer ", "Bearer a b", "Token mcpw_x", "Bearer\tabc"]) {
      try {
        bearerToken(request(header), ORIGIN);
        expect.unreachable(header);
      } catch (error) {
        expect((error as GatewayError).kind, header).toBe("unauthorized");
        expect((error as GatewayError).options.headers?.["www-authenticate"], header).toContain('error="invalid_request"');
        expect((error as GatewayError).options.headers?.["www-authenticate"], header).toContain(`resource_metadata="${METADATA}"`);
      }
    }
  });

  it("takes the token from the Bearer scheme, case-insensitively", () => {
    expect(bearerToken(request("Bearer abc.DEF-123_~+/=="), ORIGIN)).toBe("abc.DEF-123_~+/==");
    expect(bearerToken(request("bearer   tok "), ORIGIN)).toBe("tok");
    expect(bearerToken(request("BEARER tok"), ORIGIN)).toBe("tok");
  });

  it("refuses a token offered in the query string or a cookie, even beside a valid header", () => {
    const token = generateToken();
    for (const offered of [
      request(`Bearer ${token}`, { url: `${URL_BASE}?access_token=${token}` }),
      request(`Bearer ${token}`, { url: `${URL_BASE}?access_token=anything` }),
      request(`Bearer ${token}`, { url: `${URL_BASE}?t=${token}` }),
      request(`Bearer ${token}`, { cookie: `session=1; token=${token}` }),
      request(undefined, { cookie: `auth=${token}` }),
    ]) {
      try {
        bearerToken(offered, ORIGIN);
        expect.unreachable();
      } catch (error) {
        expect((error as GatewayError).kind).toBe("tokenNotInHeader");
        expect((error as GatewayError).status).toBe(400);
        expect((error as GatewayError).options.headers?.["www-authenticate"]).toContain('error="invalid_request"');
      }
    }
  });
});

describe("authenticate", () => {
  it("returns the principal of a valid token", async () => {
    const kv = new FakeKv();
    const token = await mint(kv, record({ principal: "bob", name: "CI", roles: ["reader", "ci"] }));
    expect(await auth(kv, token)).toEqual({ id: "bob", name: "CI", roles: ["reader", "ci"], token, via: "token" });
    expect(kv.reads).toBe(1);
  });

  it("refuses a malformed token or one with a bad checksum without reading KV", async () => {
    const kv = new FakeKv();
    const good = generateToken();
    const badChecksum = `${good.slice(0, -1)}${good.endsWith("0") ? "1" : "0"}`;
    for (const token of ["not-a-token", "mcpw_short", badChecksum, good.replace("mcpw_", "mcpx_"), `${good}A`]) {
      const error = await failureOf(auth(kv, token));
      expect(error.kind, token).toBe("unauthorized");
      expect(error.options.headers?.["www-authenticate"]).toContain('error="invalid_token"');
    }
    expect(kv.reads).toBe(0);
  });

  it("refuses an unknown token after one read", async () => {
    const kv = new FakeKv();
    const error = await failureOf(auth(kv, generateToken()));
    expect(error.kind).toBe("unauthorized");
    expect(error.reason).toBe("unknown or revoked token");
    expect(error.options.headers?.["www-authenticate"]).toBe(
      `Bearer realm="mcp-warden", resource_metadata="${METADATA}", error="invalid_token", error_description="the token is invalid, expired or revoked; ask your operator for a new one"`,
    );
    expect(kv.reads).toBe(1);
  });

  it("refuses a stored value that is not JSON as invalid, not as a store failure", async () => {
    const kv = new FakeKv();
    const token = generateToken();
    kv.values.set(await tokenKey(PEPPER, token), "{not json");
    const error = await failureOf(authenticate(request(`Bearer ${token}`), ORIGIN, PEPPER, kv.binding, NOW, 0));
    expect(error.kind).toBe("unauthorized");
  });

  it("refuses a record that fails its schema", async () => {
    const kv = new FakeKv();
    for (const bad of [
      { ...record(), v: 2 },
      { ...record(), roles: "admin" },
      { ...record(), principal: "" },
      { ...record(), expiresAt: "never" },
      { ...record(), origins: "everything" },
      "a string",
      [record()],
    ]) {
      const error = await failureOf(auth(kv, await mint(kv, bad)));
      expect(error.kind, JSON.stringify(bad)).toBe("unauthorized");
    }
  });

  it("refuses an expired record, from the second it expires", async () => {
    const kv = new FakeKv();
    expect((await failureOf(auth(kv, await mint(kv, record({ expiresAt: NOW - 1 }))))).kind).toBe("unauthorized");
    expect((await failureOf(auth(kv, await mint(kv, record({ expiresAt: NOW }))))).kind).toBe("unauthorized");
    expect((await auth(kv, await mint(kv, record({ expiresAt: NOW + 1 })))).id).toBe("alice");
  });

  it("refuses a record older than the policy's maximum token lifetime, whatever its own expiry", async () => {
    const kv = new FakeKv();
    const within = (token: string) => authenticate(request(`Bearer ${token}`), ORIGIN, PEPPER, kv.binding, NOW, 0, undefined, 101);
    expect((await within(await mint(kv, record({ createdAt: NOW - 100 })))).id).toBe("alice");
    const error = await failureOf(within(await mint(kv, record({ createdAt: NOW - 101 }))));
    expect(error.kind).toBe("unauthorized");
    expect(error.message).toContain("token older than the maximum token lifetime");
  });

  it("refuses a cached record once it has expired, without reading KV again", async () => {
    const kv = new FakeKv();
    const token = await mint(kv, record({ expiresAt: NOW + 10 }));
    expect((await auth(kv, token, NOW, 60)).id).toBe("alice");
    expect((await auth(kv, token, NOW + 9, 60)).id).toBe("alice");
    expect((await failureOf(auth(kv, token, NOW + 10, 60))).kind).toBe("unauthorized");
    expect(kv.reads).toBe(1);
  });

  it("refuses a token restricted to other origins with forbidden (403)", async () => {
    const kv = new FakeKv();
    const token = await mint(kv, record({ origins: ["toolbox"] }));
    const error = await failureOf(auth(kv, token, NOW, 60, ORIGIN));
    expect(error.kind).toBe("forbidden");
    expect(error.status).toBe(403);
    expect((await auth(kv, token, NOW, 60, "toolbox")).id).toBe("alice");
    expect((await failureOf(auth(kv, await mint(kv, record({ origins: [] })), NOW, 60, "toolbox"))).kind).toBe("forbidden");
  });

  it("turns a failing token store into tokenStoreUnavailable (503), without its message on the wire", async () => {
    const kv = new FakeKv();
    const token = await mint(kv);
    kv.failing = new Error("KV GET failed: 503 upstream kv-7.internal");
    const error = await failureOf(auth(kv, token));
    expect(error.kind).toBe("tokenStoreUnavailable");
    expect(error.status).toBe(503);
    expect(JSON.stringify(error.toJsonRpcError())).not.toContain("kv-7.internal");
  });

  describe("the record cache", () => {
    it("reads a found record once within cacheSeconds, and again after", async () => {
      const kv = new FakeKv();
      const token = await mint(kv);
      await auth(kv, token, NOW, 30);
      await auth(kv, token, NOW + 1, 30);
      await auth(kv, token, NOW + 29, 30);
      expect(kv.reads).toBe(1);
      await auth(kv, token, NOW + 30, 30);
      expect(kv.reads).toBe(2);
      await auth(kv, token, NOW + 31, 30);
      expect(kv.reads).toBe(2);
    });

    it("sees a revocation once the cached record is due again", async () => {
      const kv = new FakeKv();
      const token = await mint(kv);
      await auth(kv, token, NOW, 30);
      kv.values.clear();
      expect((await auth(kv, token, NOW + 10, 30)).id).toBe("alice");
      expect((await failureOf(auth(kv, token, NOW + 30, 30))).kind).toBe("unauthorized");
    });

    it("never caches an unknown token: minted after a miss, it works at once", async () => {
      const kv = new FakeKv();
      const token = generateToken();
      expect((await failureOf(auth(kv, token, NOW, 60))).kind).toBe("unauthorized");
      kv.values.set(await tokenKey(PEPPER, token), JSON.stringify(record({ principal: "carol" })));
      expect((await auth(kv, token, NOW + 1, 60)).id).toBe("carol");
      expect(kv.reads).toBe(2);
    });

    it("never caches a record that fails its schema", async () => {
      const kv = new FakeKv();
      const token = await mint(kv, { ...record(), v: 0 });
      expect((await failureOf(auth(kv, token, NOW, 60))).kind).toBe("unauthorized");
      kv.values.set(await tokenKey(PEPPER, token), JSON.stringify(record({ principal: "dave" })));
      expect((await auth(kv, token, NOW + 1, 60)).id).toBe("dave");
    });

    it("reads every time with cacheSeconds 0", async () => {
      const kv = new FakeKv();
      const token = await mint(kv);
      for (let i = 0; i < 3; i++) await auth(kv, token, NOW, 0);
      expect(kv.reads).toBe(3);
    });

    it("serves a cached record only under the pepper it was found with: a rotated pepper reads KV again", async () => {
      const kv = new FakeKv();
      const token = await mint(kv, record({ principal: "gina" }));
      expect((await auth(kv, token, NOW, 60)).id).toBe("gina");
      const rotated = "another-pepper-for-unit-tests-0123456789";
      const error = await failureOf(authenticate(request(`Bearer ${token}`), ORIGIN, rotated, kv.binding, NOW + 1, 60));
      expect([error.kind, error.reason]).toEqual(["unauthorized", "unknown or revoked token"]);
      expect(kv.reads).toBe(2);
      // Stored under the new pepper, the token is found there (and cached under it).
      kv.values.set(await tokenKey(rotated, token), JSON.stringify(record({ principal: "gina" })));
      expect((await authenticate(request(`Bearer ${token}`), ORIGIN, rotated, kv.binding, NOW + 2, 60)).id).toBe("gina");
      expect(kv.reads).toBe(3);
    });

    it("forgets a revoked grant's cached tokens at once, and only that grant's", async () => {
      const kv = new FakeKv();
      const revoked = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
      const kept = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
      const first = await mint(kv, record({ grant: revoked, origins: [ORIGIN] }));
      const second = await mint(kv, record({ grant: revoked, origins: [ORIGIN] }));
      const other = await mint(kv, record({ grant: kept, origins: [ORIGIN] }));
      const plain = await mint(kv);
      for (const token of [first, second, other, plain]) await auth(kv, token, NOW, 60);
      expect(kv.reads).toBe(4);
      kv.values.clear();
      forgetCachedGrant(revoked);
      for (const token of [first, second]) expect((await failureOf(auth(kv, token, NOW + 1, 60))).reason).toBe("unknown or revoked token");
      expect(kv.reads).toBe(6);
      expect((await auth(kv, other, NOW + 1, 60)).grant).toBe(kept);
      expect((await auth(kv, plain, NOW + 1, 60)).via).toBe("token");
      expect(kv.reads).toBe(6);
    });

    it("keys the cache by the token: another token is read on its own", async () => {
      const kv = new FakeKv();
      const first = await mint(kv, record({ principal: "erin" }));
      const second = await mint(kv, record({ principal: "frank" }));
      expect((await auth(kv, first)).id).toBe("erin");
      expect((await auth(kv, second)).id).toBe("frank");
      expect(kv.reads).toBe(2);
    });
  });
});

describe("what a refusal says, on the wire and in the audit reason", () => {
  const wire = (error: GatewayError) => error.toJsonRpcError().message;
  const refusalOf = (check: () => unknown): GatewayError => {
    try {
      check();
    } catch (error) {
      return error as GatewayError;
    }
    throw new Error("expected a refusal");
  };

  it("asks for a bearer token, or for the Bearer scheme", () => {
    const missing = refusalOf(() => bearerToken(request(), ORIGIN));
    expect(wire(missing)).toContain("a bearer token is required");
    expect(missing.reason).toBe("no authorization header");
    const scheme = refusalOf(() => bearerToken(request("Basic x"), ORIGIN));
    expect(wire(scheme)).toContain("use the Bearer scheme");
    expect(scheme.options.headers?.["www-authenticate"]).toContain('error_description="use the Bearer scheme"');
    expect(scheme.reason).toBe("authorization header is not a bearer token");
    // The scheme must open the header.
    expect(refusalOf(() => bearerToken(request("Token bearer abc"), ORIGIN)).kind).toBe("unauthorized");
  });

  it("asks for the token in the header only", () => {
    const error = refusalOf(() => bearerToken(request(undefined, { url: `${URL_BASE}?access_token=x` }), ORIGIN));
    expect(wire(error)).toContain("send the token in the Authorization header only");
    expect(error.options.headers?.["www-authenticate"]).toContain('error_description="send the token in the Authorization header only"');
    expect(error.reason).toBe("token offered outside the Authorization header");
    // A cookie without a token, and a query without one, are nobody's business.
    expect(bearerToken(request("Bearer tok", { url: `${URL_BASE}?q=1`, cookie: "a=b" }), ORIGIN)).toBe("tok");
  });

  it("records why a token failed, and tells the caller only that it is invalid", async () => {
    const kv = new FakeKv();
    const malformed = await failureOf(auth(kv, "mcpw_short"));
    expect(malformed.reason).toBe("malformed token or bad checksum");
    expect(wire(malformed)).toContain("the token is invalid, expired or revoked");
    expect((await failureOf(auth(kv, generateToken()))).reason).toBe("unknown or revoked token");
    const notJson = generateToken();
    kv.values.set(await tokenKey(PEPPER, notJson), "{not json");
    expect((await failureOf(auth(kv, notJson))).reason).toBe("token record is not JSON");
    expect((await failureOf(auth(kv, await mint(kv, { ...record(), v: 2 })))).reason).toBe("token record fails its schema");
    expect((await failureOf(auth(kv, await mint(kv, record({ expiresAt: NOW }))))).reason).toBe("expired token");
    expect(kv.types.every((type) => type === "text")).toBe(true);
  });

  it("tells a caller whose token is for other origins only that, and records which origin", async () => {
    const kv = new FakeKv();
    const error = await failureOf(auth(kv, await mint(kv, record({ origins: ["toolbox"] }))));
    expect(wire(error)).toContain("this token may not use this endpoint");
    expect(error.reason).toBe(`token not valid for origin ${ORIGIN}`);
  });

  it("records a failing store's message in the reason", async () => {
    const kv = new FakeKv();
    const token = await mint(kv);
    kv.failing = new Error("boom");
    expect((await failureOf(auth(kv, token))).reason).toBe("KV read failed: boom");
  });
});

describe("authenticate at an endpoint in JWT mode", () => {
  const JWT_SHAPED = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
  const jwt = { issuer: "https://login.example.com", audience: URL_BASE, jwksUrl: "https://login.example.com/jwks", algorithms: ["RS256"], clockSkewSeconds: 60, gatewayTokens: false, emailDomains: [], roleMapping: [{ claim: "groups", equals: "sre", roles: ["viewer"] }] };
  const at = (kv: FakeKv, token: string, settings?: typeof jwt) => authenticate(request(`Bearer ${token}`), ORIGIN, PEPPER, kv.binding, NOW, 0, undefined, undefined, settings);

  it("refuses a JWT at an endpoint not in JWT mode, unread: no KV read, the same challenge", async () => {
    const kv = new FakeKv();
    const error = await failureOf(at(kv, JWT_SHAPED));
    expect([error.kind, error.reason]).toEqual(["unauthorized", "JWT at an endpoint not configured for JWT mode"]);
    expect(error.options.headers?.["www-authenticate"]).toContain(`resource_metadata="${METADATA}", error="invalid_token"`);
    expect(kv.reads).toBe(0);
  });

  it("refuses the gateway's own token at a JWT-only endpoint, and takes it beside JWTs when the policy says so", async () => {
    const kv = new FakeKv();
    const token = await mint(kv);
    const error = await failureOf(at(kv, token, jwt));
    expect([error.kind, error.reason]).toEqual(["unauthorized", "gateway token at an endpoint that takes the issuer's JWTs only"]);
    expect(kv.reads).toBe(0);
    expect(await at(kv, token, { ...jwt, gatewayTokens: true })).toMatchObject({ id: "alice", via: "token" });
    expect((await failureOf(at(kv, "a.b.c.d.e", jwt))).reason).toBe("not a signed JWT (compact JWS), at an endpoint in JWT mode");
  });

  it("says which mode authenticated: a CLI token, or a gateway OAuth token", async () => {
    const kv = new FakeKv();
    expect((await at(kv, await mint(kv))).via).toBe("token");
    expect((await at(kv, await mint(kv, record({ grant: "0".repeat(32), origins: [ORIGIN] })))).via).toBe("oauth");
  });

  it("turns a JWT's refusal into the same 401 challenge, the precise reason inside", async () => {
    const error = await failureOf(at(new FakeKv(), JWT_SHAPED, jwt));
    expect([error.kind, error.reason]).toEqual(["unauthorized", "JWT issuer is not this endpoint's issuer"]);
    expect(error.options.headers?.["www-authenticate"]).toBe(
      `Bearer realm="mcp-warden", resource_metadata="${METADATA}", error="invalid_token", error_description="the token is invalid, expired or revoked; ask your operator for a new one"`,
    );
  });

  describe("with the issuer's key set served", () => {
    const signing = generateKeyPairSync("ec", { namedCurve: "P-256" });
    let server: Server;
    let base = "";
    beforeAll(async () => {
      const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(signing.publicKey)), kid: "k1", alg: "ES256" }] });
      server = createServer((incoming, response) => {
        if (incoming.url === "/jwks") response.writeHead(200, { "content-type": "application/json" }).end(jwks);
        else response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    const served = () => ({ ...jwt, algorithms: ["ES256"], jwksUrl: `${base}/jwks` });
    const signed = (claims: Record<string, unknown> = {}) =>
      new SignJWT({ iss: jwt.issuer, aud: jwt.audience, sub: "alice", groups: ["sre"], exp: NOW + 300, ...claims }).setProtectedHeader({ alg: "ES256", kid: "k1" }).sign(signing.privateKey);

    it("names the verified caller by issuer and subject, with the mapped roles and the token, via jwt, and reads no KV", async () => {
      const kv = new FakeKv();
      const token = await signed();
      expect(await at(kv, token, served())).toEqual({ id: await jwtPrincipalId(jwt.issuer, "alice"), name: "alice", roles: ["viewer"], token, via: "jwt" });
      expect(kv.reads).toBe(0);
    });

    it("verifies at the request's time (seconds), so an expired token is refused and one not yet valid too", async () => {
      const expired = await failureOf(at(new FakeKv(), await signed({ exp: NOW - 120 }), served()));
      expect([expired.kind, expired.reason]).toEqual(["unauthorized", "JWT expired (exp beyond the clock skew)"]);
      const early = await failureOf(at(new FakeKv(), await signed({ nbf: NOW + 120 }), served()));
      expect([early.kind, early.reason]).toEqual(["unauthorized", "JWT not yet valid (nbf beyond the clock skew)"]);
    });

    it("lets a key set that cannot be read through as keySetUnavailable (503), not as the caller's 401", async () => {
      const error = await failureOf(at(new FakeKv(), await signed(), { ...served(), jwksUrl: `${base}/missing` }));
      expect(error.kind).toBe("keySetUnavailable");
      expect(error.status).toBe(503);
    });
  });
});

describe("a gateway OAuth access token", () => {
  const GRANT = "0123456789abcdef0123456789abcdef";

  it("is no token at all at another resource, nor without the resource it was issued for: 401, not 403", async () => {
    const kv = new FakeKv();
    for (const origins of [["toolbox"], undefined]) {
      const error = await failureOf(auth(kv, await mint(kv, record({ grant: GRANT, ...(origins ? { origins } : {}) }))));
      expect([error.kind, error.status, error.reason]).toEqual(["unauthorized", 401, "OAuth token issued for another resource"]);
      expect(error.options.headers?.["www-authenticate"]).toContain('error="invalid_token"');
    }
  });

  it("carries its grant and its record's address ranges into the principal", async () => {
    const kv = new FakeKv();
    const token = await mint(kv, record({ grant: GRANT, origins: [ORIGIN], addresses: ["10.0.0.0/8"], roles: ["tools:read"] }));
    expect(await auth(kv, token)).toEqual({ id: "alice", name: "Alice's laptop", roles: ["tools:read"], token, via: "oauth", addresses: ["10.0.0.0/8"], grant: GRANT });
    const plain = await mint(kv, record({ addresses: ["192.0.2.0/24"] }));
    expect(await auth(kv, plain)).toEqual({ id: "alice", name: "Alice's laptop", roles: ["developer"], token: plain, via: "token", addresses: ["192.0.2.0/24"] });
  });
});
