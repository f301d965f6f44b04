// Anomaly detection's pure parts (src/ratelimit/anomaly.ts): the findings of one observation (spike
// over the principal's baseline with its minimum, ceiling, first use, each found by exactly one call),
// the embedded store's counting (hours kept, pruned, the first-use horizon), the Redis script's answer,
// `enforce` carrying the count in its one round trip, and the compiler's checks of `anomalies:`.
// The e2e tests (test/e2e/ratelimit.test.ts) run both real stores.

import { describe, expect, it } from "vitest";
import { compilePolicy, PolicyError } from "../../src/policy/build/compile.js";
import type { CompiledAnomalyWatch } from "../../src/policy/types.js";
import { anomalyFindings, countUsage, FIRST_USE_HORIZON_MS, observationFromScript, usageCount, usageScriptCall, type UsageObservation } from "../../src/ratelimit/anomaly.js";
import type { LimitBackend } from "../../src/ratelimit/backend.js";
import { cooldownKey, enforce } from "../../src/ratelimit/limiter.js";
import { failureOf } from "../support/failure.js";

const watch: CompiledAnomalyWatch = {
  id: "w",
  origin: "o",
  baselineHours: 4,
  spike: { factor: 3, minimum: 10, action: "flag" },
  ceiling: { calls: 100, action: "cooldown" },
  firstUse: { action: "flag" },
  cooldownMs: 60_000,
};
const seen = (current: number, previous: number[], firstUse = false): UsageObservation => ({ current, previous, firstUse });

describe("anomalyFindings", () => {
  it("finds a spike once, by the call that passes max(minimum, factor × the mean of the previous hours)", () => {
    // Mean 8 → threshold 24.
    const previous = [10, 6, 8, 8];
    expect(anomalyFindings(watch, seen(24, previous))).toEqual([]);
    expect(anomalyFindings(watch, seen(25, previous))).toEqual([{ watch: "w", finding: "spike", measure: 25, threshold: 24, baseline: 8, action: "flag" }]);
    expect(anomalyFindings(watch, seen(26, previous))).toEqual([]);
    // A quiet principal: the minimum holds.
    expect(anomalyFindings(watch, seen(11, [0, 1, 0, 0]))).toEqual([{ watch: "w", finding: "spike", measure: 11, threshold: 10, baseline: 0.25, action: "flag" }]);
    expect(anomalyFindings(watch, seen(10, [0, 0, 0, 0]))).toEqual([]);
    // A fractional baseline is rounded up: mean 3.25 × 3 = 9.75 → the minimum 10 still rules; 5.5 × 3 = 16.5 → 17.
    expect(anomalyFindings(watch, seen(18, [5, 6, 5, 6]))).toMatchObject([{ finding: "spike", threshold: 17 }]);
  });

  it("finds the ceiling once, and a first use", () => {
    expect(anomalyFindings(watch, seen(101, [100, 100, 100, 100]))).toEqual([{ watch: "w", finding: "ceiling", measure: 101, threshold: 100, action: "cooldown" }]);
    expect(anomalyFindings(watch, seen(102, [0, 0, 0, 0]))).toEqual([]);
    expect(anomalyFindings(watch, seen(1, [0, 0, 0, 0], true))).toEqual([{ watch: "w", finding: "first-use", measure: 0, threshold: 1, action: "flag" }]);
    expect(anomalyFindings({ id: "only-first", origin: "o", baselineHours: 1, firstUse: { action: "flag" } }, seen(500, [0]))).toEqual([]);
  });
});

describe("counting", () => {
  const HOUR = 3_600_000;
  const now = 1000 * HOUR + 5;
  const usage = usageCount(watch, "alice", "o", "deploy", now);

  it("names keys per principal × origin × tool, and the hour of the call", () => {
    expect(usage).toEqual({ counts: "mcpw:usage:alice\no\ndeploy", seen: "mcpw:seen:alice", member: "o\ndeploy", hour: 1000, baselineHours: 4, now });
  });

  it("in the embedded store: counts this hour, reads the previous ones latest first, forgets older ones", () => {
    const { hours, observation } = countUsage({ 1000: 2, 999: 5, 997: 1, 996: 9, 990: 40 }, now - HOUR, usage);
    expect(observation).toEqual({ current: 3, previous: [5, 0, 1, 9], firstUse: false });
    expect(hours).toEqual({ 1000: 3, 999: 5, 997: 1, 996: 9 });
    expect(countUsage({}, undefined, usage).observation).toEqual({ current: 1, previous: [0, 0, 0, 0], firstUse: true });
    expect(countUsage({}, now - FIRST_USE_HORIZON_MS - 1, usage).observation.firstUse).toBe(true);
    expect(countUsage({}, now - FIRST_USE_HORIZON_MS, usage).observation.firstUse).toBe(false);
  });

  it("reads the Redis script's answer, and refuses anything else", () => {
    expect(observationFromScript([7, 1, 3, 0, 2, 0])).toEqual({ current: 7, firstUse: true, previous: [3, 0, 2, 0] });
    expect(observationFromScript([7, 0])).toEqual({ current: 7, firstUse: false, previous: [] });
    for (const bad of [null, "7", [7], [7, "1"], { current: 7 }]) expect(() => observationFromScript(bad)).toThrow("usage script answered something unexpected");
  });

  it("hands the Redis script its keys and arguments in the order it reads them", () => {
    const now = Date.UTC(2026, 0, 15, 12, 30);
    const count = usageCount(watch, "alice", "o", "search", now);
    expect(usageScriptCall(count)).toEqual({
      keys: ["mcpw:usage:alice\no\nsearch", "mcpw:seen:alice"],
      args: [String(Math.floor(now / 3_600_000)), "4", "o\nsearch", String(now), String(FIRST_USE_HORIZON_MS)],
    });
  });
});

