// The rate-limit stage: reads the Decision. Every message, allowed or denied, is checked against every
// limit the Decision names and the caller's cooldown, in one round trip; a denied one also counts
// against the abuse baseline there (crossing it raises a flag event and, with a cooldown, refuses the
// caller for a while) and is then refused with the Decision's refusal. An answer carries the budget
// left, and its bytes (GET streams included) are charged to byte limits once it is over.

import { createMiddleware } from "hono/factory";
import type { Principal } from "../auth/authenticate.js";
import { emitFlag, type AuditDraft } from "../audit/event.js";
import type { Env } from "../config.js";
import { GatewayError, asGatewayError } from "../errors.js";
import type { Decision } from "../policy/decision.js";
import type { CompiledPolicy } from "../policy/types.js";
import { IsolateCache } from "../isolate-cache.js";
import { checksFor, cooldownKey, enforce } from "./limiter.js";
import { limitBackend } from "./store.js";

export type RateVariables = {
  /** Set when the limiter ran: its store, the limits that failed open, the headers for the answer, and the byte charge. */
  rate?: { store: string; failedOpen: string[]; headers: Record<string, string>; chargeBytes(bytes: number): void };
};

const refusal = ({ kind, reason, detail }: NonNullable<Decision["refusal"]>) => new GatewayError(kind, reason, { detail });

type Reads = RateVariables & { audit: AuditDraft; principal: Principal; originName: string; decision: Decision };

export function rateLimits({ policy }: { policy: CompiledPolicy }) {
  const settings = policy.gateway.rateLimit;
  const abuse = settings.abuse;
  const flagged = new IsolateCache<string, number>(10_000);

  /** Crossing the abuse baseline: a flag event and, with a cooldown configured, the caller refused for its length. */
  async function flagAbuse(env: Env, vars: Reads, waitUntil: (promise: Promise<unknown>) => void): Promise<void> {
    // Without a cooldown every denial past the baseline crosses it again: one flag per principal and window per isolate.
    const now = Date.now();
    if ((flagged.get(vars.principal.id) ?? 0) > now) return;
    flagged.set(vars.principal.id, now + (abuse?.windowMs ?? 0));
    try {
      if (abuse?.cooldownMs) await limitBackend(env).startCooldown(cooldownKey(vars.principal.id), abuse.cooldownMs);
      emitFlag(policy.version, { queue: env.AUDIT_QUEUE, waitUntil }, {
        origin: vars.originName,
        principal: vars.principal.id,
        roles: vars.principal.roles,
        abuse: "burst of denied calls",
        reason: abuse?.cooldownMs ? `cooldown ${abuse.cooldownMs} ms` : "flagged",
      });
    } catch (error) {
      console.error(JSON.stringify({ error: `abuse cooldown not started: ${asGatewayError(error).reason}` }));
    }
  }

  return createMiddleware<{ Bindings: Env; Variables: Reads }>(async (c, next) => {
    const { decision, principal } = c.var;
    const waitUntil = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
    // Every message counts, allowed or not: a loop of denied calls runs into the same limits.
    if (decision.limits.length || abuse?.cooldownMs || (abuse && decision.refusal?.kind === "denied")) {
      const backend = limitBackend(c.env);
      const byteLimits = decision.limits.filter((limit) => limit.measure === "bytes");
      const rate: NonNullable<RateVariables["rate"]> = {
        store: backend.name,
        failedOpen: [],
        headers: {},
        chargeBytes(bytes) {
          if (byteLimits.length) waitUntil(backend.consume(checksFor(byteLimits, principal.id, bytes)).catch(() => {}));
        },
      };
      c.set("rate", rate);
      const denial = decision.refusal?.kind === "denied" ? { onAbuse: () => waitUntil(flagAbuse(c.env, c.var, waitUntil)) } : undefined;
      let outcome;
      try {
        outcome = await enforce(backend, decision.limits, principal.id, settings, Date.now(), denial);
      } catch (error) {
        // A store that cannot answer never turns a refusal into something else: a denied message stays denied.
        if (decision.refusal && error instanceof GatewayError && error.kind === "rateLimiterUnavailable") throw refusal(decision.refusal);
        throw error;
      }
      rate.failedOpen = outcome.failedOpen;
      rate.headers = outcome.headers;
      if (outcome.failedOpen.length) console.warn(JSON.stringify({ warning: "rate limiter failed open", limits: outcome.failedOpen, requestId: c.var.audit.event.requestId }));
    }
    if (decision.refusal) throw refusal(decision.refusal);
    await next();
    if (!c.error) for (const [name, value] of Object.entries(c.var.rate?.headers ?? {})) c.res.headers.set(name, value);
  });
}
