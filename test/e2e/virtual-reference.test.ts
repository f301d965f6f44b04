// Virtual servers end to end over the three real origins: the real SDK client against /mcp/trio
// (test/fixtures/policies), one endpoint over server-everything, the toolbox demo origin (`tb`, `add`
// renamed to `sum`) and the conformance suite's reference server (`ref`, test/conformance/everything-server.ts,
// the copy of ../shared/conformance the conformance run starts), each governed by its own rules.

import { spawn, type ChildProcess } from "node:child_process";
import { CreateMessageRequestSchema, ElicitRequestSchema, LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startToolbox, type Toolbox } from "../../demo/toolbox.js";
import { gatewayAndRecorder } from "../support/e2e.js";
import { connect, jsonBody, post } from "../support/mcp-client.js";
import { PORTS } from "../support/ports.js";

const setup = gatewayAndRecorder();
let toolbox: Toolbox;
let reference: ChildProcess;
const tokens: Record<string, string> = {};
const trio = () => `${setup.gateway.url}/mcp/trio`;

/** The reference server, as `npm run conformance` starts it; resolves once it listens. */
function startReference(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["node_modules/tsx/dist/cli.mjs", "--tsconfig", "test/conformance/tsconfig.json", "test/conformance/everything-server.ts"], {
    env: { ...process.env, PORT: String(PORTS.reference) },
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("running") && resolve(child));
    child.on("exit", (code) => reject(new Error(`reference server exited with ${code}`)));
  });
}

beforeAll(async () => {
  [toolbox, reference] = await Promise.all([startToolbox(PORTS.toolbox), startReference()]);
  for (const role of ["viewer", "developer", "admin"]) tokens[role] = await setup.gateway.mint([role]);
}, 60_000);
afterAll(async () => {
  reference?.kill();
  await toolbox?.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const auditEvents = (): Any[] => setup.gateway.logs.filter((line) => line.startsWith('{"audit"')).map((line) => JSON.parse(line).audit);

/** A raw session on /mcp/trio, for what the SDK client has no call for. */
async function rawSession(role: string) {
  const authorization = `Bearer ${tokens[role]}`;
  const opened = await post(trio(), JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }), { authorization });
  expect(opened.status).toBe(200);
  const headers = { authorization, "mcp-session-id": opened.headers.get("mcp-session-id")!, "mcp-protocol-version": "2025-11-25" };
  let id = 1;
  return {
    async rpc(method: string, params: Record<string, unknown> = {}): Promise<{ status: number; data: Any }> {
      const response = await post(trio(), JSON.stringify({ jsonrpc: "2.0", id: id++, method, params }), headers);
      return { status: response.status, data: await jsonBody(response) };
    },
  };
}

