// Scrubbing end to end: secrets planted in tool results come back redacted through the gateway, from
// server-everything's SSE answers, from a JSON origin, and from an event dripped in 5-byte chunks.

import { beforeAll, describe, expect, it } from "vitest";
import { TEST_SECRETS } from "../support/gateway.js";
import { gatewayAndRecorder } from "../support/e2e.js";
import { connect } from "../support/mcp-client.js";
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
});
