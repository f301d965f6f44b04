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

describe("JSON-RPC classification, member by member", () => {
  const refusal = (value: unknown) => {
    try {
      classify(value as never);
    } catch (error) {
      const gatewayError = error as GatewayError;
      return { kind: gatewayError.kind, wire: gatewayError.toJsonRpcError().message };
    }
    return "accepted";
  };

  it("returns the message it classified, as it was", () => {
    const request = { jsonrpc: "2.0", id: "r1", method: "tools/call", params: { name: "x" } } as const;
    expect(classify(request)).toEqual({ kind: "request", message: request });
    const notification = { jsonrpc: "2.0", method: "notifications/progress", params: { progress: 1 } } as const;
    expect(classify(notification)).toEqual({ kind: "notification", message: notification });
    const response = { jsonrpc: "2.0", id: "r1", result: { ok: true } } as const;
    expect(classify(response)).toEqual({ kind: "response", message: response });
    const withData = { jsonrpc: "2.0", id: 3, error: { code: -32000, message: "x", data: { why: 1 } } } as const;
    expect(classify(withData)).toEqual({ kind: "response", message: withData });
  });

  it("gives an error response without an id the id null, without changing the value it was given", () => {
    const value = { jsonrpc: "2.0", error: { code: -1, message: "no id" } };
    expect(classify(value)).toEqual({ kind: "response", message: { jsonrpc: "2.0", id: null, error: { code: -1, message: "no id" } } });
    expect("id" in value).toBe(false);
  });

  it("tells the caller what is wrong where that concerns its own message", () => {
    expect(refusal([])).toEqual({ kind: "invalidRequest", wire: expect.stringContaining("batches are not supported") });
    expect(refusal({ jsonrpc: "2.0", id: 1, method: "ping", x: 1 })).toEqual({ kind: "invalidRequest", wire: expect.stringContaining("the only members are jsonrpc, id, method, params, result and error") });
    expect(refusal({ jsonrpc: "1.0", id: 1, method: "ping" })).toEqual({ kind: "invalidRequest", wire: expect.stringContaining('jsonrpc must be "2.0"') });
    expect(refusal({ jsonrpc: "2.0", id: 1, method: "ping", params: null })).toEqual({ kind: "invalidRequest", wire: expect.stringContaining("params must be an object") });
    expect(refusal({ jsonrpc: "2.0", id: {}, method: "ping" })).toEqual({ kind: "invalidRequest", wire: expect.stringContaining("id must be a string or an integer") });
  });

  it.each([
    [{ jsonrpc: "2.0", id: 1, method: 5 }],
    [{ jsonrpc: "2.0", method: "x", error: { code: 1, message: "m" } }],
    [{ jsonrpc: "2.0", id: 1, params: {} }],
    [{ jsonrpc: "2.0", id: 1, result: {}, params: {} }],
    [{ jsonrpc: "2.0", id: null, result: {} }],
    [{ jsonrpc: "2.0", result: {} }],
    [{ jsonrpc: "2.0", id: 1, result: null }],
    [{ jsonrpc: "2.0", id: 1, result: "ok" }],
    [{ jsonrpc: "2.0", id: 1.5, error: { code: 1, message: "m" } }],
    [{ jsonrpc: "2.0", id: true, error: { code: 1, message: "m" } }],
    [{ jsonrpc: "2.0", id: 1, error: null }],
    [{ jsonrpc: "2.0", id: 1, error: [1, "m"] }],
    [{ jsonrpc: "2.0", id: 1, error: { code: 1 } }],
    [{ jsonrpc: "2.0", id: 1, error: { code: "1", message: "m" } }],
    [{ jsonrpc: "2.0", id: 1, error: { message: "m" } }],
    [{ jsonrpc: "2.0", id: 2 ** 53, method: "ping" }],
    [{ jsonrpc: 2, id: 1, method: "ping" }],
    [null],
    [5],
  ])("refuses %j", (value) => {
    expect(kindOf(value)).toBe("invalidRequest");
  });

  it("accepts the edge cases the spec allows", () => {
    expect(kindOf({ jsonrpc: "2.0", id: 0, method: "ping" })).toBe("request");
    expect(kindOf({ jsonrpc: "2.0", id: "", method: "ping" })).toBe("request");
    expect(kindOf({ jsonrpc: "2.0", id: -1, result: {} })).toBe("response");
    expect(kindOf({ jsonrpc: "2.0", id: "e", error: { code: 0, message: "" } })).toBe("response");
    expect(kindOf({ jsonrpc: "2.0", method: "notifications/initialized", params: {} })).toBe("notification");
  });

  it("salvages string ids and nothing from non-objects", () => {
    expect(salvageId({ id: "abc" })).toBe("abc");
    expect(salvageId(null)).toBeNull();
    expect(salvageId("id")).toBeNull();
    expect(salvageId({ id: null })).toBeNull();
  });
});

