// `npm run bench`: what the gateway adds to a tools/call, measured side by side in one run on
// loopback. A minimal JSON origin (the test origin) is called directly, through a bare forwarding
// Worker and through the gateway (demo policy, every defence on), both in workerd via Miniflare,
// with the same bounded closed-loop load over real MCP sessions. CPU per call is the workerd
// process's utime+stime from /proc over the run, divided by the calls. Then micro-benchmarks and the
// bundle size. The last line is one key=value summary.

import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { buildWorker } from "../cli/build.js";
import { generateToken, tokenKey } from "../src/auth/token.js";
import { PolicyEngine } from "../src/policy/decide.js";
import { compilePolicy } from "../src/policy/compile.js";
import { scrubText } from "../src/scrub/scrub.js";
import { startGateway, TEST_SECRETS } from "../test/support/gateway.js";
import { startTestOrigin } from "../test/support/test-origin.js";

const ORIGIN_PORT = 39601;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 8) * 1000;
const CONCURRENCY = 16;
const TICKS = 100; // clock ticks per second in /proc/<pid>/stat

function workerdPids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd";
      } catch {
        return false;
      }
    })
    .map(Number);
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

type LoadResult = { calls: number; perSecond: number; p50: number; p99: number; cpuMsPerCall?: number };

/** CONCURRENCY sessions, each initialize once, then tools/call echo back to back until the time is up. */
async function load(url: string, headers: Record<string, string>, pid?: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const body = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { message: "benchmark message" } } });
  const base = { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers };
  const sessions = await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const response = await fetch(url, { method: "POST", headers: base, body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } } }) });
      await response.text();
      return { ...base, "mcp-session-id": response.headers.get("mcp-session-id") ?? "", "mcp-protocol-version": "2025-11-25" };
    }),
  );
  const cpuBefore = pid ? cpuTicks(pid) : 0;
  const started = performance.now();
  let failures = 0;
  await Promise.all(
    sessions.map(async (sessionHeaders) => {
      for (let id = 1; performance.now() - started < DURATION_MS; id++) {
        const t0 = performance.now();
        const response = await fetch(url, { method: "POST", headers: sessionHeaders, body: body(id) });
        await response.text();
        if (response.status !== 200) failures++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (failures) throw new Error(`${failures} calls failed against ${url}`);
  latencies.sort((a, b) => a - b);
  const result: LoadResult = { calls: latencies.length, perSecond: latencies.length / seconds, p50: latencies[Math.floor(latencies.length * 0.5)]!, p99: latencies[Math.floor(latencies.length * 0.99)]! };
  if (pid) result.cpuMsPerCall = ((cpuTicks(pid) - cpuBefore) * (1000 / TICKS)) / latencies.length;
  return result;
}

async function inWorkerd<T>(start: () => Promise<{ close(): Promise<void> }>, run: (pid: number) => Promise<T>): Promise<T> {
  const before = new Set(workerdPids());
  const handle = await start();
  const pid = workerdPids().find((candidate) => !before.has(candidate))!;
  try {
    return await run(pid);
  } finally {
    await handle.close();
  }
}

function micro(): { policyUs: number; scrubMbS: number; scrubAdversarialMbS: number; tokenUs: number } {
  // Policy decision on a generated 10,000-tool × 100-role policy.
  const roles = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`role-${i}`, i ? { inherits: [`role-${i - 1}`] } : {}]));
  const rules = Array.from({ length: 10_000 }, (_, i) => ({ id: `r${i}`, effect: "allow", roles: [`role-${i % 100}`], origin: "o", tools: [`tool_${i}`], arguments: { n: { type: "integer", min: 0, max: 100 } } }));
  const engine = new PolicyEngine(compilePolicy([{ file: "bench.yaml", content: { origins: { o: { url: "https://o.example/mcp" } }, roles, rules } }]));
  const callerRoles = engine.expandRoles(["role-99"]);
  const rounds = 200_000;
  let t0 = performance.now();
  for (let i = 0; i < rounds; i++) engine.decide("o", "tool", `tool_${(i * 7919) % 10_000}`, callerRoles, { n: i % 100 });
  const policyUs = ((performance.now() - t0) * 1000) / rounds;

  // Scrubber on mixed tool output: mostly ordinary text with secrets sprinkled in, and on the corpus-like dense input.
  const ordinary = readFileSync("README.md", "utf8") + readFileSync("src/index.ts", "utf8");
  const mixed = (ordinary + "\nkey ghp_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8 mail jo@corp.example\n").repeat(20);
  const settings = { families: new Set(["credentials", "personal"] as const), knownSecrets: ["k".repeat(40)], allow: new Set<string>() };
  for (let i = 0; i < 3; i++) scrubText(mixed, settings, {});
  t0 = performance.now();
  for (let i = 0; i < 10; i++) scrubText(mixed, settings, {});
  const scrubMbS = (mixed.length * 10) / 1e6 / ((performance.now() - t0) / 1000);
  const adversarial = "password=".repeat(50_000) + "a@".repeat(100_000) + "1".repeat(200_000);
  t0 = performance.now();
  scrubText(adversarial, settings, {});
  const scrubAdversarialMbS = adversarial.length / 1e6 / ((performance.now() - t0) / 1000);
  return { policyUs, scrubMbS, scrubAdversarialMbS, tokenUs: 0 };
}

