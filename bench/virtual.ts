// `npm run bench:virtual`: what a virtual server (`servers:` in policy, src/virtual/) adds, measured
// side by side in one run on loopback. Five small origins on node:http (20 tools each, every answer
// after a fixed delay: ORIGIN_DELAYS_MS) sit behind one gateway build (demo policy plus these origins,
// each its own endpoint `/mcp/v1` … `/mcp/v5`, and the virtual server `/mcp/fan` over all five; rate
// limits in a real redis-server behind the Upstash REST bridge), run in workerd.
//   fan-out    unloaded p50 of a tools/list at each origin's own endpoint, then at /mcp/fan (five
//              listings in parallel, merged): the added latency is fan's p50 minus the slowest single
//              endpoint's p50 (goal ≤ 1 ms). Again with every delay 0, where the gateway's own CPU for
//              the five inner listings is all there is to wait for.
//   routed     the gateway isolate's CPU per tools/call (V8 profile over the inspector, bench/isolate-cpu.ts)
//              of `v1__echo` through /mcp/fan against `echo` at /mcp/v1, under the same load
//              (autocannon, CONNECTIONS connections each on its own session), origins without delay
//              (goal: within 5%); and the whole workerd process's CPU for both. Measured in ROUNDS
//              alternating rounds; the summary gives the median round's ratio. BENCH_PROFILE_DUMP=1
//              builds unminified and keeps each target's profile in .warden/bench/virtual/.
// The last line is one key=value summary.

import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Agent, request as httpRequest } from "node:http";
import autocannon from "autocannon";
import { stringify } from "yaml";
import { buildWorker } from "../cli/build.js";
import { startGateway, TEST_SECRETS, type Gateway } from "../test/support/gateway.js";
import { startBridge, startRedis } from "../test/support/upstash-bridge.js";
import { profileIsolate } from "./isolate-cpu.js";
import { cpuMs, inWorkerd } from "./workerd.js";
import { openSession } from "./mcp-session.js";

const ORIGIN_PORTS = [22701, 22702, 22703, 22704, 22705];
const PORTS = { redis: 22711, bridge: 22712, inspector: 22721 };
const ORIGIN_DELAYS_MS = [2, 4, 6, 8, 10];
const TOOLS_PER_ORIGIN = 20;
const PROBE_CALLS = Number(process.env.BENCH_PROBES ?? 600);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = 3;
const CONNECTIONS = 8;
const DIR = ".warden/bench/virtual";

const delays = [...ORIGIN_DELAYS_MS];
const TOOLS = [
  { name: "echo", description: "Echoes the message back.", inputSchema: { type: "object", properties: { message: { type: "string" } }, required: ["message"] } },
  ...Array.from({ length: TOOLS_PER_ORIGIN - 1 }, (_, i) => ({
    name: `tool_${i}`,
    description: `Tool number ${i}: returns a short text about the item it is given.`,
    inputSchema: { type: "object", properties: { item: { type: "string", description: "the item" } }, required: ["item"] },
  })),
];

/** One bench origin: sessions, tools/list and tools/call, each answer after this origin's delay. */
function startOrigin(index: number): Promise<Server> {
  let sessions = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== "POST") return void response.writeHead(request.method === "DELETE" ? 200 : 405).end();
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const message = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id?: number | string; method: string; params?: { arguments?: { message?: string } } };
      if (message.id === undefined) return void response.writeHead(202).end();
      const reply = (result: unknown, headers: Record<string, string> = {}) => response.writeHead(200, { "content-type": "application/json", ...headers }).end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result }));
      if (message.method === "initialize") return reply({ protocolVersion: "2025-11-25", capabilities: { tools: { listChanged: true } }, serverInfo: { name: `v${index + 1}`, version: "1" } }, { "mcp-session-id": `s${++sessions}` });
      const answer = () => {
        if (message.method === "tools/list") return reply({ tools: TOOLS });
        if (message.method === "tools/call") return reply({ content: [{ type: "text", text: String(message.params?.arguments?.message ?? "") }] });
        reply({});
      };
      if (delays[index]! > 0) setTimeout(answer, delays[index]);
      else answer();
    });
  });
  return new Promise((resolve) => server.listen(ORIGIN_PORTS[index], "127.0.0.1", () => resolve(server)));
}

