// Client ID Metadata Document rules that need no network: which client ids may be fetched at all, and
// which redirect URIs a document's list admits (RFC 8252 loopback ports included).

import { describe, expect, it } from "vitest";
import { OAuthError } from "../../src/errors.js";
import { clientIdUrl, isNonPublicHost, redirectUriAllowed, redirectUriRegistrable } from "../../src/oauth/client-metadata.js";

describe("isNonPublicHost", () => {
  it.each(["localhost", "app.localhost", "printer.local", "db.internal", "127.0.0.1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "[::1]", "[::]", "[fd00::1]", "[fe80::1]", "[::ffff:7f00:1]", "2130706433", "0x7f000001",
    // Absolute DNS names (one trailing dot), IPv6 forms embedding IPv4 (NAT64, 6to4, IPv4-compatible), site-local, benchmarking, IETF assignments.
    "localhost.", "foo.localhost.", "metadata.google.internal.", "printer.local.", "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::]", "[::7f00:1]", "[fec0::1]", "198.18.0.1", "198.19.255.255", "192.0.0.1"])("refuses %s", (host) => {
    expect(isNonPublicHost(host)).toBe(true);
  });

  it.each(["client.example.com", "8.8.8.8", "172.32.0.1", "100.128.0.1", "[2606:4700::1]", "11.0.0.1", "client.example.com.", "198.20.0.1", "192.0.1.1"])("admits %s", (host) => {
    expect(isNonPublicHost(host)).toBe(false);
  });
});

describe("clientIdUrl", () => {
  const refused = (clientId: string, loopback = false) => {
    try {
      clientIdUrl(clientId, loopback);
    } catch (error) {
      return (error as OAuthError).description;
    }
    return undefined;
  };

  it("takes a normalized https URL with a path", () => {
    expect(clientIdUrl("https://app.example.com/oauth/client.json", false).host).toBe("app.example.com");
  });

  it("refuses other schemes, root paths, credentials, fragments, unnormalized URLs and private hosts", () => {
    expect(refused("http://app.example.com/client.json")).toContain("https");
    expect(refused("https://app.example.com/")).toContain("path");
    expect(refused("https://user:pw@app.example.com/c.json")).toContain("credentials");
    expect(refused("https://app.example.com/c.json#x")).toContain("fragment");
    expect(refused("https://APP.example.com/c.json")).toContain("normalized");
    expect(refused("https://10.0.0.5/c.json")).toContain("private");
    expect(refused("not a url")).toContain("https URL");
    expect(refused("https://localhost./c.json")).toContain("private");
    expect(refused("https://[64:ff9b::a9fe:a9fe]/c.json")).toContain("private");
    expect(refused("https://[::7f00:1]/c.json")).toContain("private");
  });

  it("admits http on a loopback host only when the development switch is on", () => {
    expect(refused("http://127.0.0.1:8080/c.json")).toContain("https");
    expect(clientIdUrl("http://127.0.0.1:8080/c.json", true).port).toBe("8080");
    expect(refused("http://10.0.0.5/c.json", true)).toContain("https");
  });
});

describe("redirectUriAllowed", () => {
  const metadata = { clientId: "https://app.example.com/c.json", name: "App", redirectUris: ["https://app.example.com/cb", "http://127.0.0.1:3000/callback", "http://localhost:3000/callback"] };

  it("admits exactly the registered URIs", () => {
    expect(redirectUriAllowed(metadata, "https://app.example.com/cb")).toBe(true);
    expect(redirectUriAllowed(metadata, "https://app.example.com/cb?x=1")).toBe(false);
    expect(redirectUriAllowed(metadata, "https://app.example.com/cb/")).toBe(false);
    expect(redirectUriAllowed(metadata, "https://evil.example.com/cb")).toBe(false);
    expect(redirectUriAllowed(metadata, "not a url")).toBe(false);
  });

  it("admits any port on a registered loopback IP redirect, and nothing else that differs", () => {
    expect(redirectUriAllowed(metadata, "http://127.0.0.1:49152/callback")).toBe(true);
    expect(redirectUriAllowed(metadata, "http://127.0.0.1:49152/other")).toBe(false);
    expect(redirectUriAllowed(metadata, "https://127.0.0.1:49152/callback")).toBe(false);
    expect(redirectUriAllowed(metadata, "http://localhost:49152/callback")).toBe(false);
    expect(redirectUriAllowed(metadata, "http://localhost:3000/callback")).toBe(true);
  });
});

describe("redirectUriRegistrable", () => {
  it.each(["https://app.example.com/cb", "https://[2606:4700::1]/cb", "http://127.0.0.1:3000/callback", "http://[::1]/cb", "com.example.app:/oauth2redirect", "com.example.app://callback"])("admits %s", (uri) => {
    expect(redirectUriRegistrable(uri)).toBe(true);
  });

  it.each([
    "javascript:alert(document.domain)//",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "http://app.example.com/cb",
    "http://localhost:3000/callback",
    "https://user:pass@app.example.com/cb",
    "http://u:p@127.0.0.1:4444/cb",
    "https://app.example.com/cb#fragment",
    "https://a;sandbox;x.example/cb",
    "not a url",
  ])("refuses %s", (uri) => {
    expect(redirectUriRegistrable(uri)).toBe(false);
  });
});
