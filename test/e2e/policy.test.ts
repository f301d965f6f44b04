// The demo policy end to end: each role's filtered listings and allowed and denied calls through the
// gateway to server-everything, argument violations, name variants, unknown arguments, and
// server-to-client requests the policy does not allow.

import { beforeAll, describe, expect, it } from "vitest";
import { gatewayAndRecorder } from "../support/e2e.js";
import { connect, jsonBody, post } from "../support/mcp-client.js";

const setup = gatewayAndRecorder();
const tokens: Record<string, string> = {};
const everything = () => `${setup.gateway.url}/mcp/everything`;

beforeAll(async () => {
  for (const role of ["viewer", "developer", "admin"]) tokens[role] = await setup.gateway.mint([role]);
});

/** A tools/call inside a fresh session, as raw HTTP, so the status and error code can be checked. */
async function call(role: string, name: string, args: unknown, url = everything()) {
  const authorization = `Bearer ${tokens[role]}`;
  const opened = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }), { authorization });
  await opened.text();
  const response = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name, arguments: args } }), {
    authorization,
    "mcp-session-id": opened.headers.get("mcp-session-id")!,
    "mcp-protocol-version": "2025-11-25",
  });
  const text = await response.text();
  const data = text.startsWith("{") ? JSON.parse(text) : JSON.parse(text.split("\n").filter((line) => line.startsWith("data: {")).at(-1)!.slice(6));
  return { status: response.status, data };
}

describe("filtered listings", () => {
  it("shows each role exactly what it may call", async () => {
    const names = async (role: string) => {
      const { client } = await connect(everything(), tokens[role]!);
      const { tools } = await client.listTools();
      await client.close();
      return tools.map((tool) => tool.name).sort();
    };
    expect(await names("viewer")).toEqual(["echo", "get-sum"]);
    // get-env: the demo lets developers read it from loopback and private networks only (a network condition); the test calls from 127.0.0.1.
    expect(await names("developer")).toEqual(["echo", "get-env", "get-structured-content", "get-sum", "trigger-long-running-operation"]);
    const admin = await names("admin");
    expect(admin).toEqual(expect.arrayContaining(["echo", "get-env", "get-sum", "get-tiny-image", "gzip-file-as-resource"]));
    expect(admin.length).toBeGreaterThan(10);
  });

  it("shows viewers no resources and no prompts, developers the demo resources", async () => {
    const { client: viewer } = await connect(everything(), tokens.viewer!);
    expect((await viewer.listResources()).resources).toEqual([]);
    expect((await viewer.listResourceTemplates()).resourceTemplates).toEqual([]);
    expect((await viewer.listPrompts()).prompts).toEqual([]);
    await viewer.close();
    const { client: developer } = await connect(everything(), tokens.developer!);
    const { resources } = await developer.listResources();
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((resource) => resource.uri.startsWith("demo://resource/"))).toBe(true);
    expect((await developer.readResource({ uri: resources[0]!.uri })).contents.length).toBe(1);
    expect((await developer.listPrompts()).prompts).toEqual([]);
    await developer.close();
  });
});

describe("calls", () => {
  it("allows viewers echo and get-sum within bounds", async () => {
    expect(await call("viewer", "echo", { message: "hello" })).toMatchObject({ status: 200, data: { result: { content: [{ type: "text", text: "Echo: hello" }] } } });
    expect((await call("viewer", "get-sum", { a: -1000000, b: 1000000 })).status).toBe(200);
  });

  it.each([
    ["a message over 200 characters", "echo", { message: "x".repeat(201) }, 'argument "message" is longer than 200 characters (rule viewer-echo)'],
    ["a missing message", "echo", {}, 'argument "message" is required (rule viewer-echo)'],
    ["an unknown argument", "echo", { message: "hi", verbose: true }, 'argument "verbose" is not allowed (rule viewer-echo)'],
    ["a number out of range", "get-sum", { a: 1000001, b: 0 }, 'argument "a" is above 1000000 (rule viewer-sum)'],
    ["a string for a number", "get-sum", { a: "1", b: 2 }, 'argument "a" must be of type number (rule viewer-sum)'],
    ["a tool it may not call", "get-env", {}, "tool not permitted"],
    ["a developer tool", "trigger-long-running-operation", { duration: 1 }, "tool not permitted"],
  ])("denies viewers %s, naming the failed rule", async (_, name, args, message) => {
    const { status, data } = await call("viewer", name, args);
    expect(status).toBe(403);
    expect(data).toEqual({ jsonrpc: "2.0", id: 5, error: { code: -32032, message: `Denied by policy: ${message}` } });
  });

  it.each([["Echo"], ["ECHO"], [" echo"], ["echo "], ["\u0435cho"], ["ec\u200bho"], ["echo\u0000"], ["ech\u00f6"]])("denies the name variant %j", async (name) => {
    const { status, data } = await call("viewer", name, { message: "hi" });
    expect(status).toBe(403);
    expect(data.error).toEqual({ code: -32032, message: "Denied by policy: tool not permitted" });
  });

  it("denies a resource read a viewer may not do, and allows it for developers", async () => {
    const read = async (role: string) => {
      const authorization = `Bearer ${tokens[role]}`;
      const opened = await post(everything(), JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }), { authorization });
      await opened.text();
      return post(everything(), JSON.stringify({ jsonrpc: "2.0", id: 8, method: "resources/read", params: { uri: "demo://resource/static/document/architecture.md" } }), {
        authorization,
        "mcp-session-id": opened.headers.get("mcp-session-id")!,
        "mcp-protocol-version": "2025-11-25",
      });
    };
    const denied = await read("viewer");
    expect(denied.status).toBe(403);
    expect((await jsonBody(denied)).error.message).toBe("Denied by policy: resource not permitted");
    const allowed = await read("developer");
    expect(allowed.status).toBe(200);
    await allowed.text();
  });

  it("lets the SDK client see a denial as an error", async () => {
    const { client } = await connect(everything(), tokens.viewer!);
    await expect(client.callTool({ name: "get-env", arguments: {} })).rejects.toThrow(/403|Denied by policy/);
    await client.close();
  });
});

describe("server-to-client requests", () => {
  it("drops a sampling request the caller's policy does not allow and tells the origin", async () => {
    const before = setup.recorder.requests.length;
    const { status, data } = await call("viewer", "sampling", {}, `${setup.gateway.url}/mcp/recorder`);
    expect(status).toBe(200);
    expect(data.result.content[0].text).toBe("after sampling");
    const refusal = setup.recorder.requests.slice(before).map((request) => request.body).find((body) => body.includes('"server-1"'));
    expect(refusal && JSON.parse(refusal)).toEqual({ jsonrpc: "2.0", id: "server-1", error: { code: -32601, message: "Denied by gateway policy" } });
  });
});
