// `npm run bench`: what the gateway adds to a tools/call, measured side by side in one run on loopback.
// A minimal JSON origin (the test origin) is called directly; through a bare forwarding Worker; through
// a Worker doing the gateway's platform I/O but no checks; through mcp-warden (demo policy plus the
// bench origin, every defence on, rate limits in a real redis-server behind the Upstash REST bridge);
// and through @civic/passthrough-mcp-server, a Node MCP proxy, as a peer. The Workers run in workerd
// (Miniflare, each serving its own socket). Load: autocannon, CONNECTIONS connections, each on its own
// MCP session, for SECONDS; latency without load: one connection, one call at a time. CPU per
// call: utime+stime of the serving process from /proc over the run, divided by the calls (the whole
// workerd process, Miniflare's simulators included); and, for each Worker, its own isolate's CPU per
// call from a V8 CPU profile over the inspector taken in a further PROFILE_SECONDS of the same load
// (bench/isolate-cpu.ts, checked first against a Worker that burns a known amount of work). Then the
// scrubber inside workerd (bench/scrub-throughput.ts), micro-benchmarks, the bundle and the Worker's
// startup. Every process it starts is stopped at the end. The last line is one key=value summary.

import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { createConnection } from "node:net";
import autocannon from "autocannon";
import { Miniflare } from "miniflare";
import { buildWorker } from "../cli/build.js";
import { measureBundle } from "../cli/bundle-size.js";
import { projectNode } from "../cli/wrangler.js";
import { generateToken, tokenKey } from "../src/auth/token.js";
import { compilePolicy } from "../src/policy/build/compile.js";
import { PolicyEngine } from "../src/policy/decide.js";
import { startGateway, TEST_SECRETS, type Gateway } from "../test/support/gateway.js";
import { startTestOrigin } from "../test/support/test-origin.js";
import { startBridge, startRedis } from "../test/support/upstash-bridge.js";
import { describeScrubThroughput, scrubThroughput } from "./scrub-throughput.js";
import { profileIsolate } from "./isolate-cpu.js";
import { cpuMs, inWorkerd } from "./workerd.js";
import { openSession } from "./mcp-session.js";

const PORTS = { origin: 21601, redis: 21611, bridge: 21612, peer: 21621 };
const INSPECTOR_PORTS = { bare: 22101, io: 22102, gateway: 22103, burn: 22104, leased: 22105 };
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PROFILE_SECONDS = 4;
const LEASE = 100;
const CONNECTIONS = 16;
const PROBE_CALLS = 2000;
const CALL = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { message: "benchmark message" } } });

function waitForPort(port: number, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ host: "127.0.0.1", port }, () => {
        socket.destroy();
        resolve();
      });
      socket.on("error", () => (Date.now() > deadline ? reject(new Error(`nothing listens on ${port}`)) : setTimeout(attempt, 100)));
    };
    attempt();
  });
}

/** Unloaded latency: one keep-alive connection, one call at a time. Returns sorted milliseconds. */
async function probe(url: string, headers: Record<string, string>): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const request = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(CALL) }, agent }, (response) => {
        response.resume();
        response.on("end", () => (response.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`probe ${url}: HTTP ${response.statusCode}`))));
      });
      request.on("error", reject);
      request.end(CALL);
    });
  for (let i = 0; i < 100; i++) await once();
  const latencies: number[] = [];
  for (let i = 0; i < PROBE_CALLS; i++) latencies.push(await once());
  agent.destroy();
  return latencies.sort((a, b) => a - b);
}

/** `calls` under load; `profiledCalls` more in the profiled phase. */
type Measured = { name: string; perSecond: number; p50: number; p99: number; idleP50: number; cpuMsPerCall?: number; isolateMsPerCall?: number; calls: number; profiledCalls: number };
/** A Worker's inspector: its isolate is profiled under load after the measured run. */
type Isolate = { inspectorPort: number; worker: string };