function policyYaml(): string {
  const origins = Object.fromEntries(ORIGIN_PORTS.map((port, i) => [`v${i + 1}`, { url: `http://127.0.0.1:${port}/mcp`, timeoutMs: 30_000 }]));
  return stringify({
    origins,
    rules: ORIGIN_PORTS.flatMap((_, i) => [
      { id: `v${i + 1}-echo`, effect: "allow", roles: ["viewer"], origin: `v${i + 1}`, tools: ["echo"], arguments: { message: { type: "string", maxLength: 200, required: true } } },
      { id: `v${i + 1}-tools`, effect: "allow", roles: ["viewer"], origin: `v${i + 1}`, tools: ["tool_*"] },
    ]),
    limits: ORIGIN_PORTS.map((_, i) => ({ id: `v${i + 1}-requests`, origin: `v${i + 1}`, limit: 10_000_000, window: "1m", fail: "closed" })),
    servers: { fan: { listTimeoutMs: 10_000, origins: ORIGIN_PORTS.map((_, i) => ({ origin: `v${i + 1}` })) } },
  });
}


/** Unloaded p50 of `body` at `url`: one keep-alive connection, one message at a time, after a warm-up. */
async function unloadedP50(url: string, headers: Record<string, string>, body: string, expect: (text: string) => boolean): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const request = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(body) }, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode === 200 && expect(text)) resolve(performance.now() - started);
          else reject(new Error(`${url}: HTTP ${response.statusCode} ${text.slice(0, 300)}`));
        });
      });
      request.on("error", reject);
      request.end(body);
    });
  for (let i = 0; i < 50; i++) await once();
  const latencies: number[] = [];
  for (let i = 0; i < PROBE_CALLS; i++) latencies.push(await once());
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return latencies[Math.floor(latencies.length / 2)]!;
}

const LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
const call = (name: string) => JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: { message: "benchmark message" } } });
const listed = (count: number) => (text: string) => (JSON.parse(text) as { result?: { tools?: unknown[] } }).result?.tools?.length === count;

/** tools/list latency at each origin's endpoint and at /mcp/fan, with the origins' current delays. */
async function fanOut(gateway: Gateway, token: string): Promise<{ singles: number[]; fan: number }> {
  const auth = { authorization: `Bearer ${token}` };
  const singles: number[] = [];
  for (let i = 0; i < ORIGIN_PORTS.length; i++) {
    const url = `${gateway.url}/mcp/v${i + 1}`;
    singles.push(await unloadedP50(url, await openSession(url, auth), LIST, listed(TOOLS_PER_ORIGIN)));
  }
  const url = `${gateway.url}/mcp/fan`;
  const fan = await unloadedP50(url, await openSession(url, auth), LIST, listed(TOOLS_PER_ORIGIN * ORIGIN_PORTS.length));
  return { singles, fan };
}

type CallCost = { isolateMs: number; processMs: number; perSecond: number; refused: number };

/**
 * The gateway's CPU per tools/call at `url` under load (CONNECTIONS connections, each on its own session):
 * the whole workerd process's from /proc over SECONDS, then its isolate's (V8 profile) over SECONDS more.
 * A few refusals under load (the fail-closed limiter's REST bridge, a Node process on the same cores,
 * answering late) are counted, not hidden; more than 1% ends the run.
 */
