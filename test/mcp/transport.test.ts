// The HTTP header checks of Streamable HTTP (src/mcp/transport.ts): the browser Origin check (CSRF and
// DNS rebinding), Accept and Content-Type of a POST, Content-Encoding, the GET stream's Accept, the
// MCP-Protocol-Version header, and 2026-07-28's Mcp-Method / Mcp-Name matching the body. Real Headers.

import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors.js";
import {
  STATELESS_VERSION,
  SUPPORTED_VERSIONS,
  checkContentEncoding,
  checkGetHeaders,
  checkOrigin,
  checkPostHeaders,
  checkStatelessHeaders,
  decodeHeaderValue,
  encodeHeaderValue,
  headerVersion,
} from "../../src/mcp/transport.js";

/** The kind of the GatewayError a check throws, or "ok". */
function outcome(check: () => unknown): string {
  try {
    check();
    return "ok";
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return error.kind;
  }
}

const headers = (init: Record<string, string>) => new Headers(init);

describe("checkOrigin", () => {
  const allowed = ["https://app.example.com", "http://localhost:3000"];
  const gateway = new URL("https://gateway.example.net/mcp/everything");
  const check = (origin: string | undefined, url: URL = gateway, list: string[] = allowed) => outcome(() => checkOrigin(headers(origin === undefined ? {} : { origin }), list, url));

  it("lets a request without Origin through (not a browser page)", () => {
    expect(check(undefined)).toBe("ok");
    expect(check(undefined, gateway, [])).toBe("ok");
  });

  it("lets listed page origins through, exactly as listed", () => {
    expect(check("https://app.example.com")).toBe("ok");
    expect(check("http://localhost:3000")).toBe("ok");
    expect(check("https://app.example.com:8443")).toBe("forbiddenOrigin");
    expect(check("http://app.example.com")).toBe("forbiddenOrigin");
    expect(check("https://app.example.com.attacker.io")).toBe("forbiddenOrigin");
  });

  it("refuses a page on any other host with forbiddenOrigin (403)", () => {
    expect(check("https://attacker.example")).toBe("forbiddenOrigin");
    expect(check("null")).toBe("forbiddenOrigin");
    try {
      checkOrigin(headers({ origin: "https://attacker.example" }), allowed, gateway);
    } catch (error) {
      expect((error as GatewayError).status).toBe(403);
    }
  });

  it("lets a page on the gateway's own loopback address through", () => {
    for (const self of ["http://localhost:8787", "http://127.0.0.1:8787", "http://[::1]:8787"]) {
      expect(check(self, new URL(`${self}/mcp/everything`), [])).toBe("ok");
    }
  });

  it("refuses a loopback gateway's page from another port or host (DNS rebinding arrives with the attacker's name)", () => {
    const local = new URL("http://127.0.0.1:8787/mcp/everything");
    expect(check("http://127.0.0.1:9999", local, [])).toBe("forbiddenOrigin");
    expect(check("http://localhost:8787", local, [])).toBe("forbiddenOrigin");
    const rebound = new URL("http://attacker.example:8787/mcp/everything");
    expect(check("http://attacker.example:8787", rebound, [])).toBe("forbiddenOrigin");
  });

  it("refuses the gateway's own page origin on a non-loopback host unless it is listed", () => {
    expect(check("https://gateway.example.net", gateway, [])).toBe("forbiddenOrigin");
    expect(check("https://gateway.example.net", gateway, ["https://gateway.example.net"])).toBe("ok");
  });
});

