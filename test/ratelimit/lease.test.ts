// Leased limits (src/ratelimit/lease.ts through limiter.ts's `enforce`) against the real Redis behind
// the Upstash REST bridge: several isolates — each its own LeaseBook and its own Upstash client, as
// separate isolates have — spend one principal's limit under 50-way concurrency. The bound the README
// states: a leased limit admits no more than the limit in a window (over-admission none, per isolate
// and in total) and no fewer than the limit less 2 × lease × cost per isolate. Also: spending from a
// lease asks the store nothing, the policy compiler's checks of `mode: leased`, and the LeaseBook's own
// bookkeeping (what a lease holds, when it dies, when the next one is due, the cooldown it learns of)
// against a recording LimitBackend.

import type { ChildProcess } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { compilePolicy } from "../../src/policy/build/compile.js";
import type { CompiledLimit } from "../../src/policy/types.js";
import type { LimitBackend, LimitCheck, LimitResult } from "../../src/ratelimit/backend.js";
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

describe("LeaseBook", () => {
  const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
  const RESET = NOW + 30_000;
  const limit = (overrides: Partial<CompiledLimit> = {}): CompiledLimit => ({ id: "l", origin: "o", per: "principal", measure: "requests", cost: 1, limit: 100, windowMs: 60_000, algorithm: "fixed-window", fail: "closed", lease: 10, ...overrides });
  const check = (overrides: Partial<CompiledLimit> = {}, identifier = "alice"): LimitCheck => ({ limit: limit(overrides), identifier, rate: overrides.cost ?? 1 });
  const granted = (remaining: number, reset = RESET): LimitResult => ({ success: true, remaining, reset });

  /** A backend whose `check` answers with `answer` (or fails): what it was asked. */
  function store(answer: { results: LimitResult[]; coolingDown: boolean } | Error, held?: Promise<void>) {
    const asked: { checks: LimitCheck[]; cooldownKey: string | undefined }[] = [];
    const backend: LimitBackend = {
      name: "upstash",
      async check(checks, cooldownKey) {
        asked.push({ checks, cooldownKey });
        await held;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      consume: async () => [],
      startCooldown: async () => {},
    };
    return { backend, asked };
  }

  afterEach(() => vi.restoreAllMocks());

  it("leases request limits only, not byte limits", () => {
    const book = new LeaseBook();
    expect(book.isLeased(check())).toBe(true);
    expect(book.isLeased(check({ measure: "bytes" }))).toBe(false);
    expect(book.isLeased(check({ lease: undefined }))).toBe(false);
  });

  it("keeps one lease per limit and identifier, spends the call's units from it, and says what is left in total", () => {
    const book = new LeaseBook();
    book.granted(check(), 10, granted(90), NOW);
    expect(book.canSpend(check(), NOW)).toBe(true);
    expect(book.canSpend(check({}, "bob"), NOW)).toBe(false);
    expect(book.canSpend(check({ id: "other" }), NOW)).toBe(false);
    // 9 left of the lease (the asking call spent 1), 90 in the store.
    expect(book.spend(check(), NOW)).toEqual({ success: true, remaining: 98, reset: RESET });
    expect(book.spend(check({}, "bob"), NOW)).toBeUndefined();
  });

  it("dies with the store window it was granted in", () => {
    const book = new LeaseBook();
    book.granted(check(), 10, granted(90), NOW);
    expect(book.canSpend(check(), RESET - 1)).toBe(true);
    expect(book.canSpend(check(), RESET)).toBe(false);
    expect(book.spend(check(), RESET)).toBeUndefined();
  });

  it("spends only while the lease holds a whole call's units", () => {
    const book = new LeaseBook();
    const costly = check({ cost: 3, lease: 4 });
    // 12 units asked, 3 spent by the asking call: 9 left, three more calls.
    book.granted(costly, 12, granted(50), NOW);
    for (let i = 0; i < 3; i++) expect(book.spend(costly, NOW)?.success).toBe(true);
    expect(book.canSpend(costly, NOW)).toBe(false);
  });

  it("adds a lease of the same window to what is left, and drops what is left of an earlier window's", () => {
    const book = new LeaseBook();
    book.granted(check(), 10, granted(90), NOW);
    book.granted(check(), 10, granted(80), NOW);
    // 9 + 9 left.
    expect(book.spend(check(), NOW)).toEqual({ success: true, remaining: 97, reset: RESET });
    const next = RESET + 60_000;
    book.granted(check(), 10, granted(90, next), RESET);
    expect(book.spend(check(), RESET)).toEqual({ success: true, remaining: 98, reset: next });
  });

  it("carries no units into a store window this isolate's clock has not reached yet", () => {
    const book = new LeaseBook();
    book.granted(check(), 10, granted(80), NOW);
    // The store's clock is ahead: it counted the next lease in its next window.
    const next = RESET + 60_000;
    book.granted(check(), 10, granted(90, next), NOW);
    expect(book.spend(check(), NOW)).toEqual({ success: true, remaining: 98, reset: next });
  });

  it("records a refused lease: nothing to spend, and no lease asked in the background for the rest of its window", () => {
    const book = new LeaseBook();
    book.granted(check(), 10, { success: false, remaining: 0, reset: RESET }, NOW);
    expect(book.canSpend(check(), NOW)).toBe(false);
    expect(book.refill(store({ results: [granted(0)], coolingDown: false }).backend, check(), "alice", undefined, NOW)).toBeUndefined();
  });

  it("asks for a whole lease when it has none or its window ended, and near the edge only what the store said is left, in whole calls, at least one call's", () => {
    const book = new LeaseBook();
    const costly = check({ cost: 3, lease: 4 });
    expect(book.size(costly, NOW)).toBe(12);
    book.granted(costly, 12, granted(7), NOW);
    expect(book.size(costly, NOW)).toBe(6);
    expect(book.size(costly, RESET)).toBe(12);
    book.granted(costly, 12, granted(100), NOW);
    expect(book.size(costly, NOW)).toBe(12);
    book.granted(costly, 12, granted(1), NOW);
    expect(book.size(costly, NOW)).toBe(3);
  });

  it("tracks the request for a lease until it settles, the latest one when several are asked", async () => {
    const book = new LeaseBook();
    let answer!: () => void;
    const request = new Promise<void>((resolve) => (answer = resolve));
    book.track(check(), request);
    expect(book.pending(check())).toBeInstanceOf(Promise);
    expect(book.pending(check({}, "bob"))).toBeUndefined();
    // A tracked check without a lease yet still asks for a whole one.
    expect(book.size(check(), NOW)).toBe(10);
    answer();
    await book.pending(check());
    await Promise.resolve();
    expect(book.pending(check())).toBeUndefined();

    let first!: () => void;
    book.track(check(), new Promise<void>((resolve) => (first = resolve)));
    const second = new Promise<void>(() => {});
    book.track(check(), second);
    const latest = book.pending(check());
    first();
    await new Promise((resolve) => setImmediate(resolve));
    expect(book.pending(check())).toBe(latest);
    // A grant keeps the request under way.
    book.granted(check(), 10, granted(90), NOW);
    expect(book.pending(check())).toBe(latest);
  });

  it("remembers a principal seen cooling down until an exact answer says otherwise", () => {
    const book = new LeaseBook();
    expect(book.seenCooling("mallory")).toBe(false);
    book.cooldownAnswered("mallory", true);
    expect(book.seenCooling("mallory")).toBe(true);
    expect(book.seenCooling("alice")).toBe(false);
    book.cooldownAnswered("mallory", false);
    expect(book.seenCooling("mallory")).toBe(false);
  });

  describe("refill", () => {
    it("asks for the next lease once half is spent, with the cooldown, one request at a time, and adds it to what is left", async () => {
      const book = new LeaseBook();
      const { backend, asked } = store({ results: [granted(70)], coolingDown: false });
      book.granted(check(), 10, granted(80), NOW);
      for (let i = 0; i < 3; i++) book.spend(check(), NOW);
      // 6 left of 10: not yet.
      expect(book.refill(backend, check(), "alice", "cool:alice", NOW)).toBeUndefined();
      book.spend(check(), NOW);
      const refill = book.refill(backend, check(), "alice", "cool:alice", NOW);
      expect(refill).toBeInstanceOf(Promise);
      expect(asked).toEqual([{ checks: [{ ...check(), rate: 10 }], cooldownKey: "cool:alice" }]);
      expect(book.refill(backend, check(), "alice", "cool:alice", NOW)).toBeUndefined();
      await refill;
      // 5 + 10, the store has 70 left; the refill itself spends nothing.
      expect(book.spend(check(), NOW)).toEqual({ success: true, remaining: 84, reset: RESET });
      expect(book.pending(check())).toBeUndefined();
      expect(book.seenCooling("alice")).toBe(false);
    });

    it("weighs half a lease in units, for calls that cost several", () => {
      const book = new LeaseBook();
      const costly = check({ cost: 2, lease: 4 });
      const { backend } = store({ results: [granted(70)], coolingDown: false });
      // 8 units asked, 2 spent: 6 left, more than half.
      book.granted(costly, 8, granted(80), NOW);
      expect(book.refill(backend, costly, "alice", undefined, NOW)).toBeUndefined();
      book.spend(costly, NOW);
      expect(book.refill(backend, costly, "alice", undefined, NOW)).toBeInstanceOf(Promise);
    });

    it("asks nothing without a lease, for a lease whose window ended, or while a request is under way", () => {
      const book = new LeaseBook();
      const { backend, asked } = store({ results: [granted(70)], coolingDown: false });
      expect(book.refill(backend, check(), "alice", undefined, NOW)).toBeUndefined();
      book.granted(check(), 1, granted(80), NOW);
      expect(book.refill(backend, check(), "alice", undefined, RESET)).toBeUndefined();
      book.track(check(), new Promise(() => {}));
      expect(book.refill(backend, check(), "alice", undefined, NOW)).toBeUndefined();
      expect(asked).toEqual([]);
    });

    it("learns of a cooldown, and keeps what is left when the store refuses the next lease in the same window", async () => {
      const book = new LeaseBook();
      book.granted(check(), 10, granted(80), NOW);
      for (let i = 0; i < 5; i++) book.spend(check(), NOW);
      await book.refill(store({ results: [{ success: false, remaining: 0, reset: RESET }], coolingDown: true }).backend, check(), "mallory", "cool", NOW);
      expect(book.seenCooling("mallory")).toBe(true);
      // 4 left to spend, none asked again in this window.
      for (let i = 0; i < 4; i++) expect(book.spend(check(), NOW)).toEqual({ success: true, remaining: 3 - i, reset: RESET });
      expect(book.canSpend(check(), NOW)).toBe(false);
      expect(book.refill(store({ results: [granted(50)], coolingDown: false }).backend, check(), "mallory", "cool", NOW)).toBeUndefined();
    });

    it("starts afresh when the store answers for a new window", async () => {
      const book = new LeaseBook();
      const next = RESET + 60_000;
      book.granted(check(), 10, granted(80), NOW);
      for (let i = 0; i < 5; i++) book.spend(check(), NOW);
      await book.refill(store({ results: [granted(90, next)], coolingDown: false }).backend, check(), "alice", undefined, NOW);
      expect(book.spend(check(), RESET)).toEqual({ success: true, remaining: 99, reset: next });

      const refused = new LeaseBook();
      refused.granted(check(), 10, granted(80), NOW);
      for (let i = 0; i < 5; i++) refused.spend(check(), NOW);
      await refused.refill(store({ results: [{ success: false, remaining: 0, reset: next }], coolingDown: false }).backend, check(), "alice", undefined, NOW);
      expect(refused.canSpend(check(), NOW)).toBe(false);
    });

    it("leaves a lease request tracked while its refill was under way, and survives its lease being dropped to make room", async () => {
      const book = new LeaseBook();
      let answer!: () => void;
      const held = new Promise<void>((resolve) => (answer = resolve));
      book.granted(check(), 10, granted(80), NOW);
      for (let i = 0; i < 5; i++) book.spend(check(), NOW);
      const refill = book.refill(store({ results: [], coolingDown: false }, held).backend, check(), "alice", undefined, NOW);
      const request = new Promise<void>(() => {});
      book.track(check(), request);
      const tracked = book.pending(check());
      answer();
      await refill;
      expect(book.pending(check())).toBe(tracked);

      const crowded = new LeaseBook();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      crowded.granted(check(), 10, granted(80), NOW);
      for (let i = 0; i < 5; i++) crowded.spend(check(), NOW);
      const dropped = crowded.refill(store({ results: [], coolingDown: false }, gate).backend, check(), "alice", undefined, NOW);
      for (let i = 0; i < 10_000; i++) crowded.granted(check({}, `caller-${i}`), 10, granted(80), NOW);
      release();
      await expect(dropped).resolves.toBeUndefined();
      expect(crowded.canSpend(check(), NOW)).toBe(false);
    });

    it("changes nothing when the store gives no result, and logs a failed request without rejecting", async () => {
      const book = new LeaseBook();
      book.granted(check(), 10, granted(80), NOW);
      for (let i = 0; i < 5; i++) book.spend(check(), NOW);
      await book.refill(store({ results: [], coolingDown: false }).backend, check(), "alice", undefined, NOW);
      expect(book.spend(check(), NOW)).toEqual({ success: true, remaining: 83, reset: RESET });
      const logged = vi.spyOn(console, "error").mockImplementation(() => {});
      await expect(book.refill(store(new Error("connection reset")).backend, check(), "alice", undefined, NOW)).resolves.toBeUndefined();
      expect(logged).toHaveBeenCalledWith(JSON.stringify({ error: "lease of l not refilled: connection reset" }));
      // The next call may ask again.
      expect(book.pending(check())).toBeUndefined();
    });
  });
});
