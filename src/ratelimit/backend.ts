// What a rate-limit store must do: check several limits for one call in one round trip, consume
// units after the fact (response bytes), and keep per-principal cooldowns. Two stores implement it:
// Upstash Redis (upstash.ts) and the embedded Durable Object (embedded.ts), with the same semantics.

import type { CompiledLimit } from "../policy/types.js";
import type { UsageCount, UsageObservation } from "./anomaly.js";

export type LimitCheck = { limit: CompiledLimit; identifier: string; rate: number };
/** `reset` is a time in milliseconds since the epoch. */
export type LimitResult = { success: boolean; remaining: number; reset: number };

export type LimitBackend = {
  name: "upstash" | "embedded";
  /** Every check, the cooldown look-up and the tool use an anomaly watch counts, in one round trip. */
  check(checks: LimitCheck[], cooldownKey: string | undefined, usage?: UsageCount): Promise<{ results: LimitResult[]; coolingDown: boolean; usage?: UsageObservation }>;
  /** Uses units without asking first (bytes of an answer already sent). */
  consume(checks: LimitCheck[]): Promise<LimitResult[]>;
  startCooldown(key: string, ms: number): Promise<void>;
};

/** The Upstash sliding and fixed window semantics, for stores that are not Redis. */
export function windowStep(
  algorithm: CompiledLimit["algorithm"],
  limit: number,
  windowMs: number,
  now: number,
  rate: number,
  counts: { current: number; previous: number },
): { result: LimitResult; current: number } {
  const bucket = Math.floor(now / windowMs);
  const reset = (bucket + 1) * windowMs;
  if (algorithm === "fixed-window") {
    const current = counts.current + rate;
    return { result: { success: current <= limit, remaining: Math.max(0, limit - current), reset }, current };
  }
  const previous = Math.floor((1 - (now % windowMs) / windowMs) * counts.previous);
  if (rate > 0 && previous + counts.current >= limit) return { result: { success: false, remaining: 0, reset }, current: counts.current };
  const current = counts.current + rate;
  const remaining = limit - (current + previous);
  return { result: { success: remaining >= 0, remaining: Math.max(0, remaining), reset }, current };
}
