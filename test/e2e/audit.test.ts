// Audit delivery end to end: requests of mixed outcomes under concurrency → exactly one event each,
// through Miniflare's real queue to the Worker's own consumer → R2; every event valid against the
// schema, none duplicated (also when messages are delivered twice), none holding a planted secret.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readAuditEvents } from "../../cli/audit.js";
import { auditEventSchema, type AuditEvent } from "../../src/audit/schema.js";
import { generateToken } from "../../src/auth/token.js";
import { TEST_SECRETS } from "../support/gateway.js";
import { gatewayAndRecorder } from "../support/e2e.js";
import { post } from "../support/mcp-client.js";

const PLANTED_IN_ARGUMENTS = "ghp_Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2";
const PLANTED_IN_RESULT = "sk_live_Q1w2E3r4T5y6U7i8O9p0A1s2";
const setup = gatewayAndRecorder({ leak: PLANTED_IN_RESULT });

/** What a reader sees: every event once, from the NDJSON batch objects. */
async function storedEvents(): Promise<AuditEvent[]> {
  return readAuditEvents((await setup.gateway.mf.getR2Bucket("AUDIT_BUCKET")) as unknown as R2Bucket);
}

async function storedObjects(): Promise<string[]> {
  const bucket = await setup.gateway.mf.getR2Bucket("AUDIT_BUCKET");
  return (await bucket.list({ prefix: "audit/" })).objects.map((object) => object.key);
}

async function waitForEvents(count: number): Promise<AuditEvent[]> {
  for (let i = 0; i < 100; i++) {
    const events = await storedEvents();
    if (events.length >= count) return events;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return storedEvents();
}

function stateless(token: string | undefined, name: string, args: Record<string, unknown>, origin = "recorder") {
  return post(`${setup.gateway.url}/mcp/${origin}`, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }), {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": "tools/call",
    "mcp-name": name,
  });
}

describe("audit delivery", () => {
  it("delivers exactly one valid, secret-free event per request to R2 through the queue", async () => {
    const viewer = await setup.gateway.mint(["viewer"]);
    const requests: (() => Promise<Response>)[] = [
      ...Array.from({ length: 8 }, () => () => stateless(viewer, "echo", { message: `please keep ${PLANTED_IN_ARGUMENTS}` })),
      ...Array.from({ length: 6 }, () => () => stateless(viewer, "leak", { extra: PLANTED_IN_ARGUMENTS })),
      ...Array.from({ length: 5 }, () => () => stateless(viewer, "forbidden-tool", { token: PLANTED_IN_ARGUMENTS })),
      ...Array.from({ length: 4 }, () => () => stateless(undefined, "echo", {})),
      ...Array.from({ length: 4 }, () => () => stateless(generateToken(), "echo", {})),
      ...Array.from({ length: 3 }, () => () => stateless(viewer, "echo", {}, "dead")),
      ...Array.from({ length: 12 }, () => () => stateless(viewer, "limited-audit", { n: 1 })),
    ];
    const responses = await Promise.all(requests.map(async (send) => {
      const response = await send();
      await response.arrayBuffer();
      return response.status;
    }));
    expect(new Set(responses)).toEqual(new Set([200, 403, 401, 502, 429]));

    const events = await waitForEvents(requests.length);
    expect(events).toHaveLength(requests.length);
    expect(new Set(events.map((event) => event.requestId)).size).toBe(requests.length);
    for (const event of events) expect(auditEventSchema.safeParse(event).success).toBe(true);
    const decisions = events.map((event) => event.decision);
    for (const decision of ["allow", "deny", "limited", "error"] as const) expect(decisions).toContain(decision);
    const everything = JSON.stringify(events) + setup.gateway.logs.join("\n");
    for (const secret of [PLANTED_IN_ARGUMENTS, PLANTED_IN_RESULT, viewer, TEST_SECRETS.RECORDER_TOKEN, TEST_SECRETS.TOKEN_PEPPER, TEST_SECRETS.SESSION_SECRET]) {
      expect(everything).not.toContain(secret);
    }
    const echo = events.find((event) => event.target === "echo" && event.decision === "allow")!;
    expect(echo).toMatchObject({ principal: expect.any(String), roles: ["viewer"], origin: "recorder", method: "tools/call", rule: expect.any(String), policyVersion: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(echo.argumentsDigest).toMatch(/^[0-9a-f]{32}$/);
    expect(echo.argumentSizes?.message).toBeGreaterThan(0);
    expect(events.find((event) => event.target === "leak")?.redactions).toEqual({ "github-token": 1, "stripe-key": 1 });
  });

  it("stores a batch as one object, overwrites it when the same batch comes again, and reads redelivered events once", async () => {
    const before = await storedEvents();
    const objects = await storedObjects();
    expect(objects.length).toBeLessThan(before.length);
    expect(objects.every((key) => /^audit\/\d{4}-\d{2}-\d{2}\/\d{2}\/[0-9TZ-]+-[0-9a-f]{16}\.ndjson$/.test(key))).toBe(true);
    const queue = await setup.gateway.mf.getQueueProducer<AuditEvent>("AUDIT_QUEUE");
    const redelivered = before.slice(0, 5);
    await queue.sendBatch(redelivered.map((body) => ({ body })));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const withRedelivery = await storedObjects();
    await queue.sendBatch(redelivered.map((body) => ({ body })));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    // The same batch again lands on the same key; the reader sees every event once.
    expect(await storedObjects()).toEqual(withRedelivery);
    expect(await storedEvents()).toEqual(before);
  });

  it("feeds the weekly report (`mcp-warden report`): a principal's denials and allowed calls, from the events the gateway stored", async () => {
    const principal = `reviewed-${Date.now()}`;
    const token = await setup.gateway.mint(["viewer"], { principal });
    const before = (await storedEvents()).length;
    for (const [name, args] of [["echo", { message: "a" }], ["echo", { message: "b" }], ["forbidden-tool", {}], ["forbidden-tool", {}], ["forbidden-tool", {}]] as const) {
      await (await stateless(token, name, args)).arrayBuffer();
    }
    const events = await waitForEvents(before + 5);
    const dir = mkdtempSync(join(tmpdir(), "warden-report-"));
    writeFileSync(join(dir, "events.ndjson"), events.map((entry) => JSON.stringify(entry)).join("\n"));
    const run = spawnSync(process.execPath, ["bin/mcp-warden.mjs", "report", "--since", "1d", "--input", join(dir, "events.ndjson"), "--out", join(dir, "week.md")], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const markdown = readFileSync(join(dir, "week.md"), "utf8");
    const denials = markdown.slice(markdown.indexOf("## Denials by principal"), markdown.indexOf("## Flags"));
    expect(denials).toContain(`| ${principal} | 3 |`);
    expect(markdown).toMatch(new RegExp(`^${events.length} events: `, "m"));
    expect(readFileSync(join(dir, "week.png")).subarray(1, 4).toString("ascii")).toBe("PNG");
  });
});