describe("request targets, param by param", () => {
  const request = (method: string, params?: Record<string, unknown>) => ({ jsonrpc: "2.0", id: 1, method, ...(params ? { params } : {}) }) as JsonRpcRequest;
  const target = (method: string, params?: Record<string, unknown>) => targetOf(request(method, params), METHODS[method]!);
  const refusal = (method: string, params?: Record<string, unknown>) => {
    try {
      target(method, params);
    } catch (error) {
      const gatewayError = error as GatewayError;
      return { kind: gatewayError.kind, wire: gatewayError.toJsonRpcError().message };
    }
    return "accepted";
  };

  it("needs the named field as a non-empty string, and says so", () => {
    expect(refusal("tools/call")).toEqual({ kind: "invalidParams", wire: expect.stringContaining('tools/call needs a string "name"') });
    expect(refusal("tools/call", { name: 5 })).toEqual({ kind: "invalidParams", wire: expect.stringContaining('tools/call needs a string "name"') });
    expect(refusal("resources/read", { name: "x" })).toEqual({ kind: "invalidParams", wire: expect.stringContaining('resources/read needs a string "uri"') });
    expect(target("prompts/get", { name: "greet", arguments: { who: "x" } })).toEqual({ method: "prompts/get", name: "greet", kind: "prompt" });
  });

  it("checks arguments only where the target takes them", () => {
    expect(refusal("tools/call", { name: "x", arguments: "a" })).toEqual({ kind: "invalidParams", wire: expect.stringContaining('"arguments" must be an object') });
    expect(refusal("prompts/get", { name: "x", arguments: null })).toEqual(expect.objectContaining({ kind: "invalidParams" }));
    expect(target("tools/call", { name: "x" })).toEqual({ method: "tools/call", name: "x", kind: "tool" });
    expect(target("resources/read", { uri: "docs://a/b", arguments: [] })).toEqual({ method: "resources/read", name: "docs://a/b", kind: "resource" });
  });

  it("accepts a resource URI only in canonical form", () => {
    expect(target("resources/subscribe", { uri: "file:///srv/a.txt" })).toEqual({ method: "resources/subscribe", name: "file:///srv/a.txt", kind: "resource" });
    for (const uri of ["file:///srv/../etc/passwd", "file:///srv/%2e%2e/etc", "file:///srv/%2E%2E/etc", "file:///a%2fb", "file:///a%2Fb", "file:///a%5cb", "file:///a%00", "FILE:///x", "file:////etc/passwd", "file:///a//b", "https://example.com", "not a uri", "file://localhost/etc"]) {
      expect({ uri, refusal: refusal("resources/read", { uri }) }).toEqual({ uri, refusal: { kind: "invalidParams", wire: expect.stringContaining('"uri" must be an absolute URI in canonical form') } });
    }
    // A tool's name is a name, not a URI.
    expect(target("tools/call", { name: "a/../b" })).toEqual({ method: "tools/call", name: "a/../b", kind: "tool" });
  });

  it("names a completion's prompt or resource template, and checks its ref and argument", () => {
    const argument = { name: "a", value: "v" };
    expect(target("completion/complete", { ref: { type: "ref/prompt", name: "greet" }, argument })).toEqual({ method: "completion/complete", name: "greet", kind: "prompt" });
    expect(target("completion/complete", { ref: { type: "ref/resource", uri: "docs://{x}" }, argument })).toEqual({ method: "completion/complete", name: "docs://{x}", kind: "resource" });
    const refDetail = '"ref" must be a ref/prompt or ref/resource';
    for (const ref of [undefined, "ref/prompt", { type: "ref/tool", name: "x" }, { name: "x" }]) {
      expect(refusal("completion/complete", { ...(ref === undefined ? {} : { ref }), argument })).toEqual({ kind: "invalidParams", wire: expect.stringContaining(refDetail) });
    }
    const argumentDetail = '"argument" needs a string "name" and "value"';
    for (const bad of [undefined, "a", { name: "a" }, { value: "v" }, { name: 1, value: "v" }, { name: "a", value: 1 }]) {
      expect(refusal("completion/complete", { ref: { type: "ref/prompt", name: "greet" }, ...(bad === undefined ? {} : { argument: bad }) })).toEqual({ kind: "invalidParams", wire: expect.stringContaining(argumentDetail) });
    }
    expect(refusal("completion/complete", { ref: { type: "ref/prompt", uri: "x" }, argument })).toEqual({ kind: "invalidParams", wire: expect.stringContaining('needs a string "name"') });
    expect(refusal("completion/complete", { ref: { type: "ref/resource", name: "x" }, argument })).toEqual({ kind: "invalidParams", wire: expect.stringContaining('needs a string "uri"') });
    expect(refusal("completion/complete")).toEqual(expect.objectContaining({ kind: "invalidParams" }));
  });

  it("names the resources a subscriptions/listen asks about, each canonical, at most 100", () => {
    expect(target("subscriptions/listen", { notifications: {} })).toEqual({ method: "subscriptions/listen", resources: [] });
    expect(target("subscriptions/listen", { notifications: { resourceSubscriptions: ["file:///a", "docs://b/c"] } })).toEqual({ method: "subscriptions/listen", resources: ["file:///a", "docs://b/c"] });
    const hundred = Array.from({ length: 100 }, (_, i) => `file:///r${i}`);
    expect(target("subscriptions/listen", { notifications: { resourceSubscriptions: hundred } })).toEqual({ method: "subscriptions/listen", resources: hundred });
    expect(refusal("subscriptions/listen")).toEqual({ kind: "invalidParams", wire: expect.stringContaining('"notifications" must be an object') });
    for (const notifications of [undefined, "all", [], null]) {
      expect(refusal("subscriptions/listen", notifications === undefined ? {} : { notifications })).toEqual({ kind: "invalidParams", wire: expect.stringContaining('"notifications" must be an object') });
    }
    for (const bad of ["file:///a", [1], [""], [null], [...hundred, "file:///one-more"], {}]) {
      expect(refusal("subscriptions/listen", { notifications: { resourceSubscriptions: bad } })).toEqual({ kind: "invalidParams", wire: expect.stringContaining('"resourceSubscriptions" must be at most 100 URIs') });
    }
    expect(refusal("subscriptions/listen", { notifications: { resourceSubscriptions: ["file:///a/../etc/passwd"] } })).toEqual({ kind: "invalidParams", wire: expect.stringContaining("canonical form") });
  });

  it("needs initialize's protocol version, and a listing's cursor to be a string", () => {
    expect(target("initialize", { protocolVersion: "2025-11-25" })).toEqual({ method: "initialize" });
    expect(refusal("initialize", {})).toEqual({ kind: "invalidParams", wire: expect.stringContaining('initialize needs a string "protocolVersion"') });
    expect(target("tools/list", { cursor: "c" })).toEqual({ method: "tools/list" });
    expect(target("tools/list", {})).toEqual({ method: "tools/list" });
    expect(refusal("resources/list", { cursor: null })).toEqual({ kind: "invalidParams", wire: expect.stringContaining('"cursor" must be a string') });
    expect(target("ping")).toEqual({ method: "ping" });
  });
});
