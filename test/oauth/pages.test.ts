// The OAuth pages: every interpolated value escaped, the response headers (CSP with a per-response
// style nonce, no framing, no sniffing, no caching), and the consent page's CSP naming the client's
// redirect origin as a form-action source only when that origin cannot carry a directive of its own.

import { describe, expect, it } from "vitest";
import { consentPage, cspSourceAllowed, errorPage, escapeHtml } from "../../src/oauth/pages.js";

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

describe("page content", () => {
  const hostile = `<script>alert("x")</script>&'`;
  const escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;";

  it("escapes the five characters HTML reads as markup, and nothing else", () => {
    expect(escapeHtml(hostile)).toBe(escaped);
    expect(escapeHtml("plain text: a/b = c")).toBe("plain text: a/b = c");
  });

  it("escapes every value a consent page shows, and lists each role", async () => {
    const page = await consentPage({ request: hostile, csrf: hostile, clientName: hostile, clientId: hostile, redirectOrigin: hostile, endpoint: hostile, user: hostile, roles: [hostile, "viewer"] }).text();
    expect(page).not.toContain("<script>");
    expect(page.split(escaped).length - 1).toBe(9);
    expect(page).toContain(`<li>${escaped}</li><li>viewer</li>`);
    expect(page).toContain("<title>Allow access? · mcp-warden</title>");
    expect(page).toContain('<form method="post" action="/oauth/consent">');
  });

  it("escapes an error page's reason, with its status", async () => {
    const response = errorPage("Login refused", hostile, 403);
    expect(response.status).toBe(403);
    const html = await response.text();
    expect(html).toContain(`<h1>Login refused</h1><p role="alert">${escaped}</p>`);
    expect(html).not.toContain("<script>");
  });

  it("sends no-framing, no-sniffing, no-caching headers and a fresh style nonce per response", async () => {
    const first = errorPage("Error", "x", 400);
    const second = errorPage("Error", "x", 400);
    expect(Object.fromEntries([...first.headers].filter(([name]) => name !== "content-security-policy"))).toEqual({
      "content-type": "text/html; charset=utf-8",
      "x-frame-options": "DENY",
      "referrer-policy": "same-origin",
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
    });
    const nonceOf = (response: Response) => /style-src 'nonce-([0-9a-f]{32})'/.exec(response.headers.get("content-security-policy")!)?.[1];
    const nonce = nonceOf(first)!;
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(nonceOf(second)).not.toBe(nonce);
    expect(first.headers.get("content-security-policy")).toBe(`default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
    expect(await first.text()).toContain(`<style nonce="${nonce}">body{`);
  });

  it("writes an origin only when it is one http(s) origin and nothing more", () => {
    expect(cspSourceAllowed("https://app.example/path")).toBe(false);
    expect(cspSourceAllowed("xhttps://app.example")).toBe(false);
    expect(cspSourceAllowed("https://app.example:443")).toBe(true);
  });
});
