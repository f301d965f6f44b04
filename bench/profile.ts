// `npm run bench:profile`: where the gateway's own isolate spends its CPU on a tools/call. The bench
// gateway (demo policy plus the bench origin, rate limits in a real redis-server behind the Upstash
// REST bridge; `--leased` leases the bench limit) is built unminified, loaded with CONNECTIONS
// connections for SECONDS under a V8 CPU profile of its isolate (bench/isolate-cpu.ts), and the
// functions with the most self time are printed with their share of the isolate's active time and
// their µs per call. The profile is written to .warden/bench/profile.cpuprofile for Chrome DevTools.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import autocannon from "autocannon";
import { buildWorker } from "../cli/build.js";
import { startGateway, TEST_SECRETS } from "../test/support/gateway.js";
import { startTestOrigin } from "../test/support/test-origin.js";
import { startBridge, startRedis } from "../test/support/upstash-bridge.js";
import { profileIsolate, samplingPeriodUs } from "./isolate-cpu.js";

const PORTS = { origin: 22121, redis: 22122, bridge: 22123, inspector: 22124 };
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 8);
const CONNECTIONS = 16;
const CALL = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { message: "benchmark message" } } });
const leased = process.argv.includes("--leased");

const origin = await startTestOrigin(PORTS.origin);
const redis = await startRedis(PORTS.redis);
const bridge = await startBridge({ port: PORTS.bridge, redisPort: PORTS.redis });
try {
  const originUrl = `http://127.0.0.1:${PORTS.origin}/mcp`;
  mkdirSync(".warden/bench/profile", { recursive: true });
  const policy = readFileSync("bench/policies/bench.yaml", "utf8");
  writeFileSync(".warden/bench/profile/bench.yaml", leased ? policy.replace("fail: closed }", "fail: closed, mode: leased, lease: 100 }") : policy);
  await buildWorker({ policyDirs: ["policies", ".warden/bench/profile"], outFile: ".warden/bench/profile/gateway.js", originOverrides: { bench: originUrl }, minify: false });
  const gateway = await startGateway({ scriptPath: ".warden/bench/profile/gateway.js", bindings: { ...TEST_SECRETS, UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token }, directSocket: true, inspectorPort: PORTS.inspector });
  try {
    const token = await gateway.mint(["viewer"]);
    const url = `${gateway.url}/mcp/bench`;
    const base = { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` };
    const init = await fetch(url, { method: "POST", headers: base, body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "profile", version: "1" } } }) });
    await init.text();
    const headers = { ...base, "mcp-protocol-version": "2025-11-25", "mcp-session-id": init.headers.get("mcp-session-id")! };
    await (await fetch(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) })).text();
    const load = async (duration: number) => {
      const result = await autocannon({ url, method: "POST", headers, body: CALL, connections: CONNECTIONS, duration });
      if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
      return result.requests.total;
    };
    await load(2); // warm
    let calls = 0;
    const { activeMs, profile } = await profileIsolate(PORTS.inspector, "gateway", async () => {
      calls = await load(SECONDS);
    });
    writeFileSync(".warden/bench/profile.cpuprofile", JSON.stringify(profile));
    const period = samplingPeriodUs(profile);
    const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
    const self = new Map<string, number>();
    for (const sample of profile.samples) {
      const frame = byNode.get(sample)!.callFrame as { functionName: string; url: string; lineNumber?: number };
      if (frame.functionName === "(idle)") continue;
      const where = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").pop() ?? ""}:${(frame.lineNumber ?? 0) + 1}`;
      self.set(where, (self.get(where) ?? 0) + 1);
    }
    const active = [...self.values()].reduce((sum, count) => sum + count, 0);
    console.log(`${leased ? "leased" : "exact"} limit: ${calls} calls, isolate ${(activeMs / calls).toFixed(3)} ms/call (sampling period ${period} µs)`);
    for (const [where, count] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
      console.log(`${((100 * count) / active).toFixed(1).padStart(5)}%  ${((count * period) / calls).toFixed(1).padStart(6)} µs/call  ${where}`);
    }
  } finally {
    await gateway.close();
  }
} finally {
  await bridge.close();
  redis.kill();
  await origin.close();
}