describe("enforce with an anomaly watch", () => {
  const usage = usageCount(watch, "alice", "o", "deploy", Date.now());

  it("sends the count with the limits and the cooldown look-up in one check, and reports what the store saw before any limit refuses", async () => {
    const checks: unknown[] = [];
    const backend: LimitBackend = {
      name: "embedded",
      async check(limitChecks, key, counted) {
        checks.push({ limits: limitChecks.length, key, counted });
        return { results: [{ success: false, remaining: 0, reset: Date.now() + 1000 }], coolingDown: false, usage: { current: 11, previous: [0, 0, 0, 0], firstUse: false } };
      },
      consume: async () => [],
      startCooldown: async () => {},
    };
    const observed: UsageObservation[] = [];
    const limit = { id: "l", origin: "o", per: "principal" as const, measure: "requests" as const, cost: 1, limit: 1, windowMs: 60_000, algorithm: "fixed-window" as const, fail: "open" as const };
    const error = await failureOf(enforce(backend, [limit], "alice", { timeoutMs: 1000, anomalyCooldownMs: 60_000 }, Date.now(), undefined, { count: usage, observe: (observation) => observed.push(observation) }));
    expect(error).toMatchObject({ kind: "rateLimited" });
    expect(checks).toEqual([{ limits: 1, key: cooldownKey("alice"), counted: usage }]);
    expect(observed).toEqual([{ current: 11, previous: [0, 0, 0, 0], firstUse: false }]);
  });
});

describe("the compiler's checks of anomalies", () => {
  const compile = (anomalies: unknown[]) => {
    try {
      return compilePolicy([{ file: "a.yaml", content: { origins: { o: { url: "https://o.example/mcp" } }, anomalies } }]).anomalies;
    } catch (error) {
      if (error instanceof PolicyError) return error.problems;
      throw error;
    }
  };

  it("compiles the baseline to hours and the cooldown to milliseconds", () => {
    expect(compile([{ id: "w", origin: "o", baseline: "48h", spike: { factor: 4, minimum: 20, action: "cooldown" }, firstUse: { action: "flag" }, cooldown: "10m" }])).toEqual([
      { id: "w", origin: "o", baselineHours: 48, spike: { factor: 4, minimum: 20, action: "cooldown" }, firstUse: { action: "flag" }, cooldownMs: 600_000 },
    ]);
    expect(compile([{ id: "w", origin: "o", ceiling: { calls: 5, action: "flag" } }])).toEqual([{ id: "w", origin: "o", baselineHours: 24, ceiling: { calls: 5, action: "flag" } }]);
  });

  it("refuses a watch that finds nothing, a cooldown without a length or without a use, an unknown origin, overlaps", () => {
    expect(compile([{ id: "w", origin: "o" }])).toEqual([expect.stringContaining("needs spike, ceiling or firstUse")]);
    expect(compile([{ id: "w", origin: "o", firstUse: { action: "cooldown" } }])).toEqual([expect.stringContaining("needs a cooldown duration")]);
    expect(compile([{ id: "w", origin: "o", firstUse: { action: "flag" }, cooldown: "1m" }])).toEqual([expect.stringContaining("no finding uses the cooldown")]);
    expect(compile([{ id: "w", origin: "o", baseline: "169h", firstUse: { action: "flag" } }])).toEqual([expect.stringContaining("1h to 168h")]);
    expect(compile([{ id: "w", origin: "nowhere", firstUse: { action: "flag" } }])).toEqual(['a.yaml: anomalies.0.origin: unknown origin "nowhere"']);
    expect(compile([{ id: "w", origin: "o", firstUse: { action: "flag" } }, { id: "v", origin: "o", tools: ["x"], firstUse: { action: "flag" } }])).toEqual(['a.yaml: anomalies.1: another watch already covers every tool of origin "o"']);
  });
});
