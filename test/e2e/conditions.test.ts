// Network and time conditions end to end, in workerd: rules that apply only from an address range
// (IPv4 and IPv6), a country and an ASN, deny rules with conditions (fail closed when `request.cf`
// lacks the country), UTC day windows, and tokens bound to address ranges — each refusal audited
// with the rule and the condition that refused. The caller's address is sent as CF-Connecting-IP
// (Cloudflare sets it in production; Miniflare sets the socket's address when it is absent); its
// `request.cf` through Miniflare's MF-CF-Blob header (without it, Miniflare's placeholder: US, AS395747).

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorker } from "../../cli/build.js";
import { gatewayAndRecorder } from "../support/e2e.js";
import { startGateway, type Gateway } from "../support/gateway.js";
import { jsonBody, post } from "../support/mcp-client.js";
import { EVERYTHING_URL, TOOLBOX_URL } from "../support/ports.js";

const setup = gatewayAndRecorder();

type Where = { address?: string; cf?: Record<string, unknown> };

function call(gateway: Gateway, token: string, name: string, where: Where): Promise<Response> {
  return post(`${gateway.url}/mcp/recorder`, JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name, arguments: {} } }), {
    authorization: `Bearer ${token}`,
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": "tools/call",
    "mcp-name": name,
    ...(where.address ? { "cf-connecting-ip": where.address } : {}),
    ...(where.cf ? { "mf-cf-blob": JSON.stringify(where.cf) } : {}),
  });
}

/** The status, the JSON-RPC error code, and the audit event's rule and condition of one call. */
async function outcome(gateway: Gateway, token: string, name: string, where: Where) {
  const before = gateway.logs.length;
  const response = await call(gateway, token, name, where);
  const body = await jsonBody(response);
  for (let attempt = 0; attempt < 50; attempt++) {
    const event = gateway.logs
      .slice(before)
      .filter((line) => line.startsWith('{"audit"'))
      .map((line) => JSON.parse(line).audit)
      .find((candidate) => candidate.target === name);
    if (event) return { status: response.status, code: body.error?.code as number | undefined, decision: event.decision, rule: event.rule, condition: event.condition };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no audit event for ${name}`);
}

const allowed = (rule: string) => ({ status: 200, code: undefined, decision: "allow", rule, condition: undefined });
const refused = (rule: string, condition?: string) => ({ status: 403, code: -32032, decision: "deny", rule, condition });

describe("rule conditions", () => {
  let token: string;
  beforeAll(async () => {
    token = await setup.gateway.mint(["net-tester"]);
  });
  const germany = { country: "DE", asn: 3320 };

  it("allows an address-bound rule only from its ranges, IPv4 and IPv6", async () => {
    const { gateway } = setup;
    expect(await outcome(gateway, token, "net-office", { address: "10.20.30.40", cf: germany })).toEqual(allowed("test-net-office"));
    expect(await outcome(gateway, token, "net-office", { address: "2001:db8:0:1::5", cf: germany })).toEqual(allowed("test-net-office"));
    expect(await outcome(gateway, token, "net-office", { address: "::ffff:10.0.0.1", cf: germany })).toEqual(allowed("test-net-office"));
    expect(await outcome(gateway, token, "net-office", { address: "192.0.2.10", cf: germany })).toEqual(refused("test-net-office", "address"));
    expect(await outcome(gateway, token, "net-office", { address: "2001:db9::1", cf: germany })).toEqual(refused("test-net-office", "address"));
    // No CF-Connecting-IP: Miniflare gives the loopback socket's address, which no range of the rule holds.
    expect(await outcome(gateway, token, "net-office", { cf: germany })).toEqual(refused("test-net-office", "address"));
    expect(await outcome(gateway, token, "net-office", { address: "10.0.0.1.5", cf: germany })).toEqual(refused("test-net-office", "address"));
  });

  it("allows a country and ASN rule only when request.cf has both, and fails closed without them", async () => {
    const { gateway } = setup;
    const address = "192.0.2.10";
    expect(await outcome(gateway, token, "net-germany", { address, cf: germany })).toEqual(allowed("test-net-germany"));
    expect(await outcome(gateway, token, "net-germany", { address, cf: { country: "FR", asn: 3320 } })).toEqual(refused("test-net-germany", "country"));
    expect(await outcome(gateway, token, "net-germany", { address, cf: { country: "DE", asn: 13335 } })).toEqual(refused("test-net-germany", "asn"));
    expect(await outcome(gateway, token, "net-germany", { address, cf: { country: "DE" } })).toEqual(refused("test-net-germany", "asn"));
    // Miniflare's placeholder request.cf (US, AS395747) in local development.
    expect(await outcome(gateway, token, "net-germany", { address })).toEqual(refused("test-net-germany", "country"));
  });

  it("applies a deny rule's conditions: from the embargoed country, and when the country is unknown", async () => {
    const { gateway } = setup;
    const address = "192.0.2.10";
    expect(await outcome(gateway, token, "net-open", { address, cf: germany })).toEqual(allowed("test-net-open"));
    expect(await outcome(gateway, token, "net-open", { address, cf: { country: "KP", asn: 131279 } })).toEqual(refused("test-net-embargo"));
    expect(await outcome(gateway, token, "net-open", { address, cf: { asn: 3320 } })).toEqual(refused("test-net-embargo"));
    // Cloudflare's "XX" is an unknown country: the same as none.
    expect(await outcome(gateway, token, "net-open", { address, cf: { country: "XX", asn: 3320 } })).toEqual(refused("test-net-embargo"));
    // The deny wins over an allow whose conditions hold.
    expect(await outcome(gateway, token, "net-office", { address: "10.0.0.1", cf: { country: "KP" } })).toEqual(refused("test-net-embargo"));
  });
});

describe("listings under conditions", () => {
  it("show a tool only to callers its conditional rule admits (the demo's get-env for developers)", async () => {
    const { gateway } = setup;
    const developer = await gateway.mint(["developer"]);
    // The real SDK client, in a session, from the given address.
    const listed = async (address: string) => {
      const transport = new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp/everything`), {
        requestInit: { headers: { authorization: `Bearer ${developer}`, "cf-connecting-ip": address } },
      });
      const client = new Client({ name: "mcp-warden-test", version: "1.0.0" }, { capabilities: {} });
      await client.connect(transport);
      const { tools } = await client.listTools();
      await client.close();
      return tools.map((tool) => tool.name);
    };
    expect(await listed("192.168.1.20")).toContain("get-env");
    const outside = await listed("203.0.113.5");
    expect(outside).toContain("echo");
    expect(outside).not.toContain("get-env");
  });
});

