// Rate limiting (src/ratelimit/limiter.ts) against a fake LimitBackend (src/ratelimit/backend.ts's type):
// `enforce` (budget headers for the tightest limit, 429 with Retry-After and data, the abuse cooldown,
// a failing or slow store under each limit's fail mode, a denied message counted against the abuse
// baseline in the same round trip), the leased path (spending from the isolate's lease, waiting for a lease
// being asked for, the background refill, a principal seen cooling down asked exactly), `checksFor`; and `windowStep`,
// the window arithmetic the embedded store shares with the Upstash scripts, at window edges.
// The fake backend stands in for Upstash / the embedded Durable Object; the e2e tests use the real ones.

import { afterEach, describe, expect, it, vi } from "vitest";
import { windowStep, type LimitBackend, type LimitCheck, type LimitResult } from "../../src/ratelimit/backend.js";
import { checksFor, cooldownKey, cooldownRefusal, countTowardAbuse, enforce } from "../../src/ratelimit/limiter.js";
import { LeaseBook } from "../../src/ratelimit/lease.js";
import type { CompiledLimit } from "../../src/policy/types.js";
import { failureOf } from "../support/failure.js";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

function limit(id: string, overrides: Partial<CompiledLimit> = {}): CompiledLimit {
  return { id, origin: "everything", per: "principal", measure: "requests", cost: 1, limit: 10, windowMs: 60_000, algorithm: "fixed-window", fail: "open", ...overrides };
}

type Calls = { check: { checks: LimitCheck[]; cooldownKey: string | undefined }[]; consume: LimitCheck[][]; cooldowns: [string, number][] };

/** A backend whose `check` answers with the given results (or throws, or never answers). */
function fakeBackend(
  answer: { results?: LimitResult[]; coolingDown?: boolean } | Error | "never" | ((checks: LimitCheck[]) => LimitResult[]),
  consume?: (checks: LimitCheck[]) => LimitResult[],
): { backend: LimitBackend; calls: Calls } {
  const calls: Calls = { check: [], consume: [], cooldowns: [] };
  const backend: LimitBackend = {
    name: "embedded",
    async check(checks, key) {
      calls.check.push({ checks, cooldownKey: key });
      if (answer === "never") return new Promise(() => {});
      if (answer instanceof Error) throw answer;
      if (typeof answer === "function") return { results: answer(checks), coolingDown: false };
      return { results: answer.results ?? [], coolingDown: answer.coolingDown ?? false };
    },
    async consume(checks) {
      calls.consume.push(checks);
      if (!consume) throw new Error("consume not expected");
      return consume(checks);
    },
    async startCooldown(key, ms) {
      calls.cooldowns.push([key, ms]);
    },
  };
  return { backend, calls };
}


const settings = { timeoutMs: 1000 };