async function callCpu(gateway: Gateway & { pid: number }, url: string, sessions: Record<string, string>[], body: string): Promise<CallCost> {
  let next = 0;
  let refused = 0;
  const load = async (seconds: number) => {
    const result = await autocannon({ url, method: "POST", headers: sessions[0]!, body, connections: CONNECTIONS, duration: seconds, setupClient: (client) => client.setHeaders(sessions[next++ % CONNECTIONS]!) });
    refused += result.non2xx;
    if (result.errors || result.timeouts || result.non2xx > result.requests.total / 100) throw new Error(`${url}: ${result.non2xx} non-2xx (${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors, ${result.timeouts} timeouts`);
    return result.requests.total;
  };
  await load(1); // warm
  const before = cpuMs(gateway.pid);
  const calls = await load(SECONDS);
  const processMs = (cpuMs(gateway.pid) - before) / calls;
  let profiled = 0;
  const { activeMs, profile } = await profileIsolate(PORTS.inspector, "gateway", async () => void (profiled = await load(SECONDS)));
  if (process.env.BENCH_PROFILE_DUMP) writeFileSync(`${DIR}/${url.split("/").pop()}.cpuprofile`, JSON.stringify(profile));
  return { isolateMs: activeMs / profiled, processMs, perSecond: calls / SECONDS, refused };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const stoppers: (() => Promise<unknown> | void)[] = [];
try {
  for (let i = 0; i < ORIGIN_PORTS.length; i++) {
    const server = await startOrigin(i);
    stoppers.push(() => new Promise((resolve) => server.close(resolve)));
  }
  const redis = await startRedis(PORTS.redis);
  stoppers.push(() => void redis.kill());
  const bridge = await startBridge({ port: PORTS.bridge, redisPort: PORTS.redis });
  stoppers.push(() => bridge.close());
  mkdirSync(`${DIR}/policies`, { recursive: true });
  writeFileSync(`${DIR}/policies/virtual.yaml`, policyYaml());
  await buildWorker({ policyDirs: ["policies", `${DIR}/policies`], outFile: `${DIR}/gateway.js`, minify: !process.env.BENCH_PROFILE_DUMP });
  let token = "";
  const gateway = await inWorkerd<Gateway>(async () => {
    const handle = await startGateway({ scriptPath: `${DIR}/gateway.js`, bindings: { ...TEST_SECRETS, UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token }, directSocket: true, inspectorPort: PORTS.inspector });
    token = await handle.mint(["viewer"]);
    return handle;
  });
  stoppers.push(() => gateway.close());
  console.log(`bench:virtual: ${ORIGIN_PORTS.length} origins × ${TOOLS_PER_ORIGIN} tools, delays ${ORIGIN_DELAYS_MS.join("/")} ms; ${PROBE_CALLS} unloaded messages per p50; ${CONNECTIONS} connections × ${SECONDS} s per CPU figure`);

  const delayed = await fanOut(gateway, token);
  delays.fill(0);
  const immediate = await fanOut(gateway, token);
  // Direct and routed in turn, ROUNDS times: other load on the machine drifts, so each round's ratio
  // compares two measurements taken back to back, and the median round is reported.
  const auth = { authorization: `Bearer ${token}` };
  const sessionsAt = (url: string) => Promise.all(Array.from({ length: CONNECTIONS }, () => openSession(url, auth)));
  const directUrl = `${gateway.url}/mcp/v1`;
  const routedUrl = `${gateway.url}/mcp/fan`;
  const [directSessions, routedSessions] = [await sessionsAt(directUrl), await sessionsAt(routedUrl)];
  const rounds: { direct: CallCost; routed: CallCost }[] = [];
  for (let round = 0; round < ROUNDS; round++) rounds.push({ direct: await callCpu(gateway, directUrl, directSessions, call("echo")), routed: await callCpu(gateway, routedUrl, routedSessions, call("v1__echo")) });
  const isolateRatios = rounds.map(({ direct, routed }) => routed.isolateMs / direct.isolateMs);
  const processRatios = rounds.map(({ direct, routed }) => routed.processMs / direct.processMs);
  const middle = rounds[isolateRatios.indexOf(median(isolateRatios))]!;

  const slowest = (singles: number[]) => Math.max(...singles);
  const row = (name: string, { singles, fan }: { singles: number[]; fan: number }) =>
    console.log(`tools/list p50, ${name}: each origin's endpoint ${singles.map((p50) => p50.toFixed(2)).join(" / ")} ms; /mcp/fan over all ${fan.toFixed(2)} ms (+${(fan - slowest(singles)).toFixed(2)} ms over the slowest)`);
  row(`origins answering after ${ORIGIN_DELAYS_MS.join("/")} ms`, delayed);
  row("origins answering at once", immediate);
  const callRow = (name: string, r: CallCost) => `${name} ${r.perSecond.toFixed(0)} calls/s, isolate ${r.isolateMs.toFixed(3)} ms/call, process ${r.processMs.toFixed(3)} ms/call${r.refused ? `, ${r.refused} refused under load` : ""}`;
  rounds.forEach(({ direct, routed }, round) => console.log(`round ${round + 1}: ${callRow("echo at /mcp/v1", direct)}; ${callRow("v1__echo at /mcp/fan", routed)}; routed ÷ direct ${isolateRatios[round]!.toFixed(3)} isolate, ${processRatios[round]!.toFixed(3)} process`));
  console.log(
    [
      `fanout_added_p50_ms=${(delayed.fan - slowest(delayed.singles)).toFixed(3)}`,
      `fanout_p50_ms=${delayed.fan.toFixed(3)}`,
      `slowest_single_p50_ms=${slowest(delayed.singles).toFixed(3)}`,
      `fanout_undelayed_added_p50_ms=${(immediate.fan - slowest(immediate.singles)).toFixed(3)}`,
      `routed_isolate_cpu_ms=${middle.routed.isolateMs.toFixed(3)}`,
      `direct_isolate_cpu_ms=${middle.direct.isolateMs.toFixed(3)}`,
      `routed_cpu_ratio=${median(isolateRatios).toFixed(3)}`,
      `routed_process_cpu_ratio=${median(processRatios).toFixed(3)}`,
    ].join(" "),
  );
} finally {
  for (const stop of stoppers.reverse()) await stop();
}
