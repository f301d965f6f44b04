// Client ID Metadata Document rules: which client ids may be fetched at all, which redirect URIs a
// document's list admits (RFC 8252 loopback ports included), and the fetch itself against a real
// node:http server on loopback (the development switch on): status, size by header and by stream,
// encoding, shape, client_id, client type, redirect URIs, and the isolate cache.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OAuthError } from "../../src/errors.js";
import { clientIdUrl, clientMetadata, isNonPublicHost, MAX_METADATA_BYTES, redirectUriAllowed, redirectUriRegistrable } from "../../src/oauth/client-metadata.js";

describe("isNonPublicHost", () => {
  it.each(["localhost", "app.localhost", "printer.local", "db.internal", "127.0.0.1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "[::1]", "[::]", "[fd00::1]", "[fe80::1]", "[::ffff:7f00:1]", "2130706433", "0x7f000001",
    // Absolute DNS names (one trailing dot), IPv6 forms embedding IPv4 (NAT64, 6to4, IPv4-compatible), site-local, benchmarking, IETF assignments.
    "localhost.", "foo.localhost.", "metadata.google.internal.", "printer.local.", "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::]", "[::7f00:1]", "[fec0::1]", "198.18.0.1", "198.19.255.255", "192.0.0.1",
    // The edges of each range.
    "100.127.255.255", "169.254.0.1", "172.16.0.0", "198.18.255.255"])("refuses %s", (host) => {
    expect(isNonPublicHost(host)).toBe(true);
  });

  it.each(["client.example.com", "8.8.8.8", "172.32.0.1", "100.128.0.1", "[2606:4700::1]", "11.0.0.1", "client.example.com.", "198.20.0.1", "192.0.1.1",
    // Just outside each range, and each range's second octet under another first one.
    "100.63.255.255", "169.253.0.1", "169.255.0.1", "172.15.255.255", "192.167.0.1", "192.1.0.1", "198.17.255.255", "223.255.255.255",
    "8.64.0.1", "8.254.0.1", "8.16.0.1", "8.168.0.1", "8.0.0.1", "8.18.0.1",
    // Names that only contain what an address literal looks like, and IPv6 addresses that only contain a private prefix.
    "10.0.0.1x", "a10.0.0.1", "1password.com", "cdn.web2", "box0x.example.com", "[2606:fc00::1]", "[2606:fe80::1]", "[2606:4700::1:2]"])("admits %s", (host) => {
    expect(isNonPublicHost(host)).toBe(false);
  });
});

describe("clientIdUrl", () => {
  const refused = (clientId: string, loopback = false) => {
    try {
      clientIdUrl(clientId, loopback);
    } catch (error) {
      expect((error as OAuthError).code).toBe("invalid_client");
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
    expect(refused("https://user@app.example.com/c.json")).toContain("credentials");
    expect(refused("https://:pw@app.example.com/c.json")).toContain("credentials");
  });

  it("says exactly what is wrong", () => {
    expect(refused("not a url")).toBe("client_id must be the https URL of a client metadata document");
    expect(refused("http://app.example.com/client.json")).toBe("client_id must be an https URL");
    expect(refused("https://app.example.com/")).toBe("client_id must be a normalized URL with a path and no credentials or fragment");
    expect(refused("https://10.0.0.5/c.json")).toBe("client_id must not name a private or loopback address");
  });

  it("admits http on a loopback host only when the development switch is on", () => {
    expect(refused("http://127.0.0.1:8080/c.json")).toContain("https");
    expect(clientIdUrl("http://127.0.0.1:8080/c.json", true).port).toBe("8080");
    expect(refused("http://10.0.0.5/c.json", true)).toContain("https");
    // The switch admits http on loopback, not loopback over https.
    expect(refused("https://127.0.0.1:8080/c.json", true)).toContain("private");
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
    expect(redirectUriAllowed(metadata, "http://[::1]:49152/callback")).toBe(false);
    expect(redirectUriAllowed(metadata, "http://127.0.0.1:49152/callback?x=1")).toBe(false);
  });

  it("admits other ports only for a registered http redirect", () => {
    const https = { ...metadata, redirectUris: ["https://127.0.0.1:3000/callback"] };
    expect(redirectUriAllowed(https, "http://127.0.0.1:49152/callback")).toBe(false);
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
    "https://user@app.example.com/cb",
    "https://:pass@app.example.com/cb",
    "com..example.app:/cb",
    "http://u:p@127.0.0.1:4444/cb",
    "https://app.example.com/cb#fragment",
    "https://a;sandbox;x.example/cb",
    "not a url",
  ])("refuses %s", (uri) => {
    expect(redirectUriRegistrable(uri)).toBe(false);
  });
});

