// Rate limits in Upstash Redis with @upstash/ratelimit's algorithms. Every limiter of one call sends
// its script through a batching client, flushed as a single @upstash/redis pipeline: one HTTP round
// trip per call, whatever the number of limits. Blocked identifiers are cached in the isolate by the
// library (ephemeral cache), so a limited caller costs no round trip until its window resets.

import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import type { CompiledLimit } from "../policy/types.js";
import { observationFromScript, USAGE_SCRIPT, usageScriptCall } from "./anomaly.js";
import type { LimitBackend, LimitCheck, LimitResult } from "./backend.js";

type Queued = { command: (pipeline: ReturnType<Redis["pipeline"]>) => void; resolve(value: unknown): void; reject(error: unknown): void };

/** The part of a Redis client @upstash/ratelimit calls, queued until flush() sends them together. */
class BatchingRedis {
  private queue: Queued[] = [];
  constructor(private readonly redis: Redis) {}

  private enqueue(command: Queued["command"]): Promise<unknown> {
    return new Promise((resolve, reject) => this.queue.push({ command, resolve, reject }));
  }

  evalsha(hash: string, keys: string[], args: unknown[]): Promise<unknown> {
    return this.enqueue((pipeline) => pipeline.evalsha(hash, keys, args));
  }

  eval(script: string, keys: string[], args: unknown[]): Promise<unknown> {
    return this.enqueue((pipeline) => pipeline.eval(script, keys, args));
  }

  get(key: string): Promise<unknown> {
    return this.enqueue((pipeline) => pipeline.get(key));
  }

  /** Sends everything queued as one pipeline; NOSCRIPT answers make the library retry with EVAL once. */
  async flush(): Promise<void> {
    // Let every limiter reach its redis call first: they are started together and queue synchronously.
    await Promise.resolve();
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      const pipeline = this.redis.pipeline();
      for (const item of batch) item.command(pipeline);
      try {
        const answers = (await pipeline.exec({ keepErrors: true })) as { result: unknown; error?: string }[];
        answers.forEach((answer, index) => (answer.error ? batch[index]!.reject(new Error(answer.error)) : batch[index]!.resolve(answer.result)));
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
      await Promise.resolve();
    }
  }
}

export function upstashBackend(url: string, token: string): LimitBackend {
  const redis = new Redis({ url, token, retry: { retries: 0 }, enableTelemetry: false });
  const batching = new BatchingRedis(redis);
  const limiters = new Map<string, Ratelimit>();
  const limiterFor = (limit: CompiledLimit): Ratelimit => {
    let limiter = limiters.get(limit.id);
    if (!limiter) {
      const window = `${limit.windowMs} ms` as const;
      limiter = new Ratelimit({
        redis: batching as unknown as Redis,
        limiter: limit.algorithm === "fixed-window" ? Ratelimit.fixedWindow(limit.limit, window) : Ratelimit.slidingWindow(limit.limit, window),
        prefix: `mcpw:rl:${limit.id}`,
        // The gateway applies its own timeout and failure mode per limit; the library's would fail open.
        timeout: 0,
        analytics: false,
        ephemeralCache: new Map(),
      });
      limiters.set(limit.id, limiter);
    }
    return limiter;
  };
  const run = async (checks: LimitCheck[], extra?: () => Promise<unknown>, usage?: () => Promise<unknown>) => {
    const pending = checks.map((check) => limiterFor(check.limit).limit(check.identifier, { rate: check.rate }));
    const extraResult = extra?.();
    // A count that fails loses one observation, never the call's limits.
    const usageResult = usage?.().catch((error: unknown) => console.error(JSON.stringify({ error: `tool use not counted: ${(error as Error).message}` })));
    await batching.flush();
    const responses = await Promise.all(pending);
    const results: LimitResult[] = responses.map((response) => ({ success: response.success, remaining: response.remaining, reset: response.reset }));
    return { results, extra: await extraResult, usage: await usageResult };
  };
  return {
    name: "upstash",
    async check(checks, cooldownKey, usage) {
      // The anomaly watch's count rides in the same pipeline (anomaly.ts).
      const counted = usage ? usageScriptCall(usage) : undefined;
      const answer = await run(checks, cooldownKey ? () => batching.get(cooldownKey) : undefined, counted ? () => batching.eval(USAGE_SCRIPT, counted.keys, counted.args) : undefined);
      return { results: answer.results, coolingDown: answer.extra !== null && answer.extra !== undefined, ...(counted && answer.usage !== undefined ? { usage: observationFromScript(answer.usage) } : {}) };
    },
    async consume(checks) {
      return (await run(checks)).results;
    },
    async startCooldown(key, ms) {
      await redis.set(key, 1, { px: ms });
    },
  };
}