describe("tokens bound to address ranges", () => {
  it("refuse every message from elsewhere, lifecycle included, as rule token-binding", async () => {
    const { gateway } = setup;
    const bound = await gateway.mint(["viewer"], { addresses: ["10.0.0.0/8", "2001:db8::/32"] });
    expect(await outcome(gateway, bound, "echo", { address: "10.1.1.1" })).toEqual(allowed("test-recorder-allow-listed"));
    expect(await outcome(gateway, bound, "echo", { address: "2001:db8::1" })).toEqual(allowed("test-recorder-allow-listed"));
    expect(await outcome(gateway, bound, "echo", { address: "203.0.113.5" })).toEqual(refused("token-binding", "address"));
    const initialize = await post(
      `${gateway.url}/mcp/recorder`,
      JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }),
      { authorization: `Bearer ${bound}`, "cf-connecting-ip": "203.0.113.5" },
    );
    expect(initialize.status).toBe(403);
    expect((await jsonBody(initialize)).error.message).toContain("this token may not be used from this network");
    // An unbound token of the same role from the same address is not affected.
    expect(await outcome(gateway, await gateway.mint(["viewer"]), "echo", { address: "203.0.113.5" })).toEqual(allowed("test-recorder-allow-listed"));
  });
});

describe("UTC day windows", () => {
  // A policy written for today: one rule open yesterday, today and tomorrow (so a run across midnight
  // stays inside it), one open only on the other four days.
  let gateway: Gateway;
  beforeAll(async () => {
    const days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    const today = new Date().getUTCDay();
    const near = [today + 6, today, today + 1].map((day) => days[day % 7]!);
    const far = days.filter((day) => !near.includes(day));
    const dir = mkdtempSync(join(tmpdir(), "warden-time-"));
    const rule = (id: string, tool: string, open: string[]) =>
      `  - { id: ${id}, effect: allow, roles: [net-tester], origin: recorder, tools: [${tool}], additionalArguments: true, conditions: { time: { days: [${open.join(", ")}], hours: "00:00-24:00" } } }\n`;
    writeFileSync(join(dir, "time.yaml"), `rules:\n${rule("test-time-near", "time-near", near)}${rule("test-time-far", "time-far", far)}`);
    const scriptPath = ".warden/test/time-worker.js";
    await buildWorker({ policyDirs: ["policies", "test/fixtures/policies", dir], outFile: scriptPath, originOverrides: { everything: EVERYTHING_URL, toolbox: TOOLBOX_URL } });
    gateway = await startGateway({ scriptPath });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it("allows a rule only on its days", async () => {
    const token = await gateway.mint(["net-tester"]);
    expect(await outcome(gateway, token, "time-near", {})).toEqual(allowed("test-time-near"));
    expect(await outcome(gateway, token, "time-far", {})).toEqual(refused("test-time-far", "time"));
  });
});