async function tokenMicro(): Promise<number> {
  const token = generateToken();
  const rounds = 20_000;
  await tokenKey(TEST_SECRETS.TOKEN_PEPPER, token);
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await tokenKey(TEST_SECRETS.TOKEN_PEPPER, token);
  return ((performance.now() - t0) * 1000) / rounds;
}

let bareUrl = "";
let gatewayUrl = "";
const origin = await startTestOrigin(ORIGIN_PORT);
const originUrl = `http://127.0.0.1:${ORIGIN_PORT}/mcp`;
try {
  await buildWorker({ policyDirs: ["policies", "bench/policies"], outFile: ".warden/bench/gateway.js" });
  console.log(`bench: ${CONCURRENCY} sessions in a closed loop for ${DURATION_MS / 1000} s each, tools/call echo, on ${readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? "this machine"}`);
  const direct = await load(originUrl, {});
  const bare = await inWorkerd(
    async () => {
      const mf = new Miniflare({ modules: true, scriptPath: "bench/bare-worker.js", compatibilityDate: "2026-07-01", bindings: { ORIGIN: originUrl }, host: "127.0.0.1", port: 0 });
      const url = (await mf.ready).href;
      bareUrl = `${url}mcp`;
      return { close: () => mf.dispose() };
    },
    (pid) => load(bareUrl, {}, pid),
  );
  let token = "";
  const gateway = await inWorkerd(
    async () => {
      const handle = await startGateway({ scriptPath: ".warden/bench/gateway.js" });
      gatewayUrl = `${handle.url}/mcp/bench`;
      token = await handle.mint(["viewer"]);
      return handle;
    },
    (pid) => load(gatewayUrl, { authorization: `Bearer ${token}` }, pid),
  );
  const microResults = micro();
  microResults.tokenUs = await tokenMicro();
  const bundle = gzipSync(readFileSync(".warden/bench/gateway.js"), { level: 9 }).length / 1024;
  const row = (name: string, r: LoadResult) =>
    `${name.padEnd(22)}${r.perSecond.toFixed(0).padStart(8)} calls/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms${r.cpuMsPerCall === undefined ? "" : `  cpu ${r.cpuMsPerCall.toFixed(3)} ms/call`}`;
  console.log(row("direct to origin", direct));
  console.log(row("bare Worker", bare));
  console.log(row("mcp-warden", gateway));
  console.log(`policy decision (10,000 tools × 100 roles): ${microResults.policyUs.toFixed(2)} µs`);
  console.log(`token hash (HMAC-SHA256, node): ${microResults.tokenUs.toFixed(2)} µs`);
  console.log(`scrubber (node): ${microResults.scrubMbS.toFixed(1)} MB/s on mixed tool output, ${microResults.scrubAdversarialMbS.toFixed(1)} MB/s on adversarial input`);
  console.log(`bundle (esbuild output, gzip): ${bundle.toFixed(1)} KiB; \`npm run bundle-size\` measures wrangler's`);
  console.log("peer gateway (@civic/passthrough-mcp-server): not measured in this version");
  console.log(
    [
      `cpu_ms_per_call=${gateway.cpuMsPerCall!.toFixed(3)}`,
      `cpu_ratio_vs_bare=${(gateway.cpuMsPerCall! / bare.cpuMsPerCall!).toFixed(2)}`,
      `throughput_ratio_vs_bare=${(gateway.perSecond / bare.perSecond).toFixed(2)}`,
      `added_p50_ms=${(gateway.p50 - direct.p50).toFixed(2)}`,
      `scrub_mb_s=${microResults.scrubMbS.toFixed(1)}`,
      `policy_us=${microResults.policyUs.toFixed(2)}`,
      `bundle_gzip_kib=${bundle.toFixed(1)}`,
    ].join(" "),
  );
} finally {
  await origin.close();
}
