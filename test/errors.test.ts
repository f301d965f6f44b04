import { describe, expect, it, vi } from "vitest";
import { ErrorKind, GatewayError, asGatewayError, errorMessage, errorResponse, handleError } from "../src/errors.js";

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

  it("pass a GatewayError through as it is, and name what was thrown otherwise", () => {
    const error = new GatewayError("forbidden", "x");
    expect(asGatewayError(error)).toBe(error);
    expect(asGatewayError(new RangeError("bad")).reason).toBe("RangeError: bad");
    expect(asGatewayError("a string")).toMatchObject({ kind: "internal", reason: "non-error thrown" });
    expect(error.auditDecision).toBe(ErrorKind.forbidden.audit);
    expect(error.status).toBe(ErrorKind.forbidden.status);
    expect(error.message).toBe("x");
  });

  it("serialize one error message, with data only when there is some", () => {
    expect(JSON.parse(errorMessage(new GatewayError("internal", "r"), 7))).toEqual({ jsonrpc: "2.0", id: 7, error: { code: -32603, message: "Internal error" } });
    expect(new GatewayError("internal", "r", { detail: "" }).toJsonRpcError()).toEqual({ code: -32603, message: "Internal error" });
  });

  it("answer whatever a stage threw with the message's id, logging only unexpected errors", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const refused = handleError(new GatewayError("forbidden", "token not valid here", { headers: { "x-a": "1" } }), { var: { rpcId: "r-9" } });
      expect(refused.status).toBe(403);
      expect(refused.headers.get("x-a")).toBe("1");
      expect(await refused.json()).toMatchObject({ id: "r-9", error: { code: ErrorKind.forbidden.code } });
      expect(log).not.toHaveBeenCalled();
      const crashed = handleError(new TypeError("boom"), { var: {} });
      expect(crashed.status).toBe(500);
      expect(await crashed.json()).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32603, message: "Internal error" } });
      expect(log).toHaveBeenCalledTimes(1);
      expect(JSON.parse(String(log.mock.calls[0]![0]))).toEqual({ error: "TypeError: boom" });
    } finally {
      log.mockRestore();
    }
  });
});