describe("clientMetadata, fetched from a real server", () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];
  const document = (path: string, extra: Record<string, unknown> = {}) => JSON.stringify({ client_id: `${base}${path}`, client_name: "App", redirect_uris: ["https://app.example.com/cb"], ...extra });
  const routes: Record<string, (request: IncomingMessage, response: ServerResponse) => void> = {
    "/ok.json": (_, response) => response.end(document("/ok.json")),
    "/nameless.json": (_, response) => response.end(document("/nameless.json", { client_name: undefined })),
    "/bom.json": (_, response) => response.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(document("/bom.json"))])),
    "/chunks.json": (_, response) => {
      // Padding spread over several chunks, under the cap in total.
      response.write(`{"client_id":"${base}/chunks.json",`);
      for (let i = 0; i < 4; i++) response.write(`"pad${i}":"${"x".repeat(200)}",`);
      response.end(`"redirect_uris":["https://app.example.com/cb"]}`);
    },
    "/at-cap.json": (_, response) => {
      const text = document("/at-cap.json", { pad: "" });
      response.end(document("/at-cap.json", { pad: "x".repeat(MAX_METADATA_BYTES - text.length) }));
    },
    "/missing.json": (_, response) => response.writeHead(404).end("{}"),
    "/empty.json": (_, response) => response.writeHead(204).end(),
    "/moved.json": (_, response) => response.writeHead(302, { location: `${base}/ok.json` }).end(),
    "/declared-large.json": (_, response) => response.writeHead(200, { "content-length": String(MAX_METADATA_BYTES + 1) }).end(document("/declared-large.json", { pad: "x".repeat(MAX_METADATA_BYTES) })),
    "/streamed-large.json": (_, response) => {
      response.write(`{"client_id":"${base}/streamed-large.json","pad":"`);
      for (let i = 0; i < 6; i++) response.write("x".repeat(1024));
      response.end(`"}`);
    },
    "/latin1.json": (_, response) => response.end(Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d])),
    "/not-json.json": (_, response) => response.end("<html>"),
    "/no-redirects.json": (_, response) => response.end(JSON.stringify({ client_id: `${base}/no-redirects.json`, redirect_uris: [] })),
    "/impostor.json": (_, response) => response.end(document("/ok.json")),
    "/confidential.json": (_, response) => response.end(document("/confidential.json", { token_endpoint_auth_method: "client_secret_basic" })),
    "/public.json": (_, response) => response.end(document("/public.json", { token_endpoint_auth_method: "none" })),
    "/javascript.json": (_, response) => response.end(document("/javascript.json", { redirect_uris: ["https://app.example.com/cb", "javascript:alert(1)//"] })),
    "/hang-up.json": (request) => request.socket.destroy(),
  };

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.url!);
      routes[request.url!]!(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const refusal = async (path: string) => {
    try {
      await clientMetadata(`${base}${path}`, true, Date.now());
    } catch (error) {
      expect(error).toBeInstanceOf(OAuthError);
      expect((error as OAuthError).code).toBe("invalid_client");
      return (error as OAuthError).description;
    }
    throw new Error(`${path} was not refused`);
  };

  it("reads a document, names the client by its host when it gives no name, and keeps it for five minutes", async () => {
    // The cache is the isolate's: a clock no earlier run of this test used finds nothing fresh in it.
    const now = Date.now();
    const fetched = () => requests.filter((path) => path === "/ok.json").length;
    const before = fetched();
    expect(await clientMetadata(`${base}/ok.json`, true, now)).toEqual({ clientId: `${base}/ok.json`, name: "App", redirectUris: ["https://app.example.com/cb"] });
    expect((await clientMetadata(`${base}/nameless.json`, true, now)).name).toBe(new URL(base).host);
    await clientMetadata(`${base}/ok.json`, true, now + 299);
    expect(fetched() - before).toBe(1);
    await clientMetadata(`${base}/ok.json`, true, now + 300);
    expect(fetched() - before).toBe(2);
  });

  it("reads a document sent in chunks, one with a byte order mark, one of exactly the cap, and a public client's", async () => {
    expect((await clientMetadata(`${base}/chunks.json`, true, 1_000)).redirectUris).toEqual(["https://app.example.com/cb"]);
    expect((await clientMetadata(`${base}/bom.json`, true, 1_000)).name).toBe("App");
    expect((await clientMetadata(`${base}/at-cap.json`, true, 1_000)).name).toBe("App");
    expect((await clientMetadata(`${base}/public.json`, true, 1_000)).name).toBe("App");
  });

  it("refuses, saying why, what is not a public client's valid document at that address", async () => {
    const followed = requests.filter((path) => path === "/ok.json").length;
    expect(await refusal("/missing.json")).toBe("client metadata document answered 404; redirects are not followed");
    expect(await refusal("/empty.json")).toBe("client metadata document answered 204; redirects are not followed");
    expect(await refusal("/moved.json")).toBe("client metadata document answered 302; redirects are not followed");
    expect(await refusal("/declared-large.json")).toBe("client metadata document is too large");
    expect(await refusal("/streamed-large.json")).toBe("client metadata document is too large");
    expect(await refusal("/latin1.json")).toBe("client metadata document is not JSON");
    expect(await refusal("/not-json.json")).toBe("client metadata document is not JSON");
    expect(await refusal("/no-redirects.json")).toBe("client metadata document lacks a valid client_id or redirect_uris");
    expect(await refusal("/impostor.json")).toBe("client metadata document names a different client_id");
    expect(await refusal("/confidential.json")).toBe("only public clients (token_endpoint_auth_method none) are supported");
    expect(await refusal("/javascript.json")).toBe("client metadata document has a redirect URI that is not https, http on a loopback address, or a private-use scheme");
    expect(await refusal("/hang-up.json")).toBe("client metadata document could not be fetched in time");
    // The redirect was not followed.
    expect(requests.filter((path) => path === "/ok.json").length).toBe(followed);
  });
});
