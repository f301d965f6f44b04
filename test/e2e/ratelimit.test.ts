// Rate limits end to end, against both stores: Upstash (@upstash/ratelimit through a REST bridge
// over a real redis-server) and the embedded Durable Object. Exact counts under concurrency, costs,
// bytes, window reset, isolation between principals, origin ceilings, headers and error data, one
// round trip per call, failure modes with Redis stopped or slow, and the abuse cooldown. Anomaly
// detection (the `t-watch` and `t-guard` watches of test/fixtures/policies): first use, a spike over
// the principal's own baseline (seeded into Redis for the previous hours), the ceiling, each flagged
// once, and a finding that cools the caller down.

import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, TEST_SECRETS, type Gateway } from "../support/gateway.js";
import { jsonBody, post } from "../support/mcp-client.js";
import { PORTS } from "../support/ports.js";
import { startTestOrigin, type TestOrigin } from "../support/test-origin.js";
import { REDIS_INSTALL, REDIS_TAG, redisInstalled, redisRequired, runRedisTests } from "../support/redis.js";
import { startBridge, startRedis, type Bridge } from "../support/upstash-bridge.js";
import { Redis } from "ioredis";

let recorder: TestOrigin;
let redis: ChildProcess;
let bridge: Bridge;

beforeAll(async () => {
  recorder = await startTestOrigin(PORTS.recorder);
  if (!runRedisTests) return;
  if (!redisInstalled) throw new Error(`CI=true requires the Redis-backed tests, and there is no redis-server on PATH: ${REDIS_INSTALL}`);
  redis = await startRedis(PORTS.redis);
  bridge = await startBridge({ port: PORTS.bridge, redisPort: PORTS.redis });
});
afterAll(async () => {
  await recorder?.close();
  await bridge?.close();
  redis?.kill();
});

/** tools/call in the stateless revision: one HTTP request per call, no session needed. */
function call(gateway: Gateway, token: string, name: string, origin = "recorder") {
  return post(`${gateway.url}/mcp/${origin}`, JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name, arguments: origin === "everything" ? { message: "hi" } : {} } }), {
    authorization: `Bearer ${token}`,
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": "tools/call",
    "mcp-name": name,
  });
}

async function statuses(responses: Promise<Response>[]): Promise<number[]> {
  return Promise.all(responses.map(async (pending) => {
    const response = await pending;
    await response.arrayBuffer();
    return response.status;
  }));
}

const count = (list: number[], status: number) => list.filter((value) => value === status).length;

