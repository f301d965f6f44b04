// Enforcing the limits a Decision names: one round trip to the store for all of them, a timeout, and
// each limit's explicit failure mode when the store cannot answer. Produces the
// IETF RateLimit/RateLimit-Policy headers, the 429 with Retry-After, the abuse cooldown check, and a
// denied message's count against the abuse baseline.

import { GatewayError } from "../errors.js";
import type { CompiledLimit, GatewaySettings } from "../policy/types.js";
import type { UsageCount, UsageObservation } from "./anomaly.js";
import type { LimitBackend, LimitCheck, LimitResult } from "./backend.js";
import type { LeaseBook } from "./lease.js";

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
  /** Leases being refilled in the background (leased limits), for the request's waitUntil. */
  background?: Promise<unknown>;
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

/**
 * `settings.anomalyCooldownMs`: the longest cooldown an anomaly finding can start (the cooldown is
 * looked up whenever some cooldown exists). `usage`: an allowed tool call an anomaly watch counts, in
 * the same round trip; `observe` gets what the store saw, before any limit refuses the call.
 */
export async function enforce(
  backend: LimitBackend,
  limits: readonly CompiledLimit[],
  principal: string,
  settings: Pick<GatewaySettings["rateLimit"], "timeoutMs" | "abuse"> & { anomalyCooldownMs?: number },
  now: number,
  denial?: { onAbuse(): void },
  usage?: { count: UsageCount; observe(observation: UsageObservation): void },
  leases?: LeaseBook,
): Promise<RateOutcome> {
  const abuse = settings.abuse;
  const limitChecks = checksFor(limits, principal);
  const cooldownMs = Math.max(abuse?.cooldownMs ?? 0, settings.anomalyCooldownMs ?? 0);
  const cooldown = cooldownMs ? cooldownKey(principal) : undefined;
  // The store's deadline starts with the first thing the call waits for (a call served from leases waits for nothing).
  let deadline: ReturnType<typeof timeout> | undefined;
  const within = <T>(promise: Promise<T>) => Promise.race([promise, (deadline ??= timeout(settings.timeoutMs)).promise]);
  let answer: { results: LimitResult[]; coolingDown: boolean; usage?: UsageObservation };
  let background: Promise<unknown> | undefined;
  try {
    // A call an anomaly watch counts goes to the store anyway, so it takes the exact round trip: its limits
    // are charged there exactly, on top of the units already leased out, which never admits more than exact.
    if (leases && !usage && limitChecks.some((check) => leases.isLeased(check))) {
      const leased = await leasedAnswer(backend, leases, limitChecks, principal, cooldown, denial !== undefined && abuse !== undefined ? abuse : undefined, now, within);
      answer = leased.answer;
      background = leased.background;
    } else {
      // A denied message also counts against the abuse baseline, in the same round trip.
      const checks = [...limitChecks, ...(denial && abuse ? [{ limit: abuseBaseline(abuse), identifier: principal, rate: 1 }] : [])];
      answer = await within(backend.check(checks, cooldown, usage?.count));
    }
  } catch (error) {
    const closed = limits.filter((limit) => limit.fail === "closed");
    if (closed.length) {
      throw new GatewayError("rateLimiterUnavailable", `${backend.name} store failed: ${(error as Error).message}`, {
        data: { limits: closed.map((limit) => limit.id) },
      });
    }
    return { headers: policyHeaders(limits), failedOpen: limits.map((limit) => limit.id) };
  } finally {
    deadline?.cancel();
  }
  const crossed = denial !== undefined && abuse !== undefined && answer.results[limits.length]?.success === false;
  answer = { ...answer, results: answer.results.slice(0, limits.length) };
  if (answer.usage) usage?.observe(answer.usage);
  if (answer.coolingDown) throw cooldownRefusal(Math.ceil(cooldownMs / 1000));
  // Over the baseline and not yet cooling down: this message is the one that crossed it (or, without a cooldown, one past it).
  if (crossed) denial.onAbuse();
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
  return background ? { headers, failedOpen: [], background } : { headers, failedOpen: [] };
}

