// Scrubbing end to end: secrets planted in tool results come back redacted through the gateway, from
// server-everything's SSE answers, from a JSON origin, and from an event dripped in 5-byte chunks.

import { beforeAll, describe, expect, it } from "vitest";
import { TEST_SECRETS } from "../support/gateway.js";
import { gatewayAndRecorder } from "../support/e2e.js";
import { connect, post } from "../support/mcp-client.js";
import { PLANTED } from "../scrub/samples.js";

const setup = gatewayAndRecorder({ leak: TEST_SECRETS.RECORDER_TOKEN });
let admin: string;
let viewer: string;

beforeAll(async () => {
  admin = await setup.gateway.mint(["admin"]);
  viewer = await setup.gateway.mint(["viewer"]);
});

const textOf = (result: Record<string, unknown>) => JSON.stringify(result.content);

describe("scrubbing answers", () => {
  it("redacts every detector family in server-everything's SSE answers to echo", async () => {
    const { client } = await connect(`${setup.gateway.url}/mcp/everything`, admin);
    for (const sample of PLANTED) {
      const result = await client.callTool({ name: "echo", arguments: { message: sample.text } });
      const text = textOf(result);
      expect(text, sample.kind).not.toContain(JSON.stringify(sample.secret).slice(1, -1));
      expect(text, sample.kind).toContain("[REDACTED:");
    }
    await client.close();
  });

  it("always redacts the origin's credential and the caller's own token", async () => {
    const { client } = await connect(`${setup.gateway.url}/mcp/recorder`, viewer);
    const result = await client.callTool({ name: "leak", arguments: { extra: `my token is ${viewer}` } });
    const text = textOf(result);
    expect(text).not.toContain(TEST_SECRETS.RECORDER_TOKEN);
    expect(text).not.toContain(viewer);
    expect(text).toContain("[REDACTED:known-secret]");
    // Glued to other word characters, where no detector's boundary matches: still the caller's own token.
    const glued = textOf(await client.callTool({ name: "leak", arguments: { extra: `id_${viewer}_x9` } }));
    expect(glued).not.toContain(viewer);
    expect(glued).not.toContain(viewer.slice(5, 30));
    await client.close();
  });

  it("scrubs an SSE event whose secret arrives split over many network chunks", async () => {
    const { client } = await connect(`${setup.gateway.url}/mcp/recorder`, viewer);
    const secret = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    const result = await client.callTool({ name: "drip", arguments: { message: `key ${secret} and mail jo@corp.example` } });
    expect(textOf(result)).toBe(JSON.stringify([{ type: "text", text: "key [REDACTED:stripe-key] and mail [REDACTED:email]" }]));
    await client.close();
  });

  it("refuses the whole result where the policy says refuse", async () => {
    const { client } = await connect(`${setup.gateway.url}/mcp/recorder`, viewer);
    await expect(client.callTool({ name: "leak-strict", arguments: {} })).rejects.toThrow(/Result withheld/);
    await client.close();
  });

  it("keeps values on the rule's allow-list", async () => {
    const { client } = await connect(`${setup.gateway.url}/mcp/recorder`, viewer);
    const result = await client.callTool({ name: "echo", arguments: { message: "AKIAZZZZ2222YYYY3333 AKIAQ3EGRKLMNOPQ7XYZ" } });
    expect(textOf(result)).toBe(JSON.stringify([{ type: "text", text: "AKIAZZZZ2222YYYY3333 [REDACTED:aws-access-key-id]" }]));
    await client.close();
  });

  it("counts redactions by kind in the audit event, without the values", async () => {
    const { client } = await connect(`${setup.gateway.url}/mcp/everything`, admin);
    await client.callTool({ name: "echo", arguments: { message: "mail audit.me@corp.example" } });
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const events = setup.gateway.logs.filter((line) => line.startsWith('{"audit"')).map((line) => JSON.parse(line).audit);
    const event = events.find((candidate) => candidate.redactions?.email);
    expect(event).toMatchObject({ method: "tools/call", target: "echo", redactions: { email: 1 } });
    expect(setup.gateway.logs.join("\n")).not.toContain("audit.me@corp.example");
  });

  it("scrubs notifications inside an SSE answer, not only the result", async () => {
    const secret = "ghp_N0t1f1cat10nS3cretAbCdEfGhIjKlMnOp12";
    const answer = await post(`${setup.gateway.url}/mcp/recorder`, JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "sse-echo", arguments: { message: secret } } }), {
      authorization: `Bearer ${viewer}`,
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "sse-echo",
    });
    const messages = (await answer.text()).split("\n").filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6)));
    const notification = messages.find((message) => message.method === "notifications/message");
    expect(notification.params.data).toContain("[REDACTED:github-token]");
    expect(JSON.stringify(messages)).not.toContain(secret);
    expect(messages.some((message) => message.id === 3 && JSON.stringify(message.result).includes("[REDACTED:github-token]"))).toBe(true);
  });
});

describe("listing metadata", () => {
  it.each([
    ["prompts/list", "prompts", "clean-prompt"],
    ["resources/list", "resources", "test://clean"],
    ["resources/templates/list", "resourceTemplates", "test://clean/{id}"],
  ])("never passes invisible characters in %s: the item carrying them is hidden, the clean one kept", async (method, field, clean) => {
    const answer = await post(`${setup.gateway.url}/mcp/recorder`, JSON.stringify({ jsonrpc: "2.0", id: 4, method }), {
      authorization: `Bearer ${viewer}`,
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": method,
    });
    const text = await answer.text();
    expect(text).not.toMatch(/[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]|\\u20(?:0[b-f]|2[a-e]|6[0-9a-f])|\\ufeff/i);
    const items = JSON.parse(text).result[field] as Record<string, string>[];
    expect(items.map((item) => item.name === "clean-prompt" ? item.name : (item.uri ?? item.uriTemplate ?? item.name))).toEqual([clean]);
  });
});
