import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors.js";
import { classify, salvageId, targetOf, type JsonRpcRequest } from "../../src/mcp/jsonrpc.js";
import { METHODS, methodRow } from "../../src/mcp/methods.js";

const kindOf = (value: unknown) => {
  try {
    return classify(value as never).kind;
  } catch (error) {
    return (error as GatewayError).kind;
  }
};

describe("JSON-RPC classification", () => {
  it.each([
    [{ jsonrpc: "2.0", id: 1, method: "ping" }, "request"],
    [{ jsonrpc: "2.0", id: "a", method: "tools/list", params: {} }, "request"],
    [{ jsonrpc: "2.0", method: "notifications/initialized" }, "notification"],
    [{ jsonrpc: "2.0", id: 1, result: {} }, "response"],
    [{ jsonrpc: "2.0", id: null, error: { code: -1, message: "x" } }, "response"],
    [{ jsonrpc: "2.0", error: { code: -1, message: "no id" } }, "response"],
    [[{ jsonrpc: "2.0", id: 1, method: "ping" }], "invalidRequest"],
    ["text", "invalidRequest"],
    [{ id: 1, method: "ping" }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: 1.5, method: "ping" }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: null, method: "ping" }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: true, method: "ping" }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: 1, method: "" }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: 1, method: "ping", result: {} }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: 1, method: "ping", params: [1] }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: 1, method: "ping", extra: 1 }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: 1, result: {}, error: { code: 1, message: "" } }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: 1, result: [] }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: 1, error: { code: 1.5, message: "x" } }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: 1, error: { code: 1, message: "x", stack: "" } }, "invalidRequest"],
    [{ jsonrpc: "2.0", id: 1 }, "invalidRequest"],
  ])("%j is %s", (value, expected) => {
    expect(kindOf(value)).toBe(expected);
  });

  it("salvages a usable id from a message that is otherwise invalid", () => {
    expect(salvageId({ jsonrpc: "1.0", id: 7, method: "x" })).toBe(7);
    expect(salvageId({ id: 1.5 })).toBeNull();
    expect(salvageId([{ id: 1 }])).toBeNull();
  });

  it("knows the methods of each protocol era", () => {
    expect(methodRow("request", "initialize", false)).toBeDefined();
    expect(methodRow("request", "initialize", true)).toBeUndefined();
    expect(methodRow("request", "server/discover", true)).toBeDefined();
    expect(methodRow("request", "tools/call ", false)).toBeUndefined();
    expect(methodRow("notification", "notifications/initialized", false)).toBeDefined();
    expect(methodRow("notification", "tools/list", false)).toBeUndefined();
  });

  it("names the target of a request and checks its params", () => {
    const request = (method: string, params?: Record<string, unknown>) => ({ jsonrpc: "2.0", id: 1, method, params }) as JsonRpcRequest;
    expect(targetOf(request("tools/call", { name: "echo", arguments: {} }), METHODS["tools/call"]!)).toEqual({ method: "tools/call", name: "echo", kind: "tool" });
    expect(targetOf(request("resources/read", { uri: "file:///x" }), METHODS["resources/read"]!)).toEqual({ method: "resources/read", name: "file:///x", kind: "resource" });
    expect(targetOf(request("tools/list"), METHODS["tools/list"]!)).toEqual({ method: "tools/list" });
    expect(() => targetOf(request("tools/call", { name: "" }), METHODS["tools/call"]!)).toThrow(GatewayError);
    expect(() => targetOf(request("tools/call", { name: "echo", arguments: [] }), METHODS["tools/call"]!)).toThrow(GatewayError);
    expect(() => targetOf(request("prompts/get", {}), METHODS["prompts/get"]!)).toThrow(GatewayError);
    expect(() => targetOf(request("tools/list", { cursor: 5 }), METHODS["tools/list"]!)).toThrow(GatewayError);
  });
});
