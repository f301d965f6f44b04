// Scrubbing end to end: secrets planted in tool results come back redacted through the gateway, from
// server-everything's SSE answers, from a JSON origin, and from an event dripped in 5-byte chunks.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, TEST_SECRETS, type Gateway } from "../support/gateway.js";
import { connect } from "../support/mcp-client.js";
import { PORTS } from "../support/ports.js";
import { startTestOrigin, type TestOrigin } from "../support/test-origin.js";
import { PLANTED } from "../scrub/samples.js";

let gateway: Gateway;
let recorder: TestOrigin;
let admin: string;
let viewer: string;

beforeAll(async () => {
  gateway = await startGateway();
  recorder = await startTestOrigin(PORTS.recorder, { leak: TEST_SECRETS.RECORDER_TOKEN });
  admin = await gateway.mint(["admin"]);
  viewer = await gateway.mint(["viewer"]);
});
afterAll(async () => {
  await gateway?.close();
  await recorder?.close();
});

const textOf = (result: Record<string, unknown>) => JSON.stringify(result.content);

describe("scrubbing answers", () => {
  it("redacts every detector family in server-everything's SSE answers to echo", async () => {
    const { client } = await connect(`${gateway.url}/mcp/everything`, admin);
    for (const sample of PLANTED) {
      const result = await client.callTool({ name: "echo", arguments: { message: sample.text } });
      const text = textOf(result);
      expect(text, sample.kind).not.toContain(JSON.stringify(sample.secret).slice(1, -1));
      expect(text, sample.kind).toContain("[REDACTED:");
    }
    await client.close();
  });

  it("always redacts the origin's credential and the caller's own token", async () => {
    const { client } = await connect(`${gateway.url}/mcp/recorder`, viewer);
    const result = await client.callTool({ name: "leak", arguments: { extra: `my token is ${viewer}` } });
    const text = textOf(result);
    expect(text).not.toContain(TEST_SECRETS.RECORDER_TOKEN);
    expect(text).not.toContain(viewer);
    expect(text).toContain("[REDACTED:known-secret]");
    await client.close();
  });

  it("scrubs an SSE event whose secret arrives split over many network chunks", async () => {
    const { client } = await connect(`${gateway.url}/mcp/recorder`, viewer);
    const secret = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    const result = await client.callTool({ name: "drip", arguments: { message: `key ${secret} and mail jo@corp.example` } });
    expect(textOf(result)).toBe(JSON.stringify([{ type: "text", text: "key [REDACTED:stripe-key] and mail [REDACTED:email]" }]));
    await client.close();
  });

  it("refuses the whole result where the policy says refuse", async () => {
    const { client } = await connect(`${gateway.url}/mcp/recorder`, viewer);
    await expect(client.callTool({ name: "leak-strict", arguments: {} })).rejects.toThrow(/Result withheld/);
    await client.close();
  });

  it("keeps values on the rule's allow-list", async () => {
    const { client } = await connect(`${gateway.url}/mcp/recorder`, viewer);
    const result = await client.callTool({ name: "echo", arguments: { message: "AKIAZZZZ2222YYYY3333 AKIAQ3EGRKLMNOPQ7XYZ" } });
    expect(textOf(result)).toBe(JSON.stringify([{ type: "text", text: "AKIAZZZZ2222YYYY3333 [REDACTED:aws-access-key-id]" }]));
    await client.close();
  });

  it("counts redactions by kind in the audit event, without the values", async () => {
    const { client } = await connect(`${gateway.url}/mcp/everything`, admin);
    await client.callTool({ name: "echo", arguments: { message: "mail audit.me@corp.example" } });
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const events = gateway.logs.filter((line) => line.startsWith('{"audit"')).map((line) => JSON.parse(line).audit);
    const event = events.find((candidate) => candidate.redactions?.email);
    expect(event).toMatchObject({ method: "tools/call", target: "echo", redactions: { email: 1 } });
    expect(gateway.logs.join("\n")).not.toContain("audit.me@corp.example");
  });
});
