// The OAuth pages' response headers: the consent page's CSP names the client's redirect origin as a
// form-action source only when that origin cannot carry a directive of its own.

import { describe, expect, it } from "vitest";
import { consentPage, cspSourceAllowed } from "../../src/oauth/pages.js";

const view = { request: "r", csrf: "c", clientName: "App", clientId: "https://app.example/c.json", endpoint: "https://gw.example/mcp/x", user: "alice@example.com", roles: ["developer"] };

describe("consent page CSP", () => {
  it("lets the form's answer redirect to a plain http(s) origin", () => {
    for (const origin of ["https://app.example", "http://127.0.0.1:4444", "https://[2606:4700::1]"]) {
      expect(consentPage({ ...view, redirectOrigin: origin }).headers.get("content-security-policy")).toContain(`form-action 'self' ${origin};`);
    }
  });

  it("never writes an origin with a ';', quote, space or other scheme into the header", () => {
    for (const origin of ["https://a;sandbox;x.example", "https://a'b.example", "https://a b", "null", "javascript:x", "https://*.example"]) {
      expect(cspSourceAllowed(origin), origin).toBe(false);
      const csp = consentPage({ ...view, redirectOrigin: origin }).headers.get("content-security-policy")!;
      expect(csp, origin).toContain("form-action 'self';");
      expect(csp, origin).not.toContain("sandbox");
    }
  });
});