/**
 * The answer for a call with leased limits (lease.ts): each leased limit spends from the isolate's
 * lease when it can (after waiting for a lease already being asked for); the store is asked, in one
 * round trip, only for what is left — exact limits, new leases, the abuse count of a denied message,
 * and then the cooldown. A call served wholly from leases asks nothing and refills in the background.
 */
async function leasedAnswer(
  backend: LimitBackend,
  leases: LeaseBook,
  checks: LimitCheck[],
  principal: string,
  cooldown: string | undefined,
  abuse: NonNullable<GatewaySettings["rateLimit"]["abuse"]> | undefined,
  now: number,
  within: <T>(promise: Promise<T>) => Promise<T>,
): Promise<{ answer: { results: LimitResult[]; coolingDown: boolean }; background?: Promise<unknown> }> {
  const cooling = leases.seenCooling(principal);
  const leasable = (check: LimitCheck) => leases.isLeased(check) && !cooling;
  // A lease already being asked for is waited for rather than asked for again.
  const waiting = checks.filter((check) => leasable(check) && !leases.canSpend(check, now)).map((check) => leases.pending(check));
  if (waiting.some((pending) => pending)) await within(Promise.all(waiting));
  const local = checks.map((check) => (leasable(check) ? leases.spend(check, now) : undefined));
  const asked = checks.flatMap((check, index) => (local[index] ? [] : [{ check, index, units: leasable(check) ? leases.size(check, now) : check.rate }]));
  if (asked.length === 0 && !abuse) {
    const refills = checks.map((check) => leases.refill(backend, check, principal, cooldown, now)).filter((refill) => refill !== undefined);
    return { answer: { results: local as LimitResult[], coolingDown: false }, background: refills.length ? Promise.all(refills) : undefined };
  }
  const request = backend.check(
    [...asked.map(({ check, units }) => ({ ...check, rate: units })), ...(abuse ? [{ limit: abuseBaseline(abuse), identifier: principal, rate: 1 }] : [])],
    cooldown,
  );
  for (const { check } of asked) if (leasable(check)) leases.track(check, request);
  const remote = await within(request);
  leases.cooldownAnswered(principal, remote.coolingDown);
  const results = [...local] as LimitResult[];
  asked.forEach(({ check, index, units }, position) => {
    const result = remote.results[position]!;
    if (leasable(check)) leases.granted(check, units, result, now);
    results[index] = result;
  });
  return { answer: { results: [...results, ...remote.results.slice(asked.length)], coolingDown: remote.coolingDown } };
}

/** RateLimit-Policy when some limit applies; no header at all when only the abuse cooldown was checked. */
function policyHeaders(limits: readonly CompiledLimit[]): Record<string, string> {
  return limits.length ? { "ratelimit-policy": policyHeader(limits) } : {};
}

/** The 429 of a principal in its abuse cooldown (or, with `finding`, the call whose anomaly started it). */
export function cooldownRefusal(seconds: number, finding?: string): GatewayError {
  return new GatewayError("rateLimited", finding ? `cooldown started by anomaly ${finding}` : "principal in abuse cooldown", {
    detail: finding ? "unusual use of this tool; try again later" : "too many denied calls; try again later",
    data: { limit: "abuse-cooldown", retryAfter: seconds },
    headers: { "retry-after": String(seconds) },
  });
}

/** Counts one refused message against the principal's abuse baseline on its own (no other limit): true when it crosses it. */
export async function countTowardAbuse(backend: LimitBackend, principal: string, abuse: NonNullable<GatewaySettings["rateLimit"]["abuse"]>): Promise<boolean> {
  const [result] = await backend.consume([{ limit: abuseBaseline(abuse), identifier: principal, rate: 1 }]);
  return result?.success === false;
}

/** The abuse baseline as a limit: denied messages per principal in a fixed window. */
function abuseBaseline(abuse: NonNullable<GatewaySettings["rateLimit"]["abuse"]>): CompiledLimit {
  return {
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
}
