// Unauthenticated traffic, bounded per client address before it costs a KV read. A well-formed random
// token passes the public checksum, so a flood of them would each cost a KV read: instead every failed
// authentication counts against its address in the rate-limit store (in the background, off the
// latency path), and an address whose count is over the limit is refused with 429 by this isolate,
// without a KV read, until its window ends. Each isolate learns it from its own first failure past the
// limit, so a flood costs at most the limit plus one KV read per isolate per window. Valid tokens never
// count, and a token the isolate already holds passes a block (the block only spares KV reads), so a
// flood from a shared address cannot lock out callers this isolate knows. IPv6 is counted per /64.

import { GatewayError, asGatewayError } from "../errors.js";
import { IsolateCache } from "../isolate-cache.js";
import type { CompiledLimit, GatewaySettings } from "../policy/types.js";
import type { LimitBackend } from "./backend.js";
import type { RateLimitEnv } from "./store.js";

export type FailedAuthGuard = {
  /** A 429 for an address this isolate knows is over its limit. */
  refuseIfBlocked(address: string, now: number): void;
  /** Counts one failed authentication of the address in the store (background work). */
  recordFailure(env: RateLimitEnv, address: string, now: number): Promise<void>;
};

/**
 * The unit an address is counted in: an IPv4 address, or an IPv6 address's /64 (one subscriber's
 * prefix: rotating through it must not reset the count).
 */
export function addressKey(address: string): string {
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/** `store` picks the rate-limit store for an env (ratelimit/store.ts in the Worker). */
export function failedAuthGuard(settings: GatewaySettings["rateLimit"]["failedAuth"], store: (env: RateLimitEnv) => LimitBackend): FailedAuthGuard {
  if (!(settings.limit >= 1) || !(settings.windowMs >= 1)) throw new Error("failedAuthGuard: limit and window must be positive");
  const limit: CompiledLimit = {
    id: "failed-auth",
    origin: "*",
    per: "principal",
    measure: "requests",
    cost: 1,
    limit: settings.limit,
    windowMs: settings.windowMs,
    algorithm: "fixed-window",
    fail: "open",
  };
  const blockedUntil = new IsolateCache<string, number>(10_000);
  return {
    refuseIfBlocked(address, now) {
      const until = blockedUntil.get(addressKey(address));
      if (until === undefined || until <= now) return;
      const retryAfter = Math.max(1, Math.ceil((until - now) / 1000));
      throw new GatewayError("rateLimited", "address over its failed-authentication limit", {
        detail: "too many failed authentications from this address; try again later",
        data: { limit: limit.id, retryAfter },
        headers: { "retry-after": String(retryAfter) },
      });
    },
    async recordFailure(env, address, now) {
      try {
        const key = addressKey(address);
        const [result] = await store(env).consume([{ limit, identifier: `address:${key}`, rate: 1 }]);
        if (result && !result.success) blockedUntil.set(key, result.reset > now ? result.reset : now + settings.windowMs);
      } catch (error) {
        console.error(JSON.stringify({ error: `failed authentication not counted: ${asGatewayError(error).reason}` }));
      }
    },
  };
}