/** The audit event of the last call of this tool: emitted when the answer is over, so polled briefly. */
async function auditEventFor(gateway: Gateway, tool: string): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const event = gateway.logs.filter((line) => line.startsWith('{"audit"')).map((line) => JSON.parse(line).audit).findLast((candidate) => candidate.target === tool);
    if (event) return event;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no audit event for ${tool}`);
}

/** Counts start again at each window boundary: a test that counts within one window starts well away from its end. */
async function awayFromWindowEnd(windowMs: number, marginMs: number): Promise<void> {
  const toNextWindow = windowMs - (Date.now() % windowMs);
  if (toNextWindow < marginMs) await new Promise((resolve) => setTimeout(resolve, toNextWindow + 200));
}

/** Hourly anomaly counts start again each UTC hour. */
const awayFromHourEnd = () => awayFromWindowEnd(3_600_000, 20_000);
/** The one-minute limits (t-limited, t-costly, t-audit) count within one minute. */
const awayFromMinuteEnd = () => awayFromWindowEnd(60_000, 20_000);

/** The anomaly flag events about one principal, once `expected` of them are out. */
async function anomalyFlags(gateway: Gateway, principal: string, expected: number): Promise<Record<string, unknown>[]> {
  const flags = () =>
    gateway.logs
      .filter((line) => line.startsWith('{"audit"'))
      .map((line) => JSON.parse(line).audit)
      .filter((event) => event.decision === "flag" && event.principal === principal && event.anomaly);
  for (let attempt = 0; attempt < 50 && flags().length < expected; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
  return flags().map((event) => ({ target: event.target, abuse: event.abuse, reason: event.reason, ...event.anomaly }));
}

it.runIf(redisRequired)(`${REDIS_TAG} has redis-server on PATH, which CI requires (${REDIS_INSTALL})`, () => {
  expect(redisInstalled).toBe(true);
});

/** The same behaviour from both stores. */
function storeSuite(store: "upstash" | "embedded"): void {
  let gateway: Gateway;
  beforeAll(async () => {
    if (store === "upstash") await bridge.flushAll();
    gateway = await startGateway({
      bindings: store === "upstash" ? { ...TEST_SECRETS, UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token } : TEST_SECRETS,
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it("lets exactly 10 of 50 concurrent calls through a limit of 10, and never limits another principal", async () => {
    const alice = await gateway.mint(["viewer"]);
    const bob = await gateway.mint(["viewer"]);
    await statuses([call(gateway, await gateway.mint(["viewer"]), "limited-a")]); // loads the scripts
    await awayFromMinuteEnd();
    const results = await statuses(Array.from({ length: 50 }, () => call(gateway, alice, "limited-a")));
    expect({ allowed: count(results, 200), limited: count(results, 429) }).toEqual({ allowed: 10, limited: 40 });
    expect(await statuses([call(gateway, bob, "limited-a")])).toEqual([200]);
  });

  it("answers 429 with Retry-After, RateLimit headers and the limit in the error data; allowed calls carry the budget", async () => {
    const token = await gateway.mint(["viewer"]);
    await awayFromMinuteEnd();
    const first = await call(gateway, token, "limited-b");
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe('"t-limited";q=10;w=60');
    expect(first.headers.get("ratelimit")).toMatch(/^"t-limited";r=9;t=\d+$/);
    await first.text();
    // One after another: concurrency is the previous test's subject; this one checks headers and data.
    for (let i = 0; i < 9; i++) expect(await statuses([call(gateway, token, "limited-b")])).toEqual([200]);
    const limited = await call(gateway, token, "limited-b");
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get("ratelimit")).toBe(`"t-limited";r=0;t=${retryAfter}`);
    const body = await jsonBody(limited);
    expect(body).toMatchObject({ id: 5, error: { code: -32029, data: { limit: "t-limited", retryAfter } } });
    expect(body.error.message).toContain('limit "t-limited" reached');
  });

  it("weighs expensive tools by cost", async () => {
    const token = await gateway.mint(["viewer"]);
    await awayFromMinuteEnd();
    const results: number[] = [];
    for (let i = 0; i < 3; i++) results.push(...(await statuses([call(gateway, token, "costly")])));
    expect(results).toEqual([200, 200, 429]);
  });

  it("opens a new window when the old one ends", async () => {
    const token = await gateway.mint(["viewer"]);
    // Start right after a 2 s window boundary so that the burst fits in one window.
    await new Promise((resolve) => setTimeout(resolve, 2000 - (Date.now() % 2000) + 20));
    const burst = await statuses(Array.from({ length: 4 }, () => call(gateway, token, "reset-a")));
    expect(count(burst, 200)).toBe(3);
    expect(count(burst, 429)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2000 - (Date.now() % 2000) + 20));
    expect(await statuses([call(gateway, token, "reset-a")])).toEqual([200]);
  });

  it("limits answer bytes per principal", async () => {
    const token = await gateway.mint(["viewer"]);
    const results: number[] = [];
    for (let i = 0; i < 5; i++) {
      results.push(...(await statuses([call(gateway, token, "bytes-a")])));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Each answer is about 80 bytes against a budget of 200: three fit, then the budget is spent.
    expect(results).toEqual([200, 200, 200, 429, 429]);
  });

  it("applies a per-origin ceiling across principals", async () => {
    const tokens = await Promise.all(Array.from({ length: 6 }, () => gateway.mint(["viewer"])));
    const results: number[] = [];
    for (const token of tokens) results.push(...(await statuses([call(gateway, token, "ceiling-a")])));
    expect(results).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it("hammering echo as a viewer gives 429s with a retry hint and no 5xx", async () => {
    // Windows are aligned to the clock: a run crossing into the next minute would see the sliding
    // window's weighted previous count, and the exact figures below would shift by one.
    const toNextMinute = 60_000 - (Date.now() % 60_000);
    if (toNextMinute < 8_000) await new Promise((resolve) => setTimeout(resolve, toNextMinute + 200));
    const token = await gateway.mint(["viewer"]);
    const url = `${gateway.url}/mcp/everything`;
    const opened = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }), { authorization: `Bearer ${token}` });
    await opened.text();
    const headers = { authorization: `Bearer ${token}`, "mcp-session-id": opened.headers.get("mcp-session-id")!, "mcp-protocol-version": "2025-11-25" };
    const results: number[] = [];
    for (let i = 0; i < 70; i++) {
      const response = await post(url, JSON.stringify({ jsonrpc: "2.0", id: i + 1, method: "tools/call", params: { name: "echo", arguments: { message: "hi" } } }), headers);
      if (response.status === 429) expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      results.push(...(await statuses([Promise.resolve(response)])));
    }
    // 60 requests a minute for viewers: initialize was the first of them.
    expect(count(results, 200)).toBe(59);
    expect(count(results, 429)).toBe(11);
    expect(results.filter((status) => status >= 500)).toEqual([]);
  });

  it("flags a burst of denied calls and cools the principal down", async () => {
    const token = await gateway.mint(["viewer"]);
    const denied = await statuses(Array.from({ length: 21 }, () => call(gateway, token, "get-env", "everything")));
    expect(count(denied, 403)).toBe(21);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await call(gateway, token, "echo", "everything");
    expect(after.status).toBe(429);
    expect((await jsonBody(after)).error.data.limit).toBe("abuse-cooldown");
    const flags = gateway.logs.filter((line) => line.includes('"decision":"flag"'));
    expect(flags.length).toBeGreaterThanOrEqual(1);
  });

  it("flags a principal's first use of a tool, a spike over its minimum and the ceiling, each once", async () => {
    await awayFromHourEnd();
    const principal = `anomaly-${store}-flags`;
    const token = await gateway.mint(["viewer"], { principal });
    const results: number[] = [];
    for (let i = 0; i < 14; i++) results.push(...(await statuses([call(gateway, token, "watched-a")])));
    results.push(...(await statuses([call(gateway, token, "watched-b")])));
    // Only flagged: every call goes through.
    expect(results).toEqual(Array(15).fill(200));
    const flag = { abuse: expect.stringMatching(/^unusual use: /), reason: "flagged", watch: "t-watch", action: "flag" };
    expect(await anomalyFlags(gateway, principal, 4)).toEqual([
      { ...flag, target: "watched-a", finding: "first-use", measure: 0, threshold: 1 },
      // No history: the baseline is 0, so the minimum (4) is the threshold, passed by the 5th call.
      { ...flag, target: "watched-a", finding: "spike", measure: 5, threshold: 4, baseline: 0 },
      { ...flag, target: "watched-a", finding: "ceiling", measure: 13, threshold: 12 },
      { ...flag, target: "watched-b", finding: "first-use", measure: 0, threshold: 1 },
    ]);
    // Another principal's use is its own: its first call of the same tool is a first use again.
    const other = `anomaly-${store}-other`;
    expect(await statuses([call(gateway, await gateway.mint(["viewer"], { principal: other }), "watched-a")])).toEqual([200]);
    expect(await anomalyFlags(gateway, other, 1)).toMatchObject([{ target: "watched-a", finding: "first-use" }]);
  });

  it("cools the caller down when the policy says so for a finding, from the call that showed it", async () => {
    await awayFromHourEnd();
    const principal = `anomaly-${store}-guarded`;
    const token = await gateway.mint(["viewer"], { principal });
    const results: number[] = [];
    for (let i = 0; i < 3; i++) results.push(...(await statuses([call(gateway, token, "guarded-a")])));
    const crossing = await call(gateway, token, "guarded-a");
    expect([...results, crossing.status]).toEqual([200, 200, 200, 429]);
    expect(await jsonBody(crossing)).toMatchObject({ error: { code: -32029, message: expect.stringContaining("unusual use of this tool"), data: { limit: "abuse-cooldown", retryAfter: 60 } } });
    expect(await auditEventFor(gateway, "guarded-a")).toMatchObject({ decision: "limited", reason: "cooldown started by anomaly spike" });
    expect(await anomalyFlags(gateway, principal, 1)).toEqual([
      { target: "guarded-a", abuse: "unusual use: spike", reason: "cooldown 60000 ms", watch: "t-guard", finding: "spike", measure: 4, threshold: 3, baseline: 0, action: "cooldown" },
    ]);
    // Everything else it sends is refused for the cooldown.
    const after = await call(gateway, token, "echo");
    expect(after.status).toBe(429);
    expect((await jsonBody(after)).error.data.limit).toBe("abuse-cooldown");
  });
}

describe.skipIf(!runRedisTests)(`${REDIS_TAG} rate limits with the upstash store`, () => storeSuite("upstash"));
describe("rate limits with the embedded store", () => storeSuite("embedded"));

describe.skipIf(!runRedisTests)(`${REDIS_TAG} the Upstash store's round trips and failure modes`, () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ bindings: { ...TEST_SECRETS, UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token } });
  });
  afterAll(async () => {
    bridge.delayMs = 0;
    await gateway?.close();
  });

  it("checks every limit of a call, and the cooldown, in one round trip to Redis", async () => {
    const token = await gateway.mint(["viewer"]);
    await statuses([call(gateway, token, "multi-a")]); // loads the scripts into Redis
    const before = bridge.requests;
    expect(await statuses([call(gateway, token, "multi-a")])).toEqual([200]);
    expect(bridge.requests - before).toBe(1);
  });

  it("counts a watched tool call for anomaly detection in the same round trip", async () => {
    const token = await gateway.mint(["viewer"]);
    await statuses([call(gateway, token, "watched-rt")]);
    const before = bridge.requests;
    expect(await statuses([call(gateway, token, "watched-rt")])).toEqual([200]);
    expect(bridge.requests - before).toBe(1);
  });

  it("measures a spike against the principal's own baseline of the previous hours", async () => {
    await awayFromHourEnd();
    const principal = "anomaly-upstash-baseline";
    const token = await gateway.mint(["viewer"], { principal });
    // The previous three hours: 4, 5 and 3 calls of watched-c, a mean of 4 an hour: the threshold is 2 × 4 = 8, not the minimum of 4.
    const hour = Math.floor(Date.now() / 3_600_000);
    const client = new Redis({ port: PORTS.redis, lazyConnect: true });
    await client.connect();
    try {
      await client.hset(`mcpw:usage:${principal}\nrecorder\nwatched-c`, { [hour - 1]: 4, [hour - 2]: 5, [hour - 3]: 3, [hour - 30]: 500 });
      await client.hset(`mcpw:seen:${principal}`, { "recorder\nwatched-c": Date.now() - 3_600_000 });
    } finally {
      client.disconnect();
    }
    for (let i = 0; i < 10; i++) expect(await statuses([call(gateway, token, "watched-c")])).toEqual([200]);
    // A known tool (no first use); the 9th call passes 8, and only it is flagged; the hour 30 hours ago is outside the baseline.
    expect(await anomalyFlags(gateway, principal, 1)).toEqual([
      { target: "watched-c", abuse: "unusual use: spike", reason: "flagged", watch: "t-watch", finding: "spike", measure: 9, threshold: 8, baseline: 4, action: "flag" },
    ]);
  });

  it("fails open or closed per limit when the bridge is slower than the timeout", async () => {
    const token = await gateway.mint(["viewer"]);
    bridge.delayMs = 1500;
    try {
      const open = await call(gateway, token, "failopen-a");
      expect(open.status).toBe(200);
      await open.text();
      const closed = await call(gateway, token, "failclosed-a");
      expect(closed.status).toBe(503);
      expect(await jsonBody(closed)).toMatchObject({ id: 5, error: { code: -32035, message: "Rate limiter unavailable", data: { limits: ["t-closed"] } } });
    } finally {
      bridge.delayMs = 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(gateway.logs.some((line) => line.includes('"rateLimitFailedOpen":["t-open"]'))).toBe(true);
    expect(gateway.logs.some((line) => line.includes("rate limiter failed open"))).toBe(true);
  });

  it("fails open or closed per limit with redis-server stopped", async () => {
    const token = await gateway.mint(["viewer"]);
    redis.kill();
    await new Promise((resolve) => redis.once("exit", resolve));
    try {
      expect(await statuses([call(gateway, token, "failopen-b")])).toEqual([200]);
      expect(await auditEventFor(gateway, "failopen-b")).toMatchObject({ decision: "allow", rateLimitFailedOpen: expect.any(Array) });
      const closed = await call(gateway, token, "failclosed-b");
      expect(closed.status).toBe(503);
      const text = await closed.text();
      expect(JSON.parse(text).error.code).toBe(-32035);
      expect(text).not.toContain(bridge.token);
      expect(text).not.toContain(String(PORTS.bridge));
      expect(await auditEventFor(gateway, "failclosed-b")).toMatchObject({ decision: "error", status: 503, errorCode: -32035 });
    } finally {
      redis = await startRedis(PORTS.redis);
    }
  });
});
