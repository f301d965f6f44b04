// `npm run bench:scale`: how the gateway's cost grows with the work a message carries. The bench
// gateway build (demo policy plus a `scale` origin served by this script on loopback) runs in workerd
// with its inspector open; each point is the gateway isolate's CPU (V8 profile, bench/isolate-cpu.ts)
// per operation, and for answers also the isolate's peak JS heap (Runtime.getHeapUsage polled while the
// answer streams) and what it retains mid-stream after a full GC (JS heap, ArrayBuffer backing stores,
// workerd's resident memory; retainedMidStream). Curves:
//   tools     tools/list of 10 → 10,000 tools, half filtered out by policy, scrubbed, and pinned
//             (pins generated for each size), ms per listing;
//   answer    a tools/call answered with 1 KB → 50 MB streamed as 64 KiB progress notifications,
//             ms of CPU per MB and peak heap;
//   policy    the policy decision (node, PolicyEngine) with 10 → 10,000 rules and 10 → 1,000 roles;
//   sessions  1 → 1,000 concurrent MCP sessions, each calling once, 50 at a time: ms per call, heap after.
// Each curve's slope is the least-squares slope of log(cost) over log(size): 1 is linear, 0 flat. The
// script writes docs/perf/scale.json and one PNG per curve (an SVG chart rendered by headless Chromium).

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { stringify } from "yaml";
import { buildWorker } from "../cli/build.js";
import { definitionHash } from "../src/integrity/definition.js";
import { compilePolicy } from "../src/policy/build/compile.js";
import { PolicyEngine } from "../src/policy/decide.js";
import { startGateway, TEST_SECRETS, type Gateway } from "../test/support/gateway.js";
import { Inspector, profileIsolate, targetUrl } from "./isolate-cpu.js";
import { inWorkerd } from "./workerd.js";

const PORTS = { origin: 22131, inspector: 22132 };
const ORIGIN_URL = `http://127.0.0.1:${PORTS.origin}/mcp`;
const CHUNK = 64 * 1024;
const DIR = ".warden/scale";

// The scale origin: N tools in its listing, and a `blob` tool whose answer streams `answerBytes`.
const state: { tools: number; answerBytes: number; halfway?: { reached(): void; resume: Promise<void> } } = { tools: 10, answerBytes: 1024 };
let sessions = 0;
const tool = (i: number) => ({
  name: i % 2 ? `hidden_${i}` : `tool_${i}`,
  description: `Tool number ${i}: returns a short text about the item it is given.`,
  inputSchema: { type: "object", properties: { item: { type: "string", description: "the item" } }, required: ["item"] },
});
const tools = (count: number) => [...Array.from({ length: count - 1 }, (_, i) => tool(i)), { name: "blob", description: "A large answer.", inputSchema: { type: "object", properties: {} } }];