async function measure(name: string, url: string, headers: Record<string, string>, pid?: number, isolate?: Isolate): Promise<Measured> {
  // One MCP session per connection, as CONNECTIONS separate clients would have.
  const sessions = await Promise.all(Array.from({ length: CONNECTIONS }, () => openSession(url, headers)));
  const idle = await probe(url, sessions[0]!);
  let next = 0;
  const cpuBefore = pid ? cpuMs(pid) : 0;
  const result = await autocannon({
    url,
    method: "POST",
    headers: sessions[0]!,
    body: CALL,
    connections: CONNECTIONS,
    duration: SECONDS,
    setupClient: (client) => client.setHeaders(sessions[next++ % CONNECTIONS]!),
  });
  const cpuAfter = pid ? cpuMs(pid) : 0;
  if (result.non2xx || result.errors || result.timeouts) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  const calls = result.requests.total;
  const measured: Measured = { name, calls, profiledCalls: 0, perSecond: calls / SECONDS, p50: result.latency.p50, p99: result.latency.p99, idleP50: idle[Math.floor(idle.length / 2)]! };
  if (pid) measured.cpuMsPerCall = (cpuAfter - cpuBefore) / calls;
  if (isolate) {
    let profiledCalls = 0;
    const { activeMs, profile } = await profileIsolate(isolate.inspectorPort, isolate.worker, async () => {
      const profiled = await autocannon({ url, method: "POST", headers: sessions[0]!, body: CALL, connections: CONNECTIONS, duration: PROFILE_SECONDS, setupClient: (client) => client.setHeaders(sessions[next++ % CONNECTIONS]!) });
      if (profiled.non2xx || profiled.errors || profiled.timeouts) throw new Error(`${name} (profiled): ${profiled.non2xx} non-2xx, ${profiled.errors} errors`);
      profiledCalls = profiled.requests.total;
    });
    measured.isolateMsPerCall = activeMs / profiledCalls;
    measured.profiledCalls = profiledCalls;
    // Kept for reading in Chrome DevTools or bench/profile-summary.ts.
    writeFileSync(`.warden/bench/${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.cpuprofile`, JSON.stringify(profile));
  }
  return measured;
}

/**
 * The isolate-CPU method against a Worker whose own cost is known: BURN_ROUNDS rounds of a loop per call
 * against none. The isolate figure's difference must match the whole process's (measured without the
 * profiler), since the loop runs in the isolate and nowhere else. Returns both differences in ms/call.
 */
const BURN_ROUNDS = 300_000;
async function validateIsolateCpu(): Promise<{ isolateDelta: number; processDelta: number; isolateBase: number }> {
  const burn = await inWorkerd(async () => {
    const mf = new Miniflare({ modules: true, scriptPath: "bench/burn-worker.js", compatibilityDate: "2026-07-01", inspectorPort: INSPECTOR_PORTS.burn, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] });
    await mf.ready;
    return Object.assign(mf, { close: () => mf.dispose(), url: (await mf.unsafeGetDirectURL()).href });
  });
  try {
    const calls = 1500;
    const run = async (rounds: number) => {
      let sent = 0;
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (sent++ < calls) await (await fetch(`${burn.url}?n=${rounds}`)).text();
      }));
    };
    const cost = async (rounds: number) => {
      await run(rounds); // warm
      const before = cpuMs(burn.pid);
      await run(rounds);
      const processMs = (cpuMs(burn.pid) - before) / calls;
      const { activeMs } = await profileIsolate(INSPECTOR_PORTS.burn, "", () => run(rounds));
      return { processMs, isolateMs: activeMs / calls };
    };
    const none = await cost(0);
    const some = await cost(BURN_ROUNDS);
    return { isolateDelta: some.isolateMs - none.isolateMs, processDelta: some.processMs - none.processMs, isolateBase: none.isolateMs };
  } finally {
    await burn.close();
  }
}

function policyMicroseconds(): number {
  // Policy decision on a generated 10,000-tool × 100-role policy.
  const roles = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`role-${i}`, i ? { inherits: [`role-${i - 1}`] } : {}]));
  const rules = Array.from({ length: 10_000 }, (_, i) => ({ id: `r${i}`, effect: "allow", roles: [`role-${i % 100}`], origin: "o", tools: [`tool_${i}`], arguments: { n: { type: "integer", min: 0, max: 100 } } }));
  const engine = new PolicyEngine(compilePolicy([{ file: "bench.yaml", content: { origins: { o: { url: "https://o.example/mcp" } }, roles, rules } }]));
  const callerRoles = engine.expandRoles(["role-99"]);
  const rounds = 200_000;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) engine.decide("o", "tool", `tool_${(i * 7919) % 10_000}`, callerRoles, { n: i % 100 });
  return ((performance.now() - started) * 1000) / rounds;
}

