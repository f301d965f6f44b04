// Leased limits (src/ratelimit/lease.ts through limiter.ts's `enforce`) against the real Redis behind
// the Upstash REST bridge: several isolates — each its own LeaseBook and its own Upstash client, as
// separate isolates have — spend one principal's limit under 50-way concurrency. The bound the README
// states: a leased limit admits no more than the limit in a window (over-admission none, per isolate
// and in total) and no fewer than the limit less 2 × lease × cost per isolate. Also: spending from a
// lease asks the store nothing, and the policy compiler's checks of `mode: leased`.

import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/policy/build/compile.js";
import type { CompiledLimit } from "../../src/policy/types.js";
import { LeaseBook } from "../../src/ratelimit/lease.js";
import { enforce } from "../../src/ratelimit/limiter.js";
import { upstashBackend } from "../../src/ratelimit/upstash.js";
import { GatewayError } from "../../src/errors.js";
import { REDIS_TAG, runRedisTests } from "../support/redis.js";
import { startBridge, startRedis, type Bridge } from "../support/upstash-bridge.js";

const PORTS = { redis: 22111, bridge: 22112 };
const settings = { timeoutMs: 5_000 };
let serial = 0;

function leasedLimit(overrides: Partial<CompiledLimit> = {}): CompiledLimit {
  return { id: `leased-${process.pid}-${++serial}`, origin: "o", per: "principal", measure: "requests", cost: 1, limit: 100, windowMs: 3_600_000, algorithm: "sliding-window", fail: "closed", lease: 5, ...overrides };
}

type Isolate = { backend: ReturnType<typeof upstashBackend>; leases: LeaseBook };

/** `calls` calls of one principal, `concurrency` at a time, spread over the isolates in turn: how many were admitted. */
async function spend(isolates: Isolate[], limit: CompiledLimit, calls: number, concurrency: number): Promise<number> {
  let next = 0;
  let admitted = 0;
  const background: Promise<unknown>[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        const isolate = isolates[next++ % isolates.length]!;
        try {
          const outcome = await enforce(isolate.backend, [limit], "alice", settings, Date.now(), undefined, undefined, isolate.leases);
          if (outcome.background) background.push(outcome.background);
          admitted++;
        } catch (error) {
          if (!(error instanceof GatewayError && error.kind === "rateLimited")) throw error;
        }
      }
    }),
  );
  await Promise.all(background);
  return admitted;
}

describe.skipIf(!runRedisTests)(`${REDIS_TAG} leased limits against the real Redis`, () => {
  let redis: ChildProcess;
  let bridge: Bridge;
  const isolates = (count: number): Isolate[] => Array.from({ length: count }, () => ({ backend: upstashBackend(bridge.url, bridge.token), leases: new LeaseBook() }));

  beforeAll(async () => {
    redis = await startRedis(PORTS.redis);
    bridge = await startBridge({ port: PORTS.bridge, redisPort: PORTS.redis });
  }, 20_000);
  afterAll(async () => {
    await bridge?.close();
    redis?.kill();
  });

  for (const algorithm of ["sliding-window", "fixed-window"] as const) {
    it(`admits no more than the limit and no fewer than the limit less 2 × lease per isolate, under 50-way concurrency (${algorithm})`, async () => {
      const limit = leasedLimit({ algorithm });
      const count = 5;
      const admitted = await spend(isolates(count), limit, 400, 50);
      expect(admitted).toBeLessThanOrEqual(limit.limit);
      expect(admitted).toBeGreaterThanOrEqual(limit.limit - 2 * limit.lease! * limit.cost * count);
      // Nothing is admitted past the limit later either: every isolate's leases are spent or refused.
      expect(await spend(isolates(count), limit, 100, 50)).toBe(0);
    }, 30_000);
  }

  it("keeps the bound for a limit whose calls cost several units", async () => {
    const limit = leasedLimit({ cost: 3, limit: 300, lease: 4 });
    const count = 4;
    const admitted = await spend(isolates(count), limit, 300, 50);
    expect(admitted * limit.cost).toBeLessThanOrEqual(limit.limit);
    expect(admitted * limit.cost).toBeGreaterThanOrEqual(limit.limit - 2 * limit.lease! * limit.cost * count);
  }, 30_000);

  it("admits exactly the limit in exact mode, for comparison", async () => {
    const { lease: _, ...exact } = leasedLimit();
    expect(await spend(isolates(5), exact, 400, 50)).toBe(exact.limit);
  }, 30_000);

  it("asks the store once per lease, not once per call", async () => {
    const limit = leasedLimit({ limit: 10_000, lease: 20 });
    const before = bridge.requests;
    const [isolate] = isolates(1);
    expect(await spend([isolate!], limit, 200, 1)).toBe(200);
    // One lease of 20 a round trip, asked when half the last one is spent: 200 calls, about 10 round trips.
    expect(bridge.requests - before).toBeLessThanOrEqual(200 / 20 + 2);
  }, 30_000);
});

describe("mode: leased in policy", () => {
  const policy = (limit: Record<string, unknown>) => [{ file: "p.yaml", content: { origins: { o: { url: "https://o.example/mcp" } }, limits: [{ id: "l", origin: "o", limit: 100, window: "1m", fail: "open", ...limit }] } }];

  it("compiles a leased limit with its lease, and an exact one without", () => {
    expect(compilePolicy(policy({ mode: "leased", lease: 20 })).limits[0]!.lease).toBe(20);
    expect(compilePolicy(policy({})).limits[0]!.lease).toBeUndefined();
  });

  it("refuses a leased bytes limit, a lease on an exact limit, and a lease larger than the limit", () => {
    expect(() => compilePolicy(policy({ mode: "leased", measure: "bytes" }))).toThrow(/bytes limit cannot be leased/);
    expect(() => compilePolicy(policy({ lease: 20 }))).toThrow(/only a limit with mode: leased/);
    expect(() => compilePolicy(policy({ mode: "leased", lease: 60, cost: 2 }))).toThrow(/more than the limit allows/);
  });
});