function originHandler(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", async () => {
    const message = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id?: number; method: string; params?: { _meta?: { progressToken?: string | number } } };
    if (message.id === undefined) return void response.writeHead(202).end();
    const reply = (result: unknown, headers: Record<string, string> = {}) => response.writeHead(200, { "content-type": "application/json", ...headers }).end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result }));
    if (message.method === "initialize") return reply({ protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "scale", version: "1" } }, { "mcp-session-id": `s${++sessions}` });
    if (message.method === "tools/list") return reply({ tools: tools(state.tools) });
    if ((message.params as { name?: string }).name !== "blob") return reply({ content: [{ type: "text", text: "an item" }] });
    response.writeHead(200, { "content-type": "text/event-stream" });
    const text = "lorem ipsum dolor sit amet ".repeat(Math.ceil(CHUNK / 27)).slice(0, CHUNK);
    const token = message.params?._meta?.progressToken ?? 1;
    const count = Math.max(1, Math.round(state.answerBytes / CHUNK));
    const halfway = state.halfway;
    for (let i = 0; i < count; i++) {
      // A measured answer stops halfway until the bench has looked at the gateway holding it.
      if (halfway && i === Math.floor(count / 2)) {
        halfway.reached();
        await halfway.resume;
      }
      const event = `event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: token, progress: i + 1, total: count, message: text.slice(0, Math.min(CHUNK, state.answerBytes)) } })}\n\n`;
      if (!response.write(event)) await new Promise((resolve) => response.once("drain", resolve));
    }
    response.end(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id: message.id, result: { content: [{ type: "text", text: "done" }] } })}\n\n`);
  });
}

async function buildFor(toolCount: number): Promise<void> {
  rmSync(`${DIR}/policies`, { recursive: true, force: true });
  mkdirSync(`${DIR}/policies/pins`, { recursive: true });
  writeFileSync(
    `${DIR}/policies/scale.yaml`,
    stringify({
      origins: { scale: { url: ORIGIN_URL, timeoutMs: 120_000, integrity: { drift: "block" } } },
      rules: [
        { id: "scale-list", effect: "allow", roles: ["viewer"], origin: "scale", tools: ["tool_*"], arguments: { item: { type: "string", maxLength: 100, required: true } } },
        { id: "scale-blob", effect: "allow", roles: ["viewer"], origin: "scale", tools: ["blob"] },
      ],
    }),
  );
  const pinned: Record<string, { sha256: string; definition: unknown }> = {};
  for (const definition of tools(toolCount)) pinned[definition.name] = { sha256: await definitionHash(definition), definition };
  writeFileSync(`${DIR}/policies/pins/scale.yaml`, stringify({ origin: "scale", tools: pinned }));
  await buildWorker({ policyDirs: ["policies", `${DIR}/policies`], outFile: `${DIR}/gateway.js` });
}

type Client = { url: string; headers: Record<string, string> };

/**
 * fetch, once more when a pooled keep-alive connection turns out to be closed: a new gateway can get the
 * port a stopped one had, and undici's pool still holds that one's connections.
 */
async function request(url: string, init: RequestInit): Promise<Response> {
  const bounded = { ...init, signal: AbortSignal.timeout(120_000) };
  try {
    return await fetch(url, bounded);
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== "UND_ERR_SOCKET") throw error;
    return fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
  }
}

async function session(gateway: Gateway, token: string): Promise<Client> {
  const url = `${gateway.url}/mcp/scale`;
  const base = { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` };
  const init = await request(url, { method: "POST", headers: base, body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "scale", version: "1" } } }) });
  await init.text();
  if (init.status !== 200) throw new Error(`initialize: HTTP ${init.status}`);
  const headers = { ...base, "mcp-protocol-version": "2025-11-25", "mcp-session-id": init.headers.get("mcp-session-id")! };
  await (await request(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) })).text();
  return { url, headers };
}