describe("a virtual server over server-everything, the toolbox and the conformance reference server", () => {
  it("merges the three origins' listings, each filtered per role by its origin's rules", async () => {
    const listed = async (role: string) => {
      const { client } = await connect(trio(), tokens[role]!);
      const [tools, prompts, resources, templates] = await Promise.all([client.listTools(), client.listPrompts(), client.listResources(), client.listResourceTemplates()]);
      const info = client.getServerVersion();
      await client.close();
      return { tools: tools.tools.map((tool) => tool.name), prompts: prompts.prompts.map((prompt) => prompt.name), resources: resources.resources.map((resource) => resource.uri), templates: templates.resourceTemplates.map((template) => template.uriTemplate), info };
    };
    const viewer = await listed("viewer");
    expect(viewer.info?.name).toBe("mcp-warden:trio");
    expect(viewer.tools).toEqual(expect.arrayContaining(["everything__echo", "sum", "tb__weather", "ref__test_simple_text", "ref__test_tool_with_logging"]));
    expect(viewer.tools).not.toContain("ref__test_sampling");
    expect(viewer.tools).not.toContain("tb__note");
    expect(viewer.prompts).toEqual(expect.arrayContaining(["ref__test_simple_prompt", "ref__test_prompt_with_arguments"]));
    expect(viewer.resources).toContain("mcpw:ref:test://static-text");
    expect(viewer.templates).toContain("mcpw:ref:test://template/{id}/data");
    const developer = await listed("developer");
    expect(developer.tools).toEqual(expect.arrayContaining(["ref__test_sampling", "ref__test_elicitation", "tb__note", "everything__get-structured-content"]));
  });

  it("routes every kind of named message to the origin that owns the name, under its own name", async () => {
    const { client } = await connect(trio(), tokens.viewer!);
    const text = (result: Any) => (result.content as Any[]).map((item) => item.text ?? "").join(" ");
    expect(text(await client.callTool({ name: "ref__test_simple_text", arguments: {} }))).toMatch(/simple text/i);
    expect(text(await client.callTool({ name: "everything__echo", arguments: { message: "over trio" } }))).toContain("over trio");
    expect(text(await client.callTool({ name: "sum", arguments: { a: 2, b: 3 } }))).toContain("5");
    // A resource embedded in a result is named as the server lists it, so it can be read back here.
    const embedded = (await client.callTool({ name: "ref__test_embedded_resource", arguments: {} })).content as Any[];
    const uri = embedded.find((item) => item.type === "resource").resource.uri as string;
    expect(uri).toMatch(/^mcpw:ref:test:\/\//);
    const read = await client.readResource({ uri: "mcpw:ref:test://static-text" });
    expect(read.contents[0]!.uri).toBe("mcpw:ref:test://static-text");
    const prompt = await client.getPrompt({ name: "ref__test_prompt_with_arguments", arguments: { arg1: "one", arg2: "two" } });
    expect(JSON.stringify(prompt.messages)).toContain("one");
    const completion = await client.complete({ ref: { type: "ref/resource", uri: "mcpw:ref:test://template/{id}/data" }, argument: { name: "id", value: "1" } });
    expect(Array.isArray(completion.completion.values)).toBe(true);
    expect(await client.subscribeResource({ uri: "mcpw:ref:test://watched-resource" })).toEqual({});
    expect(await client.ping()).toEqual({});
    await client.setLoggingLevel("info");
    // A name no origin owns, and an origin's own name without its namespace, reach nothing.
    for (const name of ["test_simple_text", "nobody__echo"]) {
      const error = await client.callTool({ name, arguments: {} }).then(() => undefined, (thrown: unknown) => thrown);
      // The SDK client throws on the HTTP 400 with the gateway's JSON-RPC error in its message.
      expect(String(error)).toContain('"code":-32602');
    }
    await client.close();
  });

  it("lists what none of the three pages in one page, without a cursor (an origin that pages: virtual.test.ts)", async () => {
    // None of these three origins pages its listings; paging across origins is covered over the recorder, which does.
    const session = await rawSession("developer");
    const page = await session.rpc("resources/list");
    expect(page.status).toBe(200);
    expect(page.data.result.nextCursor).toBeUndefined();
    const uris: string[] = page.data.result.resources.map((resource: Any) => resource.uri);
    expect(new Set(uris).size).toBe(uris.length);
    expect(uris).toEqual(expect.arrayContaining(["mcpw:ref:test://static-text", "mcpw:ref:test://watched-resource"]));
    expect(uris.some((uri) => uri.startsWith("mcpw:everything:"))).toBe(true);
  });

  it("relays notifications and server requests of two origins in one session, each answer to the origin that asked", async () => {
    // admin: everything's sampling requests (admin-everything) and the reference server's elicitation (developer, inherited).
    const { client } = await connect(trio(), tokens.admin!, { capabilities: { sampling: {}, elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: "accept", content: { response: "elicited answer" } };
    });
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      asked.push(JSON.stringify(request.params.messages));
      return { model: "test-model", role: "assistant", content: { type: "text", text: "sampled answer" } };
    });
    const logged: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void logged.push(JSON.stringify(notification.params.data)));
    await client.setLoggingLevel("debug");

    // Each origin's result quotes the answer it got back.
    const fromReference = await client.callTool({ name: "ref__test_elicitation", arguments: { message: "asked by the reference server" } });
    expect(JSON.stringify(fromReference.content)).toContain("elicited answer");
    const fromEverything = await client.callTool({ name: "everything__trigger-sampling-request", arguments: { prompt: "asked by everything", maxTokens: 10 } });
    expect(JSON.stringify(fromEverything.content)).toContain("sampled answer");
    expect(asked[0]).toBe("asked by the reference server");
    expect(asked[1]).toContain("asked by everything");

    const progress: number[] = [];
    await client.callTool({ name: "ref__test_tool_with_logging", arguments: {} });
    await client.callTool({ name: "everything__trigger-long-running-operation", arguments: { duration: 1, steps: 2 } }, undefined, { onprogress: (step) => void progress.push(step.progress) });
    expect(logged.length).toBeGreaterThan(0);
    expect(progress.length).toBeGreaterThan(0);
    await client.close();
  });

  it("loses an origin killed mid-session: its tools vanish, the others keep working, the audit says why", async () => {
    const { client, transport } = await connect(trio(), tokens.viewer!);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("ref__test_simple_text");
    reference.kill();
    await new Promise((resolve) => reference.once("exit", resolve));
    const after = (await client.listTools()).tools.map((tool) => tool.name);
    expect(after).not.toContain("ref__test_simple_text");
    expect(after).toEqual(expect.arrayContaining(["everything__echo", "sum"]));
    const echoed = await client.callTool({ name: "everything__echo", arguments: { message: "still here" } });
    expect(JSON.stringify(echoed.content)).toContain("still here");
    const call = JSON.stringify({ jsonrpc: "2.0", id: 99, method: "tools/call", params: { name: "ref__test_simple_text", arguments: {} } });
    const refused = await post(trio(), call, { authorization: `Bearer ${tokens.viewer}`, "mcp-session-id": transport.sessionId!, "mcp-protocol-version": "2025-11-25" });
    expect(refused.status).toBe(502);
    expect((await jsonBody(refused)).error.code).toBe(-32050);
    await expect
      .poll(() => auditEvents().findLast((event) => event.server === "trio" && event.method === "tools/list" && event.droppedOrigins)?.droppedOrigins)
      .toEqual([{ origin: "reference", reason: expect.stringMatching(/Origin unavailable/) }]);
    await client.close();
  });
});