describe("enforce", () => {
  it("lets the call through when every limit has budget, with headers for the tightest limit", async () => {
    const limits = [limit("per-minute", { limit: 60 }), limit("per-second", { limit: 5, windowMs: 1000 }), limit("daily", { limit: 1000, windowMs: 86_400_000 })];
    const { backend, calls } = fakeBackend({
      results: [
        { success: true, remaining: 40, reset: NOW + 30_000 },
        { success: true, remaining: 2, reset: NOW + 400 },
        { success: true, remaining: 900, reset: NOW + 3_600_500 },
      ],
    });
    const outcome = await enforce(backend, limits, "alice", settings, NOW);
    expect(outcome).toEqual({
      headers: {
        "ratelimit-policy": '"per-minute";q=60;w=60, "per-second";q=5;w=1, "daily";q=1000;w=86400',
        ratelimit: '"per-second";r=2;t=1',
      },
      failedOpen: [],
    });
    expect(calls.check).toEqual([{ checks: checksFor(limits, "alice"), cooldownKey: undefined }]);
  });

  it("asks about the cooldown only when one is configured", async () => {
    const { backend, calls } = fakeBackend({ results: [{ success: true, remaining: 9, reset: NOW + 1000 }] });
    await enforce(backend, [limit("a")], "alice", { timeoutMs: 1000, abuse: { deniedCalls: 5, windowMs: 60_000, cooldownMs: 300_000 } }, NOW);
    await enforce(backend, [limit("a")], "alice", { timeoutMs: 1000, abuse: { deniedCalls: 5, windowMs: 60_000 } }, NOW);
    expect(calls.check.map((call) => call.cooldownKey)).toEqual([cooldownKey("alice"), undefined]);
    expect(cooldownKey("alice")).toBe("mcpw:cooldown:alice");
  });

  it("refuses when one limit is exhausted: 429 with Retry-After, RateLimit headers and data", async () => {
    const limits = [limit("loose", { limit: 100 }), limit("burst", { limit: 3, windowMs: 10_000 })];
    const reset = NOW + 7_200;
    const { backend } = fakeBackend({
      results: [
        { success: true, remaining: 50, reset: NOW + 50_000 },
        { success: false, remaining: 0, reset },
      ],
    });
    const error = await failureOf(enforce(backend, limits, "alice", settings, NOW));
    expect(error.kind).toBe("rateLimited");
    expect(error.status).toBe(429);
    expect(error.options.data).toEqual({ limit: "burst", retryAfter: 8, reset: new Date(reset).toISOString() });
    expect(error.options.headers).toEqual({
      "retry-after": "8",
      "ratelimit-policy": '"loose";q=100;w=60, "burst";q=3;w=10',
      ratelimit: '"burst";r=0;t=8',
    });
    expect(error.toJsonRpcError().message).toBe('Rate limit exceeded: limit "burst" reached (3 requests per 10 s)');
  });

  it("never says to retry after less than a second", async () => {
    const { backend } = fakeBackend({ results: [{ success: false, remaining: 0, reset: NOW - 5 }] });
    const error = await failureOf(enforce(backend, [limit("a")], "alice", settings, NOW));
    expect(error.options.headers?.["retry-after"]).toBe("1");
    expect(error.options.data?.retryAfter).toBe(1);
  });

  it("refuses a principal in its abuse cooldown, before looking at the limits", async () => {
    const { backend } = fakeBackend({ results: [{ success: false, remaining: 0, reset: NOW + 1000 }], coolingDown: true });
    const error = await failureOf(enforce(backend, [limit("a")], "mallory", { timeoutMs: 1000, abuse: { deniedCalls: 5, windowMs: 60_000, cooldownMs: 90_500 } }, NOW));
    expect(error.kind).toBe("rateLimited");
    expect(error.options.data).toEqual({ limit: "abuse-cooldown", retryAfter: 91 });
    expect(error.options.headers).toEqual({ "retry-after": "91" });
    expect(error.toJsonRpcError().message).toContain("too many denied calls; try again later");
  });

  it("checks only the cooldown when no limit applies, and adds no headers", async () => {
    const { backend, calls } = fakeBackend({ results: [] });
    const outcome = await enforce(backend, [], "alice", { timeoutMs: 1000, abuse: { deniedCalls: 5, windowMs: 60_000, cooldownMs: 1000 } }, NOW);
    expect(outcome).toEqual({ headers: {}, failedOpen: [] });
    expect(calls.check).toEqual([{ checks: [], cooldownKey: "mcpw:cooldown:alice" }]);
  });

  describe("when the store fails", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    const limits = [limit("open-one"), limit("closed-one", { fail: "closed" }), limit("closed-two", { fail: "closed" })];

    it("refuses with rateLimiterUnavailable, naming the fail:closed limits, when the store throws", async () => {
      const { backend } = fakeBackend(new Error("ECONNREFUSED redis.internal:6379"));
      const error = await failureOf(enforce(backend, limits, "alice", settings, NOW));
      expect(error.kind).toBe("rateLimiterUnavailable");
      expect(error.status).toBe(503);
      expect(error.options.data).toEqual({ limits: ["closed-one", "closed-two"] });
      expect(JSON.stringify(error.toJsonRpcError())).not.toContain("redis.internal");
    });

    it("lets the call through, listing every limit as failed open, when all are fail:open", async () => {
      const open = [limit("a"), limit("b", { limit: 5 })];
      const { backend } = fakeBackend(new Error("store down"));
      expect(await enforce(backend, open, "alice", settings, NOW)).toEqual({
        headers: { "ratelimit-policy": '"a";q=10;w=60, "b";q=5;w=60' },
        failedOpen: ["a", "b"],
      });
    });

    it("treats a store slower than timeoutMs like a failing one", async () => {
      vi.useFakeTimers();
      const slow = fakeBackend("never");
      const closed = failureOf(enforce(slow.backend, limits, "alice", { timeoutMs: 250 }, NOW));
      await vi.advanceTimersByTimeAsync(250);
      const error = await closed;
      expect(error.kind).toBe("rateLimiterUnavailable");
      expect(error.options.data).toEqual({ limits: ["closed-one", "closed-two"] });

      const open = enforce(fakeBackend("never").backend, [limit("a")], "alice", { timeoutMs: 250 }, NOW);
      await vi.advanceTimersByTimeAsync(250);
      expect((await open).failedOpen).toEqual(["a"]);
    });

    it("does not give up on a store that answers within timeoutMs", async () => {
      vi.useFakeTimers();
      const backend: LimitBackend = {
        ...fakeBackend({}).backend,
        check: () => new Promise((resolve) => setTimeout(() => resolve({ results: [{ success: true, remaining: 1, reset: NOW + 1000 }], coolingDown: false }), 200)),
      };
      const outcome = enforce(backend, [limit("closed-one", { fail: "closed" })], "alice", { timeoutMs: 250 }, NOW);
      await vi.advanceTimersByTimeAsync(200);
      expect((await outcome).failedOpen).toEqual([]);
      // The deadline's timer was cleared: nothing is left to fire.
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});

describe("checksFor", () => {
  const limits = [limit("calls", { cost: 3 }), limit("bytes", { measure: "bytes", limit: 1_000_000 }), limit("shared", { per: "origin" })];

  it("charges requests their cost and only looks at byte limits before the call", () => {
    expect(checksFor(limits, "alice")).toEqual([
      { limit: limits[0], identifier: "alice", rate: 3 },
      { limit: limits[1], identifier: "alice", rate: 0 },
      { limit: limits[2], identifier: "*", rate: 1 },
    ]);
  });

  it("charges byte limits the answer's size after the call", () => {
    expect(checksFor([limits[1]!], "bob", 4096)).toEqual([{ limit: limits[1], identifier: "bob", rate: 4096 }]);
    expect(checksFor([limits[1]!, limits[2]!], "bob", 0).map((check) => check.rate)).toEqual([0, 1]);
  });
});

describe("enforce for a denied message: the abuse baseline", () => {
  /** A store that counts like the embedded one, in one fixed window (no expiry within a test). */
  function counting(): (checks: LimitCheck[]) => LimitResult[] {
    const counts = new Map<string, number>();
    return (checks) =>
      checks.map(({ limit: l, identifier, rate }) => {
        const key = `${l.id}:${identifier}`;
        const step = windowStep(l.algorithm, l.limit, l.windowMs, NOW, rate, { current: counts.get(key) ?? 0, previous: 0 });
        counts.set(key, step.current);
        return step.result;
      });
  }

  const abuse = { deniedCalls: 3, windowMs: 60_000, cooldownMs: 120_000 };

  it("adds one unit of the baseline to the same round trip, and reports abuse only once the threshold is crossed", async () => {
    const { backend, calls } = fakeBackend(counting());
    let flagged = 0;
    const denial = { onAbuse: () => flagged++ };
    const limits = [limit("calls", { limit: 100 })];
    for (let i = 0; i < 3; i++) await enforce(backend, limits, "mallory", { timeoutMs: 1000, abuse }, NOW, denial);
    expect(flagged).toBe(0);
    await enforce(backend, limits, "mallory", { timeoutMs: 1000, abuse }, NOW, denial);
    expect(flagged).toBe(1);
    expect(calls.check).toHaveLength(4);
    expect(calls.consume).toEqual([]);
    expect(calls.check[0]).toEqual({
      checks: [
        { limit: limits[0], identifier: "mallory", rate: 1 },
        {
          limit: { id: "abuse-denied-calls", origin: "*", per: "principal", measure: "requests", cost: 1, limit: 3, windowMs: 60_000, algorithm: "fixed-window", fail: "open" },
          identifier: "mallory",
          rate: 1,
        },
      ],
      cooldownKey: "mcpw:cooldown:mallory",
    });
  });

  it("keeps the baseline out of the message's own outcome: no refusal and no headers from it", async () => {
    const { backend } = fakeBackend(() => [
      { success: true, remaining: 7, reset: NOW + 30_000 },
      { success: false, remaining: 0, reset: NOW + 1000 },
    ]);
    let flagged = 0;
    const outcome = await enforce(backend, [limit("calls")], "mallory", { timeoutMs: 1000, abuse }, NOW, { onAbuse: () => flagged++ });
    expect(flagged).toBe(1);
    expect(outcome).toEqual({ headers: { "ratelimit-policy": '"calls";q=10;w=60', ratelimit: '"calls";r=7;t=30' }, failedOpen: [] });
  });

  it("counts nothing against the baseline for an allowed message, or without an abuse setting", async () => {
    const allowed = fakeBackend(() => [{ success: true, remaining: 1, reset: NOW }]);
    await enforce(allowed.backend, [limit("a")], "alice", { timeoutMs: 1000, abuse }, NOW);
    expect(allowed.calls.check[0]!.checks.map((check) => check.limit.id)).toEqual(["a"]);
    const unconfigured = fakeBackend(() => [{ success: true, remaining: 1, reset: NOW }]);
    let flagged = 0;
    await enforce(unconfigured.backend, [limit("a")], "alice", { timeoutMs: 1000 }, NOW, { onAbuse: () => flagged++ });
    expect(unconfigured.calls.check[0]!.checks.map((check) => check.limit.id)).toEqual(["a"]);
    expect(flagged).toBe(0);
  });

  it("counts a denied message with no limits of its own", async () => {
    const { backend, calls } = fakeBackend(() => [{ success: false, remaining: 0, reset: NOW + 1 }]);
    let flagged = 0;
    expect(await enforce(backend, [], "mallory", { timeoutMs: 1000, abuse: { deniedCalls: 1, windowMs: 1000 } }, NOW, { onAbuse: () => flagged++ })).toEqual({ headers: {}, failedOpen: [] });
    expect(flagged).toBe(1);
    expect(calls.check[0]!.cooldownKey).toBeUndefined();
  });

  it("reports no abuse while the caller already cools down: only the message that crosses the baseline flags", async () => {
    const { backend } = fakeBackend({ results: [{ success: false, remaining: 0, reset: NOW + 1 }], coolingDown: true });
    let flagged = 0;
    await expect(enforce(backend, [], "mallory", { timeoutMs: 1000, abuse }, NOW, { onAbuse: () => flagged++ })).rejects.toMatchObject({ kind: "rateLimited" });
    expect(flagged).toBe(0);
  });

  it("reports no abuse when the store gives no result for the baseline", async () => {
    const { backend } = fakeBackend(() => [{ success: true, remaining: 3, reset: NOW }]);
    let flagged = 0;
    await enforce(backend, [limit("a")], "mallory", { timeoutMs: 1000, abuse }, NOW, { onAbuse: () => flagged++ });
    expect(flagged).toBe(0);
  });
});

describe("windowStep", () => {
  const W = 60_000;

  describe("fixed window", () => {
    it("resets at the end of the window that holds `now`, edges included", () => {
      expect(windowStep("fixed-window", 10, W, 0, 1, { current: 0, previous: 0 }).result.reset).toBe(W);
      expect(windowStep("fixed-window", 10, W, W - 1, 1, { current: 0, previous: 0 }).result.reset).toBe(W);
      expect(windowStep("fixed-window", 10, W, W, 1, { current: 0, previous: 0 }).result.reset).toBe(2 * W);
      expect(windowStep("fixed-window", 10, W, 5 * W + 1, 1, { current: 0, previous: 0 }).result.reset).toBe(6 * W);
    });

    it("allows up to the limit exactly, counts a refused call too, and ignores the previous window", () => {
      expect(windowStep("fixed-window", 10, W, 0, 1, { current: 9, previous: 1000 })).toEqual({ result: { success: true, remaining: 0, reset: W }, current: 10 });
      expect(windowStep("fixed-window", 10, W, 0, 1, { current: 10, previous: 0 })).toEqual({ result: { success: false, remaining: 0, reset: W }, current: 11 });
      expect(windowStep("fixed-window", 10, W, 0, 3, { current: 2, previous: 0 })).toEqual({ result: { success: true, remaining: 5, reset: W }, current: 5 });
    });

    it("only looks when the rate is 0 (a bytes limit before the call)", () => {
      expect(windowStep("fixed-window", 10, W, 0, 0, { current: 10, previous: 0 })).toEqual({ result: { success: true, remaining: 0, reset: W }, current: 10 });
      expect(windowStep("fixed-window", 10, W, 0, 0, { current: 11, previous: 0 }).result.success).toBe(false);
    });
  });

  describe("sliding window", () => {
    it("weighs the previous window fully at the start of the current one, and almost not at its end", () => {
      // Start of the window: all 6 previous count.
      expect(windowStep("sliding-window", 10, W, 2 * W, 1, { current: 3, previous: 6 })).toEqual({ result: { success: true, remaining: 0, reset: 3 * W }, current: 4 });
      expect(windowStep("sliding-window", 10, W, 2 * W, 1, { current: 4, previous: 6 })).toEqual({ result: { success: false, remaining: 0, reset: 3 * W }, current: 4 });
      // Half way: floor(0.5 × 6) = 3 count.
      expect(windowStep("sliding-window", 10, W, 2 * W + W / 2, 1, { current: 4, previous: 6 })).toEqual({ result: { success: true, remaining: 2, reset: 3 * W }, current: 5 });
      // Last millisecond: floor(6 / 60000) = 0 count.
      expect(windowStep("sliding-window", 10, W, 3 * W - 1, 1, { current: 9, previous: 6 })).toEqual({ result: { success: true, remaining: 0, reset: 3 * W }, current: 10 });
    });

    it("does not count a call refused up front, but counts one that overshoots", () => {
      expect(windowStep("sliding-window", 10, W, 0, 1, { current: 10, previous: 0 }).current).toBe(10);
      // 8 used, a cost of 5: not refused up front (8 < 10), counted, and over the limit.
      expect(windowStep("sliding-window", 10, W, 0, 5, { current: 8, previous: 0 })).toEqual({ result: { success: false, remaining: 0, reset: W }, current: 13 });
    });

    it("only looks when the rate is 0, whatever was used", () => {
      expect(windowStep("sliding-window", 10, W, 0, 0, { current: 10, previous: 0 })).toEqual({ result: { success: true, remaining: 0, reset: W }, current: 10 });
      expect(windowStep("sliding-window", 10, W, 0, 0, { current: 7, previous: 8 })).toEqual({ result: { success: false, remaining: 0, reset: W }, current: 7 });
    });
  });
});

describe("countTowardAbuse", () => {
  const abuse = { deniedCalls: 5, windowMs: 60_000, cooldownMs: 300_000 };

  it("counts one refused message against the principal's baseline alone, true once it is crossed", async () => {
    const over = fakeBackend({}, () => [{ success: false, remaining: 0, reset: NOW + 1000 }]);
    expect(await countTowardAbuse(over.backend, "alice", abuse)).toBe(true);
    expect(over.calls.consume).toEqual([[{ limit: expect.objectContaining({ id: "abuse-denied-calls", per: "principal", limit: 5, windowMs: 60_000, algorithm: "fixed-window" }), identifier: "alice", rate: 1 }]]);
    const under = fakeBackend({}, () => [{ success: true, remaining: 3, reset: NOW + 1000 }]);
    expect(await countTowardAbuse(under.backend, "alice", abuse)).toBe(false);
    const silent = fakeBackend({}, () => []);
    expect(await countTowardAbuse(silent.backend, "alice", abuse)).toBe(false);
  });
});

/**
 * An in-memory store with the embedded store's window arithmetic (`windowStep`, fixed clock NOW): what
 * it was asked (limit id and units), a cooldown switched by the test, and the next answer held until released.
 */
function windowStore() {
  const counts = new Map<string, number>();
  const asked: { checks: { id: string; rate: number }[]; cooldownKey: string | undefined }[] = [];
  const state = { coolingDown: false };
  let holdNext: Promise<void> | undefined;
  const backend: LimitBackend = {
    name: "embedded",
    async check(checks, key) {
      asked.push({ checks: checks.map((check) => ({ id: check.limit.id, rate: check.rate })), cooldownKey: key });
      const held = holdNext;
      holdNext = undefined;
      if (held) await held;
      const results = checks.map(({ limit: checked, identifier, rate }) => {
        const key = `${checked.id}:${identifier}`;
        const step = windowStep(checked.algorithm, checked.limit, checked.windowMs, NOW, rate, { current: counts.get(key) ?? 0, previous: 0 });
        counts.set(key, step.current);
        return step.result;
      });
      return { results, coolingDown: state.coolingDown };
    },
    async consume() {
      throw new Error("consume not expected");
    },
    async startCooldown() {
      throw new Error("startCooldown not expected");
    },
  };
  /** Holds the next answer: the function releases it. */
  const hold = () => {
    let release!: () => void;
    holdNext = new Promise<void>((resolve) => (release = resolve));
    return release;
  };
  return { backend, asked, state, hold };
}

/** Whether a promise settles before the event loop's next turn (nothing it waits for is held). */
async function settlesNow(promise: Promise<unknown>): Promise<boolean> {
  return Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
}

describe("enforce with leased limits", () => {
  const WINDOW = 60_000;
  const RESET_S = Math.ceil(((Math.floor(NOW / WINDOW) + 1) * WINDOW - NOW) / 1000);
  const leased = (id: string, overrides: Partial<CompiledLimit> = {}) => limit(id, { limit: 100, windowMs: WINDOW, lease: 10, ...overrides });
  const header = (id: string, remaining: number) => ({ "ratelimit-policy": `"${id}";q=100;w=60`, ratelimit: `"${id}";r=${remaining};t=${RESET_S}` });
  const withCooldown = { timeoutMs: 1000, abuse: { deniedCalls: 5, windowMs: WINDOW, cooldownMs: 30_000 } };

  it("asks for a lease with the first call, spends it without asking, and asks for the next one in the background once half is spent", async () => {
    const store = windowStore();
    const leases = new LeaseBook();
    const limits = [leased("l")];
    const call = () => enforce(store.backend, limits, "alice", withCooldown, NOW, undefined, undefined, leases);
    // The lease of 10 is counted in the store at once: 90 left there.
    expect(await call()).toEqual({ headers: header("l", 90), failedOpen: [] });
    expect(store.asked).toEqual([{ checks: [{ id: "l", rate: 10 }], cooldownKey: cooldownKey("alice") }]);
    // Spent locally: what the store had left plus what the lease still holds.
    for (const remaining of [98, 97, 96]) expect(await call()).toEqual({ headers: header("l", remaining), failedOpen: [] });
    expect(store.asked).toHaveLength(1);
    // The fifth call leaves half the lease: the next lease is asked in the background, cooldown included.
    const fifth = await call();
    expect(fifth).toEqual({ headers: header("l", 95), failedOpen: [], background: expect.any(Promise) });
    expect(store.asked[1]).toEqual({ checks: [{ id: "l", rate: 10 }], cooldownKey: cooldownKey("alice") });
    await fifth.background;
    // 5 left of the first lease and 10 of the second; the store has 80 left.
    expect(await call()).toEqual({ headers: header("l", 94), failedOpen: [] });
    expect(store.asked).toHaveLength(2);
  });

  it("asks an exact limit at its cost in every call, next to a leased one's lease", async () => {
    const store = windowStore();
    const leases = new LeaseBook();
    const limits = [limit("exact", { limit: 50, windowMs: WINDOW }), leased("l")];
    await enforce(store.backend, limits, "alice", settings, NOW, undefined, undefined, leases);
    await enforce(store.backend, limits, "alice", settings, NOW, undefined, undefined, leases);
    expect(store.asked.map((asked) => asked.checks)).toEqual([[{ id: "exact", rate: 1 }, { id: "l", rate: 10 }], [{ id: "exact", rate: 1 }]]);
  });

  it("waits for a lease already being asked for instead of asking again", async () => {
    const store = windowStore();
    const leases = new LeaseBook();
    const limits = [leased("l")];
    const release = store.hold();
    const first = enforce(store.backend, limits, "alice", settings, NOW, undefined, undefined, leases);
    const second = enforce(store.backend, limits, "alice", settings, NOW, undefined, undefined, leases);
    expect(await settlesNow(second)).toBe(false);
    release();
    expect((await first).headers.ratelimit).toBe(`"l";r=90;t=${RESET_S}`);
    expect((await second).headers.ratelimit).toBe(`"l";r=98;t=${RESET_S}`);
    expect(store.asked).toEqual([{ checks: [{ id: "l", rate: 10 }], cooldownKey: undefined }]);
  });

  it("waits for a lease being asked for even when another limit of the call has none, then asks only for that one", async () => {
    const store = windowStore();
    const leases = new LeaseBook();
    const release = store.hold();
    const first = enforce(store.backend, [leased("a")], "alice", settings, NOW, undefined, undefined, leases);
    const second = enforce(store.backend, [leased("a"), leased("b")], "alice", settings, NOW, undefined, undefined, leases);
    release();
    await Promise.all([first, second]);
    expect(store.asked.map((asked) => asked.checks)).toEqual([[{ id: "a", rate: 10 }], [{ id: "b", rate: 10 }]]);
  });

  it("does not wait for a background refill while the lease still holds units", async () => {
    const store = windowStore();
    const leases = new LeaseBook();
    const limits = [leased("l")];
    const call = () => enforce(store.backend, limits, "alice", settings, NOW, undefined, undefined, leases);
    for (let i = 0; i < 4; i++) await call();
    const release = store.hold();
    const fifth = await call();
    expect(fifth.background).toBeInstanceOf(Promise);
    // The refill is held; the lease still has 5 units, which the next calls spend at once.
    expect(await settlesNow(call())).toBe(true);
    release();
    await fifth.background;
  });

  it("asks a principal a background lease found cooling down exactly, until the store says the cooldown is over", async () => {
    const store = windowStore();
    const leases = new LeaseBook();
    const limits = [leased("l")];
    const call = () => enforce(store.backend, limits, "mallory", withCooldown, NOW, undefined, undefined, leases);
    for (let i = 0; i < 4; i++) await call();
    store.state.coolingDown = true;
    // Served from the lease; the refill (10 more, 80 left in the store) learns of the cooldown.
    await (await call()).background;
    const refused = await failureOf(call());
    expect(refused).toMatchObject({ kind: "rateLimited", reason: "principal in abuse cooldown" });
    expect(store.asked[2]).toEqual({ checks: [{ id: "l", rate: 1 }], cooldownKey: cooldownKey("mallory") });
    store.state.coolingDown = false;
    await call();
    expect(store.asked[3]).toEqual({ checks: [{ id: "l", rate: 1 }], cooldownKey: cooldownKey("mallory") });
    // The cooldown is over: the lease (15 units, from a store that had 80 left when it granted the last) is spent again.
    expect((await call()).headers.ratelimit).toBe(`"l";r=94;t=${RESET_S}`);
    expect(store.asked).toHaveLength(4);
  });

  it("counts a denied message against the abuse baseline in the lease's round trip, or alone when the lease has units", async () => {
    const store = windowStore();
    const leases = new LeaseBook();
    const abuse = { deniedCalls: 1, windowMs: WINDOW };
    let flagged = 0;
    const denial = { onAbuse: () => flagged++ };
    await enforce(store.backend, [leased("a")], "mallory", { timeoutMs: 1000, abuse }, NOW, denial, undefined, leases);
    expect(flagged).toBe(0);
    // A new leased limit: its lease and the baseline, which this message crosses.
    await enforce(store.backend, [leased("b")], "mallory", { timeoutMs: 1000, abuse }, NOW, denial, undefined, leases);
    expect(flagged).toBe(1);
    await enforce(store.backend, [leased("a")], "mallory", { timeoutMs: 1000, abuse }, NOW, denial, undefined, leases);
    expect(store.asked.map((asked) => asked.checks)).toEqual([
      [{ id: "a", rate: 10 }, { id: "abuse-denied-calls", rate: 1 }],
      [{ id: "b", rate: 10 }, { id: "abuse-denied-calls", rate: 1 }],
      [{ id: "abuse-denied-calls", rate: 1 }],
    ]);
  });

  it("counts nothing against the baseline for an allowed call, or for a denied one without an abuse setting", async () => {
    const store = windowStore();
    const leases = new LeaseBook();
    let flagged = 0;
    await enforce(store.backend, [leased("l")], "alice", { timeoutMs: 1000, abuse: { deniedCalls: 1, windowMs: WINDOW } }, NOW, undefined, undefined, leases);
    await enforce(store.backend, [leased("l")], "alice", { timeoutMs: 1000, abuse: { deniedCalls: 1, windowMs: WINDOW } }, NOW, undefined, undefined, leases);
    await enforce(store.backend, [leased("l")], "alice", settings, NOW, { onAbuse: () => flagged++ }, undefined, leases);
    expect(store.asked.map((asked) => asked.checks)).toEqual([[{ id: "l", rate: 10 }]]);
    expect(flagged).toBe(0);
  });
});

describe("refusal reasons the audit records", () => {
  it("names the store, its failure and the deadline when a fail:closed limit's store does not answer", async () => {
    const error = await failureOf(enforce(fakeBackend("never").backend, [limit("a", { fail: "closed" })], "alice", { timeoutMs: 50 }, NOW));
    expect(error.reason).toBe("embedded store failed: rate limiter did not answer within 50 ms");
  });

  it("names the limit reached", async () => {
    const { backend } = fakeBackend({ results: [{ success: false, remaining: 0, reset: NOW + 1000 }] });
    expect((await failureOf(enforce(backend, [limit("a")], "alice", settings, NOW))).reason).toBe("limit a reached");
  });

  it("tells an abuse cooldown from one an anomaly started", () => {
    expect(cooldownRefusal(30)).toMatchObject({ reason: "principal in abuse cooldown", options: { detail: "too many denied calls; try again later", data: { limit: "abuse-cooldown", retryAfter: 30 }, headers: { "retry-after": "30" } } });
    expect(cooldownRefusal(30, "spike")).toMatchObject({ reason: "cooldown started by anomaly spike", options: { detail: "unusual use of this tool; try again later" } });
  });
});