async function send(client: Client, method: string, params: unknown): Promise<number> {
  const response = await request(client.url, { method: "POST", headers: client.headers, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = await response.text();
  if (response.status !== 200 || body.includes('"error"')) throw new Error(`${method}: HTTP ${response.status} ${body.slice(0, 300)}`);
  return body.length;
}

/** Peak JS heap of the isolate while `work` runs, polled every 5 ms. */
async function peakHeap(work: () => Promise<unknown>): Promise<number> {
  const inspector = await Inspector.open(await targetUrl(PORTS.inspector, "gateway"));
  try {
    await inspector.send("HeapProfiler.collectGarbage");
    let peak = 0;
    let done = false;
    const poll = (async () => {
      while (!done) {
        const { usedSize } = await inspector.send<{ usedSize: number }>("Runtime.getHeapUsage");
        peak = Math.max(peak, usedSize);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await work().finally(() => (done = true));
    await poll;
    return peak;
  } finally {
    inspector.close();
  }
}

type HeapUsage = { usedSize: number; backingStorageSize?: number };
/** What the isolate holds at a point in the stream: JS heap and ArrayBuffer backing stores (chunks live there), MiB. */
type Retained = { heapMiB: number; buffersMiB: number; rssMiB: number };

/**
 * Memory the isolate retains while an answer of `bytes` streams through it. Measured after a full GC
 * before the call (baseline), and mid-stream: the origin stops after half of its events, and once the
 * client has received that half the gateway has relayed it and waits on the origin, holding whatever
 * it holds of the answer so far; a full GC, then the measure. Garbage is not counted; ArrayBuffer
 * backing stores (outside the JS heap) are, and so is the workerd process's resident memory.
 */
async function retainedMidStream(client: Client, call: string, bytes: number, pid: number): Promise<{ before: Retained; mid: Retained }> {
  const inspector = await Inspector.open(await targetUrl(PORTS.inspector, "gateway"));
  // workerd runs an inspector command on an isolate that is waiting on I/O only once the isolate is next
  // entered: a cheap request to the gateway enters it, repeated until the command has answered.
  const entered = async <T>(command: Promise<T>): Promise<T> => {
    let answered = false;
    const poke = (async () => {
      while (!answered) {
        await (await fetch(new URL("/.well-known/mcp-warden", client.url))).text();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      return await command;
    } finally {
      answered = true;
      await poke;
    }
  };
  const measure = async (): Promise<Retained> => {
    await entered(inspector.send("HeapProfiler.collectGarbage"));
    const usage = await entered(inspector.send<HeapUsage>("Runtime.getHeapUsage"));
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
    return { heapMiB: usage.usedSize / 1024 ** 2, buffersMiB: (usage.backingStorageSize ?? Number.NaN) / 1024 ** 2, rssMiB: rss };
  };
  let resume!: () => void;
  let reached!: () => void;
  const atHalf = new Promise<void>((resolve) => (reached = resolve));
  state.halfway = { reached, resume: new Promise<void>((resolve) => (resume = resolve)) };
  try {
    const before = await measure();
    const response = await request(client.url, { method: "POST", headers: client.headers, body: call });
    const reader = response.body!.getReader();
    let received = 0;
    let mid: Retained | undefined;
    for (;;) {
      if (!mid && received >= bytes / 2) {
        await atHalf;
        mid = await measure();
        resume();
      }
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
    }
    if (!mid) throw new Error(`answer ended after ${received} bytes, before half of ${bytes}`);
    return { before, mid };
  } finally {
    state.halfway = undefined;
    resume();
    inspector.close();
  }
}

let lastGateway: Gateway | undefined;
process.on("exit", () => lastGateway && console.error(lastGateway.logs.filter((line) => !line.includes('"audit"')).slice(-20).join("\n")));
async function startScaleGateway(): Promise<{ gateway: Gateway & { pid: number }; token: string }> {
  const gateway = await inWorkerd(() => startGateway({ scriptPath: `${DIR}/gateway.js`, bindings: TEST_SECRETS, directSocket: true, inspectorPort: PORTS.inspector }));
  lastGateway = gateway;
  return { gateway, token: await gateway.mint(["viewer"]) };
}

type Point = { x: number; y: number; heapMiB?: number; retained?: { before: Retained; mid: Retained } };
type Curve = { name: string; title: string; xLabel: string; yLabel: string; points: Point[]; slope?: number };

function slope(points: Point[]): number {
  const xs = points.map((p) => Math.log(p.x));
  const ys = points.map((p) => Math.log(p.y));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  return xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i]! - my), 0) / xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
}

/** A log-log line chart as SVG. */
function svg(curve: Curve, series: { label: string; color: string; points: Point[] }[]): string {
  const W = 800, H = 500, L = 90, R = 30, T = 50, B = 70;
  const all = series.flatMap((s) => s.points);
  const [x0, x1] = [Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x))];
  const [y0, y1] = [Math.min(...all.map((p) => p.y)) / 1.5, Math.max(...all.map((p) => p.y)) * 1.5];
  const px = (x: number) => L + ((Math.log(x) - Math.log(x0)) / (Math.log(x1) - Math.log(x0) || 1)) * (W - L - R);
  const py = (y: number) => H - B - ((Math.log(y) - Math.log(y0)) / (Math.log(y1) - Math.log(y0) || 1)) * (H - T - B);
  const ticks = (lo: number, hi: number) => { const out: number[] = []; for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++) if (10 ** d >= lo / 1.01 && 10 ** d <= hi * 1.01) out.push(10 ** d); return out; };
  const fmt = (v: number) => (v >= 1000 ? `${v / 1000}k` : String(Number(v.toPrecision(2))));
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="14"><rect width="${W}" height="${H}" fill="white"/>`];
  parts.push(`<text x="${W / 2}" y="28" text-anchor="middle" font-size="17">${curve.title}</text>`);
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`);
  for (const t of ticks(x0, x1)) parts.push(`<line x1="${px(t)}" y1="${H - B}" x2="${px(t)}" y2="${H - B + 6}" stroke="black"/><text x="${px(t)}" y="${H - B + 22}" text-anchor="middle">${fmt(t)}</text>`);
  for (const t of ticks(y0, y1)) parts.push(`<line x1="${L - 6}" y1="${py(t)}" x2="${W - R}" y2="${py(t)}" stroke="#ddd"/><text x="${L - 10}" y="${py(t) + 5}" text-anchor="end">${fmt(t)}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 20}" text-anchor="middle">${curve.xLabel} (log)</text>`);
  parts.push(`<text transform="translate(22 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${curve.yLabel} (log)</text>`);
  series.forEach((s, i) => {
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.5" points="${s.points.map((p) => `${px(p.x)},${py(p.y)}`).join(" ")}"/>`);
    for (const p of s.points) parts.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="4" fill="${s.color}"/>`);
    parts.push(`<text x="${L + 20}" y="${T + 20 + i * 20}" fill="${s.color}">${s.label}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

function png(name: string, content: string): void {
  writeFileSync(`${DIR}/${name}.svg`, content);
  execFileSync("chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", `--screenshot=${process.cwd()}/docs/perf/${name}.png`, "--window-size=800,500", `file://${process.cwd()}/${DIR}/${name}.svg`], { stdio: "ignore" });
}

mkdirSync("docs/perf", { recursive: true });
mkdirSync(DIR, { recursive: true });
const origin = createServer(originHandler);
await new Promise<void>((resolve) => origin.listen(PORTS.origin, "127.0.0.1", resolve));
const curves: Curve[] = [];
try {
  // Tools in a listing.
  const toolPoints: Point[] = [];
  for (const count of process.env.SCALE_SKIP_TOOLS ? [] : [10, 100, 1000, 10_000]) {
    state.tools = count;
    await buildFor(count);
    const { gateway, token } = await startScaleGateway();
    try {
      const client = await session(gateway, token);
      await send(client, "tools/list", {});
      const rounds = Math.max(3, Math.round(2000 / count));
      const { activeMs } = await profileIsolate(PORTS.inspector, "gateway", async () => {
        for (let i = 0; i < rounds; i++) await send(client, "tools/list", {});
      });
      toolPoints.push({ x: count, y: activeMs / rounds });
      console.log(`tools/list of ${count} tools: ${(activeMs / rounds).toFixed(3)} ms`);
    } finally {
      await gateway.close();
    }
  }
  curves.push({ name: "scale-tools", title: "tools/list: gateway isolate CPU per listing", xLabel: "tools listed (half filtered, all pinned, scrubbed)", yLabel: "ms per listing", points: toolPoints });

  // Answer size, and sessions, on one gateway.
  state.tools = 10;
  await buildFor(10);
  const { gateway, token } = await startScaleGateway();
  try {
    const client = await session(gateway, token);
    const answerPoints: Point[] = [];
    for (const bytes of [1024, 64 * 1024, 1024 ** 2, 10 * 1024 ** 2, 50 * 1024 ** 2]) {
      state.answerBytes = bytes;
      const rounds = Math.max(2, Math.round((20 * 1024 ** 2) / bytes / 10));
      const call = () => send(client, "tools/call", { name: "blob", arguments: {}, _meta: { progressToken: "p" } });
      await call();
      const { activeMs } = await profileIsolate(PORTS.inspector, "gateway", async () => {
        for (let i = 0; i < Math.min(rounds, 50); i++) await call();
      });
      const heap = await peakHeap(call);
      const ms = activeMs / Math.min(rounds, 50);
      const retained = bytes >= 1024 ** 2 ? await retainedMidStream(client, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "blob", arguments: {}, _meta: { progressToken: "p" } } }), bytes, gateway.pid) : undefined;
      answerPoints.push({ x: bytes / 1024, y: ms, heapMiB: heap / 1024 ** 2, ...(retained ? { retained } : {}) });
      const held = retained ? `; retained mid-stream (before the call): heap ${retained.mid.heapMiB.toFixed(2)} MiB (${retained.before.heapMiB.toFixed(2)}), buffers ${retained.mid.buffersMiB.toFixed(2)} MiB (${retained.before.buffersMiB.toFixed(2)}), workerd RSS ${retained.mid.rssMiB.toFixed(1)} MiB (${retained.before.rssMiB.toFixed(1)})` : "";
      console.log(`answer of ${(bytes / 1024).toFixed(0)} KiB: ${ms.toFixed(3)} ms, ${(ms / (bytes / 1024 ** 2)).toFixed(2)} ms/MiB, peak heap ${(heap / 1024 ** 2).toFixed(1)} MiB${held}`);
    }
    curves.push({ name: "scale-answer", title: "Streamed answer: gateway isolate CPU and peak heap", xLabel: "answer size, KiB", yLabel: "ms per answer / MiB heap", points: answerPoints });
  } finally {
    await gateway.close();
  }
  {
    const { gateway, token } = await startScaleGateway();
    try {

    const sessionPoints: Point[] = [];
    for (const count of [1, 10, 100, 1000]) {
      const clients: Client[] = [];
      for (let i = 0; i < count; i += 50) clients.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => session(gateway, token)))));
      let next = 0;
      const { activeMs } = await profileIsolate(PORTS.inspector, "gateway", async () => {
        await Promise.all(Array.from({ length: Math.min(50, count) }, async () => {
          while (next < Math.max(count, 200)) await send(clients[next++ % count]!, "tools/call", { name: "tool_0", arguments: { item: "x" } });
        }));
      });
      const heap = await peakHeap(async () => {});
      const calls = Math.max(count, 200);
      sessionPoints.push({ x: count, y: activeMs / calls, heapMiB: heap / 1024 ** 2 });
      console.log(`${count} sessions: ${(activeMs / calls).toFixed(3)} ms per call, heap ${(heap / 1024 ** 2).toFixed(1)} MiB`);
    }
    curves.push({ name: "scale-sessions", title: "Concurrent sessions: gateway isolate CPU per call", xLabel: "sessions, each calling", yLabel: "ms per call / MiB heap", points: sessionPoints });
    } finally {
      await gateway.close();
    }
  }

  // Policy size (node: the decision is pure code).
  const policyPoints: Point[] = [];
  for (const [rules, roleCount] of [[10, 10], [100, 10], [1000, 100], [10_000, 1000]] as const) {
    const roles = Object.fromEntries(Array.from({ length: roleCount }, (_, i) => [`role-${i}`, i ? { inherits: [`role-${i - 1}`] } : {}]));
    const ruleList = Array.from({ length: rules }, (_, i) => ({ id: `r${i}`, effect: "allow", roles: [`role-${i % roleCount}`], origin: "o", tools: [`tool_${i}`], arguments: { n: { type: "integer", min: 0, max: 100 } } }));
    const engine = new PolicyEngine(compilePolicy([{ file: "scale.yaml", content: { origins: { o: { url: "https://o.example/mcp" } }, roles, rules: ruleList } }]));
    const callerRoles = engine.expandRoles([`role-${roleCount - 1}`]);
    const rounds = 100_000;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) engine.decide("o", "tool", `tool_${(i * 7919) % rules}`, callerRoles, { n: i % 100 });
    const us = ((performance.now() - started) * 1000) / rounds;
    policyPoints.push({ x: rules, y: us });
    console.log(`policy of ${rules} rules × ${roleCount} roles: ${us.toFixed(2)} µs per decision`);
  }
  curves.push({ name: "scale-policy", title: "Policy decision (node) against policy size", xLabel: "rules (roles: rules/10, at most 1,000)", yLabel: "µs per decision", points: policyPoints });
} finally {
  origin.close();
}

