// Enforcing the limits a Decision names: one round trip to the store for all of them, a timeout, and
// each limit's explicit failure mode when the store cannot answer. Produces the
// IETF RateLimit/RateLimit-Policy headers, the 429 with Retry-After, and the abuse cooldown check.

import { GatewayError } from "../errors.js";
import type { CompiledLimit, GatewaySettings } from "../policy/types.js";
import type { LimitBackend, LimitCheck, LimitResult } from "./backend.js";

export const cooldownKey = (principal: string) => `mcpw:cooldown:${principal}`;

export function checksFor(limits: readonly CompiledLimit[], principal: string, bytes?: number): LimitCheck[] {
  return limits.map((limit) => ({
    limit,
    identifier: limit.per === "origin" ? "*" : principal,
    // Bytes are counted once the answer is out; before the call a bytes limit is only looked at.
    rate: limit.measure === "bytes" ? (bytes ?? 0) : limit.cost,
  }));
}

export type RateOutcome = {
  /** Headers for the answer: the budget left. */
  headers: Record<string, string>;
  /** Limits whose store did not answer and that let the call through. */
  failedOpen: string[];
};

const quote = (id: string) => `"${id}"`;

function policyHeader(limits: readonly CompiledLimit[]): string {
  return limits.map((limit) => `${quote(limit.id)};q=${limit.limit};w=${Math.ceil(limit.windowMs / 1000)}`).join(", ");
}

function timeout(ms: number): { promise: Promise<never>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`rate limiter did not answer within ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

export async function enforce(
  backend: LimitBackend,
  limits: readonly CompiledLimit[],
  principal: string,
  settings: GatewaySettings["rateLimit"],
  now: number,
): Promise<RateOutcome> {
  const checks = checksFor(limits, principal);
  const cooldown = settings.abuse?.cooldownMs ? cooldownKey(principal) : undefined;
  const deadline = timeout(settings.timeoutMs);
  let answer: { results: LimitResult[]; coolingDown: boolean };
  try {
    answer = await Promise.race([backend.check(checks, cooldown), deadline.promise]);
  } catch (error) {
    const closed = limits.filter((limit) => limit.fail === "closed");
    if (closed.length) {
      throw new GatewayError("rateLimiterUnavailable", `${backend.name} store failed: ${(error as Error).message}`, {
        data: { limits: closed.map((limit) => limit.id) },
      });
    }
    return { headers: policyHeaders(limits), failedOpen: limits.map((limit) => limit.id) };
  } finally {
    deadline.cancel();
  }
  if (answer.coolingDown) {
    throw new GatewayError("rateLimited", "principal in abuse cooldown", {
      detail: "too many denied calls; try again later",
      data: { limit: "abuse-cooldown", retryAfter: Math.ceil((settings.abuse!.cooldownMs ?? 0) / 1000) },
      headers: { "retry-after": String(Math.ceil((settings.abuse!.cooldownMs ?? 0) / 1000)) },
    });
  }
  let tightest = 0;
  answer.results.forEach((result, index) => {
    if (result.remaining < answer.results[tightest]!.remaining) tightest = index;
  });
  const refused = answer.results.findIndex((result) => !result.success);
  if (refused !== -1) {
    const limit = limits[refused]!;
    const retryAfter = Math.max(1, Math.ceil((answer.results[refused]!.reset - now) / 1000));
    throw new GatewayError("rateLimited", `limit ${limit.id} reached`, {
      detail: `limit "${limit.id}" reached (${limit.limit} ${limit.measure} per ${Math.ceil(limit.windowMs / 1000)} s)`,
      data: { limit: limit.id, retryAfter, reset: new Date(answer.results[refused]!.reset).toISOString() },
      headers: {
        "retry-after": String(retryAfter),
        "ratelimit-policy": policyHeader(limits),
        ratelimit: `${quote(limit.id)};r=0;t=${retryAfter}`,
      },
    });
  }
  const headers = policyHeaders(limits);
  if (answer.results.length) {
    const result = answer.results[tightest]!;
    headers.ratelimit = `${quote(limits[tightest]!.id)};r=${result.remaining};t=${Math.max(0, Math.ceil((result.reset - now) / 1000))}`;
  }
  return { headers, failedOpen: [] };
}

/** RateLimit-Policy when some limit applies; no header at all when only the abuse cooldown was checked. */
function policyHeaders(limits: readonly CompiledLimit[]): Record<string, string> {
  return limits.length ? { "ratelimit-policy": policyHeader(limits) } : {};
}

/**
 * Counts a denied call against the principal's abuse baseline. Returns true when the burst crosses the
 * threshold: the caller is flagged in audit and, with a cooldown configured, refused for its duration.
 */
export async function recordDenial(backend: LimitBackend, principal: string, abuse: NonNullable<GatewaySettings["rateLimit"]["abuse"]>): Promise<boolean> {
  const baseline: CompiledLimit = {
    id: "abuse-denied-calls",
    origin: "*",
    per: "principal",
    measure: "requests",
    cost: 1,
    limit: abuse.deniedCalls,
    windowMs: abuse.windowMs,
    algorithm: "fixed-window",
    fail: "open",
  };
  const [result] = await backend.consume([{ limit: baseline, identifier: principal, rate: 1 }]);
  if (result?.success !== false) return false;
  if (abuse.cooldownMs) await backend.startCooldown(cooldownKey(principal), abuse.cooldownMs);
  return true;
}
