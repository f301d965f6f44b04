import { describe, expect, it } from "vitest";
import { ErrorKind, GatewayError, asGatewayError, errorResponse } from "../src/errors.js";

describe("errors", () => {
  it("put the generic message and the request id on the wire, never the internal reason", async () => {
    const error = new GatewayError("originUnavailable", "fetch failed: connect ECONNREFUSED 10.0.0.7:8443");
    const response = errorResponse(error, "req-1");
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toBe("application/json");
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ jsonrpc: "2.0", id: "req-1", error: { code: -32050, message: "Origin unavailable" } });
    expect(text).not.toContain("10.0.0.7");
  });

  it("add a detail about the caller's own request, data, and headers", async () => {
    const error = new GatewayError("unauthorized", "unknown token", { detail: "token invalid", data: { retry: false }, headers: { "www-authenticate": "Bearer" } });
    const response = errorResponse(error, null);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(await response.json()).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32030, message: "Unauthorized: token invalid", data: { retry: false } } });
  });

  it("turn anything unexpected into a generic internal error", () => {
    const error = asGatewayError(new TypeError("secret internals at /srv/app.js:1"));
    expect(error.kind).toBe("internal");
    expect(error.toJsonRpcError()).toEqual({ code: -32603, message: "Internal error" });
    expect(error.reason).toContain("TypeError");
  });

  it("give every kind a JSON-RPC code and an HTTP error status", () => {
    for (const kind of Object.values(ErrorKind)) {
      expect(Number.isInteger(kind.code) && kind.code < 0).toBe(true);
      expect(kind.status).toBeGreaterThanOrEqual(400);
      expect(kind.status).toBeLessThan(600);
    }
  });
});
