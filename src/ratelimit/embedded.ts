// The embedded rate-limit store: one Durable Object that runs inside workerd, used when no Upstash
// credentials are configured (local development, or a deployment that prefers it). Single-threaded,
// so counts are exact; the same window semantics as the Upstash scripts (backend.ts). One RPC per call.

import { DurableObject } from "cloudflare:workers";
import { countUsage, type UsageCount, type UsageObservation } from "./anomaly.js";
import type { LimitBackend, LimitCheck, LimitResult } from "./backend.js";
import { windowStep } from "./backend.js";

type Counts = { current: number; previous: number };

export class RateLimitStore extends DurableObject {
  private counts(key: string, bucket: number): Promise<Counts> {
    return this.ctx.storage.get<number>([`${key}:${bucket}`, `${key}:${bucket - 1}`]).then((found) => ({
      current: found.get(`${key}:${bucket}`) ?? 0,
      previous: found.get(`${key}:${bucket - 1}`) ?? 0,
    }));
  }

  private async apply(checks: LimitCheck[], now: number): Promise<LimitResult[]> {
    const results: LimitResult[] = [];
    for (const { limit, identifier, rate } of checks) {
      const key = `${limit.id}:${identifier}`;
      const bucket = Math.floor(now / limit.windowMs);
      const step = windowStep(limit.algorithm, limit.limit, limit.windowMs, now, rate, await this.counts(key, bucket));
      await this.ctx.storage.put(`${key}:${bucket}`, step.current);
      await this.ctx.storage.delete(`${key}:${bucket - 2}`);
      results.push(step.result);
    }
    return results;
  }

  /** An anomaly watch's count of one tool call (anomaly.ts). */
  private async countUsage(usage: UsageCount): Promise<UsageObservation> {
    const seenKey = `${usage.seen}\n${usage.member}`;
    const stored = await this.ctx.storage.get<Record<string, number> | number>([usage.counts, seenKey]);
    const { hours, observation } = countUsage((stored.get(usage.counts) as Record<string, number> | undefined) ?? {}, stored.get(seenKey) as number | undefined, usage);
    await this.ctx.storage.put<Record<string, number> | number>({ [usage.counts]: hours, [seenKey]: usage.now });
    return observation;
  }

  async check(checks: LimitCheck[], cooldownKey: string | undefined, usage?: UsageCount): Promise<{ results: LimitResult[]; coolingDown: boolean; usage?: UsageObservation }> {
    const now = Date.now();
    const until = cooldownKey ? await this.ctx.storage.get<number>(cooldownKey) : undefined;
    const results = await this.apply(checks, now);
    return { results, coolingDown: until !== undefined && until > now, ...(usage ? { usage: await this.countUsage(usage) } : {}) };
  }

  async consume(checks: LimitCheck[]): Promise<LimitResult[]> {
    return this.apply(checks, Date.now());
  }

  async startCooldown(key: string, ms: number): Promise<void> {
    await this.ctx.storage.put(key, Date.now() + ms);
  }
}

export function embeddedBackend(namespace: DurableObjectNamespace<RateLimitStore>): LimitBackend {
  const store = () => namespace.get(namespace.idFromName("rate-limits"));
  return {
    name: "embedded",
    check: (checks, cooldownKey, usage) => store().check(checks, cooldownKey, usage) as Promise<{ results: LimitResult[]; coolingDown: boolean; usage?: UsageObservation }>,
    consume: (checks) => store().consume(checks) as Promise<LimitResult[]>,
    startCooldown: (key, ms) => store().startCooldown(key, ms),
  };
}
