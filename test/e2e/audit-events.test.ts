// The audit event of each kind of outcome, field by field, against a golden file: allowed calls,
// listings, scrubbed and withheld answers, denials by rule, by default and by integrity, refused
// credentials, limits, cooldowns and abuse flags, origin failures, malformed messages, and the
// session operations (initialize, notification, client response, DELETE). The golden file was first
// recorded from the gateway before its pipeline was split into stages, and the split kept every event
// field for field (adding only the `status` of relayed answers, which the old gateway emitted too early
// to know). Later changes to events are deliberate: AUDIT_GOLDEN=write records the file again, and its
// diff is reviewed. Fields that differ on every run (times, ids, durations, the policy hash) are left out.

import { readFileSync, writeFileSync } from "node:fs";
import { expect, it } from "vitest";
import { gatewayAndRecorder } from "../support/e2e.js";
import { post } from "../support/mcp-client.js";

const GOLDEN = process.env.AUDIT_GOLDEN_FILE ?? "test/fixtures/audit-events.json";
const setup = gatewayAndRecorder();

const VOLATILE = new Set(["time", "requestId", "gatewayMs", "originMs", "ray", "policyVersion"]);

function normalize(event: Record<string, unknown>): Record<string, unknown> {
  const kept = Object.fromEntries(Object.entries(event).filter(([key]) => !VOLATILE.has(key)));
  if (typeof kept.principal === "string") kept.principal = kept.principal.replace(/^user-\d+-/, "user-N-");
  return kept;
}

const auditEvents = () => setup.gateway.logs.filter((line) => line.startsWith('{"audit"')).map((line) => JSON.parse(line).audit as Record<string, unknown>);

/** Sends one HTTP request and returns the audit events it produced, once they are all out. */
async function eventsOf(send: () => Promise<Response>, expected = 1): Promise<Record<string, unknown>[]> {
  const before = auditEvents().length;
  const response = await send();
  await response.arrayBuffer();
  return settled(before, expected);
}

async function settled(before: number, expected: number): Promise<Record<string, unknown>[]> {
  for (let attempt = 0; attempt < 100 && auditEvents().length < before + expected; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
  return auditEvents().slice(before).map(normalize);
}

const call = (token: string | undefined, name: string, args: Record<string, unknown> = {}, origin = "recorder", headers: Record<string, string> = {}) => () =>
  post(`${setup.gateway.url}/mcp/${origin}`, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }), {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": "tools/call",
    "mcp-name": name,
    ...headers,
  });

it("records the golden event for every kind of outcome", async () => {
  const { gateway } = setup;
  const viewer = await gateway.mint(["viewer"]);
  const nobody = await gateway.mint(["nobody"]);
  const limited = await gateway.mint(["viewer"]);
  const abusive = await gateway.mint(["viewer"]);
  const recorded: Record<string, Record<string, unknown>[]> = {};

  recorded.allow = await eventsOf(call(viewer, "echo", { message: "hello" }));
  recorded.scrubbed = await eventsOf(call(viewer, "leak"));
  recorded.withheld = await eventsOf(call(viewer, "leak-strict"));
  recorded.listing = await eventsOf(() =>
    post(`${gateway.url}/mcp/recorder`, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), {
      authorization: `Bearer ${viewer}`,
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/list",
    }),
  );
  recorded.denyByRule = await eventsOf(call(viewer, "forbidden-x", { a: 1 }));
  recorded.denyByDefault = await eventsOf(call(nobody, "echo"));
  recorded.denyByIntegrity = await eventsOf(call(viewer, "bad name!"));
  recorded.unauthorized = await eventsOf(call(undefined, "echo"));
  recorded.unknownEndpoint = await eventsOf(call(viewer, "echo", {}, "nowhere"));
  recorded.originDown = await eventsOf(call(viewer, "echo", {}, "dead"));
  recorded.parseError = await eventsOf(() => post(`${gateway.url}/mcp/recorder`, "{", { authorization: `Bearer ${viewer}`, "mcp-protocol-version": "2025-11-25" }));
  for (let i = 0; i < 10; i++) await eventsOf(call(limited, "limited-x"));
  recorded.limited = await eventsOf(call(limited, "limited-x"));
  for (let i = 0; i < 20; i++) await eventsOf(call(abusive, "forbidden-x"));
  recorded.abuseFlag = await eventsOf(call(abusive, "forbidden-x"), 2);
  recorded.cooldown = await eventsOf(call(abusive, "echo"));
  // Network conditions: a rule's (from outside its ranges), and the token's address binding.
  const elsewhere = { "cf-connecting-ip": "192.0.2.10", "mf-cf-blob": JSON.stringify({ country: "DE", asn: 3320 }) };
  recorded.denyByCondition = await eventsOf(call(await gateway.mint(["net-tester"]), "net-office", {}, "recorder", elsewhere));
  recorded.denyByTokenBinding = await eventsOf(call(await gateway.mint(["viewer"], { addresses: ["10.0.0.0/8"] }), "echo", {}, "recorder", elsewhere));
  // Anomaly detection: a principal's first use of a watched tool is flagged, and the call goes through.
  recorded.anomalyFlag = await eventsOf(call(viewer, "watched-golden"), 2);

  const initialize = await post(
    `${gateway.url}/mcp/recorder`,
    JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }),
    { authorization: `Bearer ${viewer}` },
  );
  const session = initialize.headers.get("mcp-session-id")!;
  await initialize.arrayBuffer();
  recorded.initialize = [normalize(auditEvents().at(-1)!)];
  const inSession = { authorization: `Bearer ${viewer}`, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" };
  recorded.notification = await eventsOf(() => post(`${gateway.url}/mcp/recorder`, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), inSession));
  recorded.clientResponse = await eventsOf(() => post(`${gateway.url}/mcp/recorder`, JSON.stringify({ jsonrpc: "2.0", id: 9, result: {} }), inSession));
  recorded.badSession = await eventsOf(() => post(`${gateway.url}/mcp/recorder`, JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping" }), { ...inSession, "mcp-session-id": "w1.x.2025-11-25.y" }));
  recorded.endSession = await eventsOf(() => fetch(`${gateway.url}/mcp/recorder`, { method: "DELETE", headers: inSession }));

  if (process.env.AUDIT_GOLDEN === "write") writeFileSync(GOLDEN, `${JSON.stringify(recorded, null, 2)}\n`);
  const golden = JSON.parse(readFileSync(GOLDEN, "utf8")) as typeof recorded;
  expect(Object.keys(golden).sort()).toEqual(Object.keys(recorded).sort());
  for (const [outcome, events] of Object.entries(recorded)) expect({ outcome, events }).toEqual({ outcome, events: golden[outcome] });
});
