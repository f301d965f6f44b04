// The compiler on `origins.<name>.jwt`: asymmetric algorithms only, known roles, a bounded clock skew, one
// endpoint per issuer and audience, and no JWT-only origin behind a virtual server.

import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../../src/policy/build/compile.js";
import { compileProblems } from "../../support/policy.js";

const jwt = (overrides: Record<string, unknown> = {}) => ({
  issuer: "https://login.example.com",
  audience: "https://gateway.example.com/mcp/crm",
  jwksUrl: "https://login.example.com/jwks",
  roleMapping: [{ claim: "groups", equals: "sre", roles: ["viewer"] }],
  ...overrides,
});
const policy = (origins: Record<string, unknown>, extra: Record<string, unknown> = {}) => [{ file: "a.yaml", content: { origins, roles: { viewer: {} }, ...extra } }];
const origin = (settings: Record<string, unknown>) => ({ url: "https://crm.example.com/mcp", jwt: settings });

describe("origins.<name>.jwt", () => {
  it("compiles with its defaults: RS256 and ES256, 60 s of skew, JWTs only", () => {
    expect(compilePolicy(policy({ crm: origin(jwt()) })).origins.crm!.jwt).toEqual({
      issuer: "https://login.example.com",
      audience: "https://gateway.example.com/mcp/crm",
      jwksUrl: "https://login.example.com/jwks",
      algorithms: ["RS256", "ES256"],
      clockSkewSeconds: 60,
      gatewayTokens: false,
      emailDomains: [],
      roleMapping: [{ claim: "groups", equals: "sre", roles: ["viewer"] }],
    });
  });

  it("refuses HS* and none, naming each", () => {
    expect(compileProblems(policy({ crm: origin(jwt({ algorithms: ["RS256", "HS256", "none"] })) }))).toEqual([
      'a.yaml: origins.crm.jwt.algorithms.1: "HS256" is refused: only asymmetric algorithms (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519); never HS* or none',
      'a.yaml: origins.crm.jwt.algorithms.2: "none" is refused: only asymmetric algorithms (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519); never HS* or none',
    ]);
  });

  it("refuses an unknown role, a skew over five minutes, and plain http off loopback", () => {
    expect(compileProblems(policy({ crm: origin(jwt({ clockSkew: "10m", roleMapping: [{ claim: "groups", equals: "sre", roles: ["admin"] }] })) }))).toEqual([
      "a.yaml: origins.crm.jwt.clockSkew: at most 5m",
      'a.yaml: origins.crm.jwt.roleMapping.0.roles: unknown role "admin"',
    ]);
    expect(compileProblems(policy({ crm: origin(jwt({ jwksUrl: "http://login.example.com/jwks" })) }))).toEqual(["a.yaml: origins.crm.jwt.jwksUrl: https, or http on a loopback host"]);
    expect(compileProblems(policy({ crm: origin(jwt({ issuer: "http://127.0.0.1:3005", jwksUrl: "http://127.0.0.1:3005/jwks" })) }))).toEqual([]);
  });

  it("refuses two endpoints that would take each other's tokens (same issuer and audience)", () => {
    expect(compileProblems(policy({ crm: origin(jwt()), billing: origin(jwt()) }))).toEqual([
      `origins.billing.jwt: issuer and audience are the same as origin "crm"'s; give each endpoint its own audience`,
    ]);
    expect(compileProblems(policy({ crm: origin(jwt()), billing: origin(jwt({ audience: "https://gateway.example.com/mcp/billing" })) }))).toEqual([]);
  });

  it("refuses a virtual server over an origin that takes JWTs only", () => {
    const servers = (gatewayTokens: boolean) => policy({ crm: origin(jwt({ gatewayTokens })) }, { servers: { all: { origins: [{ origin: "crm" }] } } });
    expect(compileProblems(servers(false))).toEqual([
      'a.yaml: servers.all.origins.0: origin "crm" takes JWTs only (jwt.gatewayTokens: false); a virtual server passes on the gateway\'s own tokens',
    ]);
    expect(compileProblems(servers(true))).toEqual([]);
  });
});