async function tokenHashMicroseconds(): Promise<number> {
  const token = generateToken();
  const rounds = 20_000;
  await tokenKey(TEST_SECRETS.TOKEN_PEPPER, token);
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await tokenKey(TEST_SECRETS.TOKEN_PEPPER, token);
  return ((performance.now() - started) * 1000) / rounds;
}

/** Startup CPU of the production bundle, from the profile `wrangler check startup` records. */
function startupMs(): number {
  execFileSync(projectNode(), ["node_modules/wrangler/bin/wrangler.js", "check", "startup", "--outfile", ".warden/bench/startup.cpuprofile"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const profile = JSON.parse(readFileSync(".warden/bench/startup.cpuprofile", "utf8")) as { nodes: { id: number; callFrame: { functionName: string } }[]; samples: number[]; timeDeltas: number[] };
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === "(idle)").map((node) => node.id));
  let activeUs = 0;
  profile.samples.forEach((sample, index) => {
    if (!idle.has(sample)) activeUs += profile.timeDeltas[index + 1] ?? 0;
  });
  return activeUs / 1000;
}

const stoppers: (() => Promise<unknown> | void)[] = [];
try {
  const origin = await startTestOrigin(PORTS.origin);
  stoppers.push(() => origin.close());
  const originUrl = `http://127.0.0.1:${PORTS.origin}/mcp`;
  const redis = await startRedis(PORTS.redis);
  stoppers.push(() => void redis.kill());
  const bridge = await startBridge({ port: PORTS.bridge, redisPort: PORTS.redis });
  stoppers.push(() => bridge.close());
  const upstash = { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token };

  const gatewayPolicy = await buildWorker({ policyDirs: ["policies", "bench/policies"], outFile: ".warden/bench/gateway.js", originOverrides: { bench: originUrl } });
  // The same gateway with the bench limit leased (LEASE calls at a time): bench/policies with `mode: leased`.
  mkdirSync(".warden/bench/leased", { recursive: true });
  writeFileSync(".warden/bench/leased/bench.yaml", readFileSync("bench/policies/bench.yaml", "utf8").replace("fail: closed }", `fail: closed, mode: leased, lease: ${LEASE} }`));
  await buildWorker({ policyDirs: ["policies", ".warden/bench/leased"], outFile: ".warden/bench/gateway-leased.js", originOverrides: { bench: originUrl } });
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
  const cores = readFileSync("/proc/cpuinfo", "utf8").match(/^processor/gm)?.length ?? 0;
  const validation = await validateIsolateCpu();
  console.log(`bench: tools/call echo, autocannon ${CONNECTIONS} connections × ${SECONDS} s per target, ${PROBE_CALLS} unloaded calls for latency; ${cores} × ${cpu}`);

  const direct = await measure("direct to origin", originUrl, {});

  const bare = await inWorkerd(async () => {
    const mf = new Miniflare({ modules: true, scriptPath: "bench/bare-worker.js", compatibilityDate: "2026-07-01", bindings: { ORIGIN: originUrl }, inspectorPort: INSPECTOR_PORTS.bare, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] });
    await mf.ready;
    return Object.assign(mf, { close: () => mf.dispose(), url: (await mf.unsafeGetDirectURL()).href });
  });
  const bareResult = await measure("bare Worker", `${bare.url}mcp`, {}, bare.pid, { inspectorPort: INSPECTOR_PORTS.bare, worker: "" }).finally(() => bare.close());

  const ioLogs: string[] = [];
  const io = await inWorkerd(async () => {
    const mf = new Miniflare({
      modules: true,
      scriptPath: "bench/io-worker.js",
      compatibilityDate: "2026-07-01",
      bindings: { ORIGIN: originUrl, ...upstash, TOKEN_CACHE_MS: String(gatewayPolicy.gateway.tokenCacheSeconds * 1000) },
      kvNamespaces: ["TOKENS"],
      queueProducers: { AUDIT_QUEUE: { queueName: "audit" } },
      queueConsumers: { audit: { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 3 } },
      r2Buckets: ["AUDIT_BUCKET"],
      inspectorPort: INSPECTOR_PORTS.io,
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      // Its log lines are read as the gateway's are (test/support/gateway.ts), not printed.
      handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
        for (const stream of [stdout, stderr]) stream.on("data", (chunk: Buffer) => ioLogs.push(...chunk.toString().split("\n").filter(Boolean)));
      },
    });
    await mf.ready;
    await (await mf.getKVNamespace("TOKENS")).put("token:bench", JSON.stringify({ v: 1, principal: "bench", name: "bench", roles: ["viewer"], createdAt: 0, expiresAt: null }));
    return Object.assign(mf, { close: () => mf.dispose(), url: (await mf.unsafeGetDirectURL()).href });
  });
  const ioResult = await measure("I/O-equivalent Worker", `${io.url}mcp`, {}, io.pid, { inspectorPort: INSPECTOR_PORTS.io, worker: "" }).finally(() => io.close());

  let token = "";
  const gateway = await inWorkerd<Gateway>(async () => {
    const handle = await startGateway({ scriptPath: ".warden/bench/gateway.js", bindings: { ...TEST_SECRETS, ...upstash }, directSocket: true, inspectorPort: INSPECTOR_PORTS.gateway });
    token = await handle.mint(["viewer"]);
    return handle;
  });
  const bridgeBefore = bridge.requests;
  const gatewayResult = await measure("mcp-warden", `${gateway.url}/mcp/bench`, { authorization: `Bearer ${token}` }, gateway.pid, { inspectorPort: INSPECTOR_PORTS.gateway, worker: "gateway" }).finally(() => gateway.close());
  // Every gateway call of the run (probe, load and profiled load) went through the limiter: round trips per call.
  const redisRoundTrips = (bridge.requests - bridgeBefore) / (gatewayResult.calls + gatewayResult.profiledCalls + PROBE_CALLS + 100 + CONNECTIONS);

  let leasedToken = "";
  const leasedGateway = await inWorkerd<Gateway>(async () => {
    const handle = await startGateway({ scriptPath: ".warden/bench/gateway-leased.js", bindings: { ...TEST_SECRETS, ...upstash }, directSocket: true, inspectorPort: INSPECTOR_PORTS.leased });
    leasedToken = await handle.mint(["viewer"]);
    return handle;
  });
  const leasedBefore = bridge.requests;
  const leasedResult = await measure("mcp-warden, leased limit", `${leasedGateway.url}/mcp/bench`, { authorization: `Bearer ${leasedToken}` }, leasedGateway.pid, { inspectorPort: INSPECTOR_PORTS.leased, worker: "gateway" }).finally(() => leasedGateway.close());
  const leasedRoundTrips = (bridge.requests - leasedBefore) / (leasedResult.calls + leasedResult.profiledCalls + PROBE_CALLS + 100 + CONNECTIONS);

  const peerProcess: ChildProcess = spawn(projectNode(), ["node_modules/@civic/passthrough-mcp-server/dist/cli.js"], {
    env: { ...process.env, PORT: String(PORTS.peer), TARGET_SERVER_URL: `http://127.0.0.1:${PORTS.origin}` },
    stdio: ["pipe", "ignore", "ignore"],
  });
  stoppers.push(() => void peerProcess.kill());
  await waitForPort(PORTS.peer, 30);
  const peer = await measure("@civic/passthrough-mcp-server", `http://127.0.0.1:${PORTS.peer}/mcp`, {}, peerProcess.pid);
  peerProcess.kill();

  const scrub = await scrubThroughput();
  const policyUs = policyMicroseconds();
  const tokenUs = await tokenHashMicroseconds();
  const bundle = measureBundle();
  const startup = startupMs();

  const row = (r: Measured) =>
    `${r.name.padEnd(30)}${r.perSecond.toFixed(0).padStart(7)} calls/s  p50 ${r.p50.toFixed(1).padStart(5)} ms  p99 ${r.p99.toFixed(1).padStart(5)} ms  unloaded p50 ${r.idleP50.toFixed(3)} ms${r.cpuMsPerCall === undefined ? "" : `  cpu ${r.cpuMsPerCall.toFixed(3)} ms/call`}${r.isolateMsPerCall === undefined ? "" : `  isolate ${r.isolateMsPerCall.toFixed(3)} ms/call`}`;
  for (const result of [direct, bareResult, ioResult, gatewayResult, leasedResult, peer]) console.log(row(result));
  const checksCpu = gatewayResult.cpuMsPerCall! - ioResult.cpuMsPerCall!;
  console.log(`gateway checks (mcp-warden − I/O-equivalent Worker): ${checksCpu.toFixed(3)} ms CPU/call; platform I/O under Miniflare (I/O-equivalent − bare): ${(ioResult.cpuMsPerCall! - bareResult.cpuMsPerCall!).toFixed(3)} ms`);
  const isolateChecks = gatewayResult.isolateMsPerCall! - ioResult.isolateMsPerCall!;
  console.log(`isolate CPU (V8 profile of each Worker's own isolate): gateway checks ${isolateChecks.toFixed(3)} ms/call; gateway ${(gatewayResult.isolateMsPerCall! / ioResult.isolateMsPerCall!).toFixed(2)}× the I/O-equivalent Worker, whole process ${(gatewayResult.cpuMsPerCall! / ioResult.cpuMsPerCall!).toFixed(2)}×`);
  console.log(`isolate CPU method check: a Worker burning ${BURN_ROUNDS} loop rounds a call costs ${validation.isolateDelta.toFixed(3)} ms more in its isolate profile and ${validation.processDelta.toFixed(3)} ms more in whole-process CPU (ratio ${(validation.isolateDelta / validation.processDelta).toFixed(2)}); its empty call ${validation.isolateBase.toFixed(3)} ms`);
  console.log(`Upstash REST round trips per gateway call, counted at the bridge: ${redisRoundTrips.toFixed(2)} exact, ${leasedRoundTrips.toFixed(3)} leased (lease of ${LEASE})`);
  console.log(`policy decision (10,000 tools × 100 roles, node): ${policyUs.toFixed(2)} µs; token hash (HMAC-SHA256, node): ${tokenUs.toFixed(1)} µs`);
  console.log(describeScrubThroughput(scrub));

  console.log(`bundle (wrangler deploy --dry-run): ${bundle.rawKiB.toFixed(1)} KiB, ${bundle.gzipKiB.toFixed(1)} KiB gzip; startup ${startup.toFixed(1)} ms CPU (wrangler check startup)`);
  console.log(
    [
      `cpu_ms_per_call=${gatewayResult.cpuMsPerCall!.toFixed(3)}`,
      `isolate_cpu_ms_per_call=${gatewayResult.isolateMsPerCall!.toFixed(3)}`,
      `isolate_checks_ms_per_call=${isolateChecks.toFixed(3)}`,
      `ratio_vs_io_equivalent=${(gatewayResult.isolateMsPerCall! / ioResult.isolateMsPerCall!).toFixed(2)}`,
      `process_ratio_vs_io_equivalent=${(gatewayResult.cpuMsPerCall! / ioResult.cpuMsPerCall!).toFixed(2)}`,
      `isolate_method_ratio=${(validation.isolateDelta / validation.processDelta).toFixed(2)}`,
      `cpu_ratio_vs_bare=${(gatewayResult.cpuMsPerCall! / bareResult.cpuMsPerCall!).toFixed(2)}`,
      `checks_cpu_ms_per_call=${checksCpu.toFixed(3)}`,
      `throughput_ratio_vs_peer=${(gatewayResult.perSecond / peer.perSecond).toFixed(2)}`,
      `added_p50_ms=${(gatewayResult.idleP50 - direct.idleP50).toFixed(3)}`,
      `scrub_mb_s=${scrub.mixedMbS.toFixed(1)}`,
      `scrub_dense_mb_s=${scrub.denseMbS.toFixed(1)}`,
      `policy_us=${policyUs.toFixed(2)}`,
      `bundle_gzip_kib=${bundle.gzipKiB.toFixed(1)}`,
      `startup_ms=${startup.toFixed(1)}`,
      `redis_round_trips=${redisRoundTrips.toFixed(2)}`,
      `leased_added_p50_ms=${(leasedResult.idleP50 - direct.idleP50).toFixed(3)}`,
      `leased_throughput_ratio_vs_peer=${(leasedResult.perSecond / peer.perSecond).toFixed(2)}`,
      `leased_redis_round_trips=${leasedRoundTrips.toFixed(3)}`,
      `leased_isolate_cpu_ms_per_call=${leasedResult.isolateMsPerCall!.toFixed(3)}`,
    ].join(" "),
  );
} finally {
  for (const stop of stoppers.reverse()) await stop();
}
