// The compiled OAuth grant lifetime: `oauth.grantTtl`, and never longer than `gateway.maxTokenLifetime`.

import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../../src/policy/build/compile.js";

const oauth = (extra: Record<string, unknown> = {}) => ({
  upstream: { issuer: "https://idp.example", clientId: "gw", clientSecret: { from: "OIDC_CLIENT_SECRET" } },
  roleMapping: [{ claim: "groups", equals: "sre", roles: ["developer"] }],
  ...extra,
});
const compile = (gateway: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  compilePolicy([{ file: "p.yaml", content: { gateway, oauth: oauth(extra), roles: { developer: {} } } }]).oauth!;

describe("oauth.grantTtl", () => {
  it("defaults to 30 days and takes the policy's value", () => {
    expect(compile({}).grantSeconds).toBe(30 * 86_400);
    expect(compile({}, { grantTtl: "24h" }).grantSeconds).toBe(86_400);
  });

  it("is capped by gateway.maxTokenLifetime", () => {
    expect(compile({ maxTokenLifetime: "7d" }).grantSeconds).toBe(7 * 86_400);
    expect(compile({ maxTokenLifetime: "90d" }, { grantTtl: "48h" }).grantSeconds).toBe(2 * 86_400);
  });

  it("must outlast an access token", () => {
    expect(() => compile({}, { accessTokenTtl: "10m", grantTtl: "5m" })).toThrow(/grantTtl/);
  });
});