describe("checkPostHeaders", () => {
  const post = (accept: string | undefined, contentType: string | undefined, extra: Record<string, string> = {}) => {
    const init: Record<string, string> = { ...extra };
    if (accept !== undefined) init.accept = accept;
    if (contentType !== undefined) init["content-type"] = contentType;
    return outcome(() => checkPostHeaders(headers(init)));
  };
  const both = "application/json, text/event-stream";

  it("requires Accept to list both application/json and text/event-stream (406 otherwise)", () => {
    expect(post(both, "application/json")).toBe("ok");
    expect(post("text/event-stream;q=0.9, APPLICATION/JSON", "application/json")).toBe("ok");
    expect(post("application/json", "application/json")).toBe("notAcceptable");
    expect(post("text/event-stream", "application/json")).toBe("notAcceptable");
    expect(post(undefined, "application/json")).toBe("notAcceptable");
    expect(post("", "application/json")).toBe("notAcceptable");
    expect(post("application/jsonx, text/event-streams", "application/json")).toBe("notAcceptable");
  });

  it("reads q=0 as not accepted", () => {
    expect(post("application/json;q=0, text/event-stream", "application/json")).toBe("notAcceptable");
    expect(post("application/json, text/event-stream; q=0.000", "application/json")).toBe("notAcceptable");
    expect(post("application/json;q=0.5, text/event-stream;q=0.01", "application/json")).toBe("ok");
  });

  it("accepts wildcards for either type", () => {
    expect(post("*/*", "application/json")).toBe("ok");
    expect(post("application/*, text/*", "application/json")).toBe("ok");
    expect(post("application/json, text/*", "application/json")).toBe("ok");
    expect(post("application/*", "application/json")).toBe("notAcceptable");
    expect(post("text/*", "application/json")).toBe("notAcceptable");
  });

  it("requires Content-Type application/json, with a utf-8 charset at most (415 otherwise)", () => {
    for (const ok of ["application/json", "Application/JSON", "application/json; charset=utf-8", "application/json;charset=UTF-8", 'application/json; charset="utf-8"']) {
      expect(post(both, ok), ok).toBe("ok");
    }
    for (const bad of [undefined, "", "text/plain", "application/json-patch+json", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/json; charset=utf-16", "application/json; boundary=x", "application/json; charset=utf-8; x=1"]) {
      expect(post(both, bad), String(bad)).toBe("unsupportedMediaType");
    }
  });

  it("refuses a compressed body", () => {
    expect(post(both, "application/json", { "content-encoding": "gzip" })).toBe("unsupportedMediaType");
    expect(post(both, "application/json", { "content-encoding": "identity" })).toBe("ok");
  });
});

describe("checkContentEncoding", () => {
  it("allows no encoding or identity, and refuses every other", () => {
    expect(outcome(() => checkContentEncoding(headers({})))).toBe("ok");
    expect(outcome(() => checkContentEncoding(headers({ "content-encoding": "identity" })))).toBe("ok");
    expect(outcome(() => checkContentEncoding(headers({ "content-encoding": " Identity " })))).toBe("ok");
    for (const encoding of ["gzip", "br", "deflate", "zstd", "gzip, identity", "identity, gzip", ""]) {
      expect(outcome(() => checkContentEncoding(headers({ "content-encoding": encoding }))), encoding).toBe("unsupportedMediaType");
    }
  });
});

describe("checkGetHeaders", () => {
  it("requires Accept to take text/event-stream", () => {
    expect(outcome(() => checkGetHeaders(headers({ accept: "text/event-stream" })))).toBe("ok");
    expect(outcome(() => checkGetHeaders(headers({ accept: "text/*" })))).toBe("ok");
    expect(outcome(() => checkGetHeaders(headers({ accept: "*/*" })))).toBe("ok");
    expect(outcome(() => checkGetHeaders(headers({ accept: "application/json" })))).toBe("notAcceptable");
    expect(outcome(() => checkGetHeaders(headers({})))).toBe("notAcceptable");
  });
});

describe("headerVersion", () => {
  it("is undefined without the header, and the version when it is supported", () => {
    expect(headerVersion(headers({}))).toBeUndefined();
    for (const version of SUPPORTED_VERSIONS) expect(headerVersion(headers({ "mcp-protocol-version": version }))).toBe(version);
  });

  it("refuses an unsupported version, naming the supported ones", () => {
    for (const version of ["2024-11-05", "2025-11-26", "", "2025-11-25,2025-06-18", "latest"]) {
      expect(outcome(() => headerVersion(headers({ "mcp-protocol-version": version }))), version).toBe("unsupportedVersion");
    }
    try {
      headerVersion(headers({ "mcp-protocol-version": "1999-01-01" }));
      expect.unreachable();
    } catch (error) {
      expect((error as GatewayError).toJsonRpcError().message).toBe(`Unsupported protocol version: supported versions are ${SUPPORTED_VERSIONS.join(", ")}`);
    }
  });
});

describe("headerVersion under the stateless revision", () => {
  it("names only the stateless version as supported, and quotes the requested one bounded in the error's data", () => {
    try {
      headerVersion(headers({ "mcp-protocol-version": `9${"9".repeat(200)}` }), true);
      expect.unreachable();
    } catch (error) {
      expect((error as GatewayError).toJsonRpcError()).toEqual({
        code: expect.any(Number),
        message: `Unsupported protocol version: supported versions are ${STATELESS_VERSION}`,
        data: { supported: [STATELESS_VERSION], requested: "9".repeat(64) },
      });
    }
  });
});

describe("checkStatelessHeaders", () => {
  const check = (init: Record<string, string>, target: { method: string; name?: string }) => outcome(() => checkStatelessHeaders(headers(init), target));

  it("requires Mcp-Method to equal the body's method, case-sensitive", () => {
    expect(check({ "mcp-method": "ping" }, { method: "ping" })).toBe("ok");
    expect(check({}, { method: "ping" })).toBe("headerMismatch");
    expect(check({ "mcp-method": "Ping" }, { method: "ping" })).toBe("headerMismatch");
    expect(check({ "mcp-method": "tools/list" }, { method: "ping" })).toBe("headerMismatch");
  });

  it("requires Mcp-Name to equal the body's name, case-sensitive", () => {
    const target = { method: "tools/call", name: "get_weather" };
    expect(check({ "mcp-method": "tools/call", "mcp-name": "get_weather" }, target)).toBe("ok");
    expect(check({ "mcp-method": "tools/call", "mcp-name": "Get_Weather" }, target)).toBe("headerMismatch");
    expect(check({ "mcp-method": "tools/call", "mcp-name": "delete_everything" }, target)).toBe("headerMismatch");
    expect(check({ "mcp-method": "tools/call" }, target)).toBe("headerMismatch");
  });

  it("requires Mcp-Name to be absent when the body names nothing", () => {
    expect(check({ "mcp-method": "tools/list" }, { method: "tools/list" })).toBe("ok");
    expect(check({ "mcp-method": "tools/list", "mcp-name": "" }, { method: "tools/list" })).toBe("headerMismatch");
    expect(check({ "mcp-method": "tools/list", "mcp-name": "x" }, { method: "tools/list" })).toBe("headerMismatch");
  });

  it("puts the mismatch on the wire as -32020 with a detail about the caller's own headers", () => {
    try {
      checkStatelessHeaders(headers({ "mcp-method": "tools/call", "mcp-name": "other" }), { method: "tools/call", name: "echo" });
      expect.unreachable();
    } catch (error) {
      expect((error as GatewayError).toJsonRpcError()).toEqual({ code: -32020, message: "Header does not match the message body: Mcp-Name must equal the target name" });
    }
  });
});

describe("2026-07-28 header values (Mcp-Name)", () => {
  it("decodes the base64 sentinel, strictly, and takes anything else literally", () => {
    expect(decodeHeaderValue("=?base64?SGVsbG8=?=")).toBe("Hello");
    expect(decodeHeaderValue("=?base64?w6nDqA==?=")).toBe("éè");
    expect(decodeHeaderValue("=?base64?SGVsbG8?=")).toBeUndefined();
    expect(decodeHeaderValue("=?base64?SGVs!!!bG8=?=")).toBeUndefined();
    // Trailing bits that are not zero: atob reads "QR==" as "A", but only "QQ==" is its canonical form.
    expect(decodeHeaderValue("=?base64?QQ==?=")).toBe("A");
    expect(decodeHeaderValue("=?base64?QR==?=")).toBeUndefined();
    expect(decodeHeaderValue("=?BASE64?SGVsbG8=?=")).toBe("=?BASE64?SGVsbG8=?=");
    expect(decodeHeaderValue("=?base64?SGVsbG8=")).toBe("=?base64?SGVsbG8=");
    expect(decodeHeaderValue("get_weather")).toBe("get_weather");
  });

  it("encodes what a header cannot carry literally, and round-trips", () => {
    for (const value of ["get_weather", "wetter-für-köln", "=?base64?abc?=", " padded ", "file:///a b"]) {
      expect(decodeHeaderValue(encodeHeaderValue(value))).toBe(value);
    }
    expect(encodeHeaderValue("get_weather")).toBe("get_weather");
    expect(encodeHeaderValue("köln")).toMatch(/^=\?base64\?/);
  });

  it("compares the decoded Mcp-Name with the body", () => {
    const headers = (name: string) => new Headers({ "mcp-method": "tools/call", "mcp-name": name });
    expect(() => checkStatelessHeaders(headers("=?base64?a8O2bG4=?="), { method: "tools/call", name: "köln" })).not.toThrow();
    expect(() => checkStatelessHeaders(headers("=?base64?a8O2bG4?="), { method: "tools/call", name: "köln" })).toThrow(GatewayError);
    expect(() => checkStatelessHeaders(headers("koln"), { method: "tools/call", name: "köln" })).toThrow(GatewayError);
  });
});

describe("what each refusal tells the caller", () => {
  /** The wire message of the GatewayError a check throws. */
  function wire(check: () => unknown): string {
    try {
      check();
    } catch (error) {
      return (error as GatewayError).toJsonRpcError().message;
    }
    return "ok";
  }
  const post = { accept: "application/json, text/event-stream", "content-type": "application/json" };

  it("names the header and what it must say", () => {
    expect(wire(() => checkPostHeaders(headers({ ...post, accept: "application/json" })))).toContain("Accept must list application/json and text/event-stream");
    expect(wire(() => checkPostHeaders(headers({ ...post, "content-type": "text/plain" })))).toContain("Content-Type must be application/json");
    expect(wire(() => checkContentEncoding(headers({ "content-encoding": "gzip" })))).toContain("Content-Encoding is not supported");
    expect(wire(() => checkGetHeaders(headers({ accept: "application/json" })))).toContain("Accept must list text/event-stream");
    expect(wire(() => checkStatelessHeaders(headers({ "mcp-method": "tools/list" }), { method: "tools/call", name: "x" }))).toContain("Mcp-Method must equal the method");
    expect(wire(() => checkStatelessHeaders(headers({ "mcp-method": "tools/list", "mcp-name": "x" }), { method: "tools/list" }))).toContain("Mcp-Name must be absent for this method");
    expect(wire(() => checkStatelessHeaders(headers({ "mcp-method": "tools/call", "mcp-name": "y" }), { method: "tools/call", name: "x" }))).toContain("Mcp-Name must equal the target name");
  });

  it("reads Accept entries without empty ones, and q=0 only as a whole parameter", () => {
    expect(outcome(() => checkPostHeaders(headers({ ...post, accept: ", application/json,, text/event-stream," })))).toBe("ok");
    expect(outcome(() => checkPostHeaders(headers({ ...post, accept: "application/json, text/event-stream;xq=0" })))).toBe("ok");
    expect(outcome(() => checkPostHeaders(headers({ ...post, accept: "application/json, text/event-stream;q=0.000" })))).toBe("notAcceptable");
    expect(outcome(() => checkPostHeaders(headers({ ...post, accept: "application/json, text/event-stream;q=0.5" })))).toBe("ok");
    expect(outcome(() => checkGetHeaders(headers({ accept: "" })))).toBe("notAcceptable");
    expect(outcome(() => checkPostHeaders(headers({ ...post, "content-type": "" })))).toBe("unsupportedMediaType");
  });

  it("takes an identity Content-Encoding with spaces around it", () => {
    expect(outcome(() => checkContentEncoding(headers({ "content-encoding": " Identity " })))).toBe("ok");
  });
});
