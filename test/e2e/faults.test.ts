// The token store down: KV calls fail as they do in an outage (a workerd RPC binding that throws in
// place of the KV namespace). Every request gets a precise 503 JSON-RPC error and an audit event;
// nothing crashes and nothing leaks.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateToken } from "../../src/auth/token.js";
import { startGateway, type Gateway } from "../support/gateway.js";
import { jsonBody, post } from "../support/mcp-client.js";

let gateway: Gateway;
beforeAll(async () => {
  gateway = await startGateway({ tokensUnavailable: true });
});
afterAll(() => gateway?.close());

const initialize = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } });

describe("KV unavailable", () => {
  it.each(["everything", "recorder"])("answers 503 -32033 on /mcp/%s, with an audit event and no internals", async (origin) => {
    const response = await post(`${gateway.url}/mcp/${origin}`, initialize, { authorization: `Bearer ${generateToken()}` });
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32033, message: "Token store unavailable" } });
    expect(text).not.toMatch(/KV|RPC|stack|at \w+ \(/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const events = gateway.logs.filter((line) => line.startsWith('{"audit"')).map((line) => JSON.parse(line).audit);
    expect(events.findLast((event) => event.origin === origin)).toMatchObject({ decision: "error", status: 503, errorCode: -32033, reason: expect.stringContaining("KV read failed") });
  });

  it("still refuses a malformed token before touching KV", async () => {
    const response = await post(`${gateway.url}/mcp/everything`, initialize, { authorization: "Bearer mcpw_not-a-token" });
    expect(response.status).toBe(401);
    expect((await jsonBody(response)).error.code).toBe(-32030);
  });
});