// The slope over the whole range, and over the three largest sizes (where the size, not the fixed cost of a message, dominates).
for (const curve of curves) {
  curve.slope = slope(curve.points);
  const tail = slope(curve.points.slice(-3));
  const series = [{ label: `${curve.yLabel.split(" / ")[0]} — slope ${curve.slope.toFixed(2)}, ${tail.toFixed(2)} over the 3 largest`, color: "#1f6feb", points: curve.points }];
  const heap = curve.points.filter((p) => p.heapMiB !== undefined).map((p) => ({ x: p.x, y: p.heapMiB! }));
  const heapTail = heap.length ? slope(heap.slice(-3)) : 0;
  if (heap.length) series.push({ label: `peak JS heap, MiB — slope ${slope(heap).toFixed(2)}, ${heapTail.toFixed(2)} over the 3 largest`, color: "#d1242f", points: heap });
  const retained = curve.points.filter((p) => p.retained).map((p) => ({ x: p.x, y: p.retained!.mid.heapMiB + p.retained!.mid.buffersMiB }));
  if (retained.length) series.push({ label: `retained mid-stream after GC (heap + buffers), MiB — slope ${slope(retained).toFixed(2)}`, color: "#2da44e", points: retained });
  png(curve.name, svg(curve, series));
  Object.assign(curve, { tailSlope: tail, ...(heap.length ? { heapSlope: slope(heap), heapTailSlope: heapTail } : {}), ...(retained.length ? { retainedSlope: slope(retained) } : {}) });
  console.log(`${curve.name}: slope ${curve.slope.toFixed(2)} (${tail.toFixed(2)} over the 3 largest)${heap.length ? `, heap slope ${slope(heap).toFixed(2)} (${heapTail.toFixed(2)})` : ""}${retained.length ? `, retained mid-stream slope ${slope(retained).toFixed(2)}` : ""}`);
}
writeFileSync("docs/perf/scale.json", `${JSON.stringify(curves, null, 2)}\n`);
