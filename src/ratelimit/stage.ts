// The rate-limit stage: reads the Decision. Every message, allowed or denied, is checked against every
// limit the Decision names and the caller's cooldown, in one round trip; a denied one also counts
// against the abuse baseline there (crossing it raises a flag event and, with a cooldown, refuses the
// caller for a while) and is then refused with the Decision's refusal. An allowed tool call an anomaly
// watch covers is counted in the same round trip; each finding (anomaly.ts) is a flag event and, when
// the policy says so, starts the caller's cooldown and refuses the call. An answer carries the budget
// left, and its bytes (GET streams included) are charged to byte limits once it is over. Leased limits
// (lease.ts) spend from this isolate's leases, and the call asks the store only for what they cannot cover.

import { createMiddleware } from "hono/factory";
import type { Principal } from "../auth/authenticate.js";
import { emitFlag, type AuditDraft } from "../audit/event.js";
import type { Env } from "../config.js";
import { GatewayError, asGatewayError } from "../errors.js";
import type { Decision } from "../policy/decision.js";
import type { CompiledPolicy } from "../policy/types.js";
import { IsolateCache } from "../isolate-cache.js";
import { anomalyFindings, usageCount, type AnomalyFinding } from "./anomaly.js";
import { LeaseBook } from "./lease.js";
import { checksFor, cooldownKey, cooldownRefusal, countTowardAbuse, enforce } from "./limiter.js";
import { limitBackend } from "./store.js";

export type RateVariables = {
  /** Set when the limiter ran: its store, the limits that failed open, the headers for the answer, and the byte charge. */
  rate?: { store: string; failedOpen: string[]; headers: Record<string, string>; chargeBytes(bytes: number): void };
};

const refusal = ({ kind, reason, detail, headers }: NonNullable<Decision["refusal"]>) => new GatewayError(kind, reason, { detail, ...(headers ? { headers } : {}) });

type Reads = RateVariables & { audit: AuditDraft; principal: Principal; originName: string; decision: Decision };

/** This isolate's leases of leased limits. */
const leases = new LeaseBook();

/** Principals this isolate knows to be cooling down, with when it ends: refused before their messages are even read. */
const coolingDown = new IsolateCache<string, number>(10_000);

/** Crossing the abuse baseline: a flag event and, with a cooldown configured, the caller refused for its length. */
function abuseFlagger(policy: CompiledPolicy) {
  const abuse = policy.gateway.rateLimit.abuse;
  const flagged = new IsolateCache<string, number>(10_000);
  return async function flagAbuse(env: Env, vars: { principal: Principal; originName: string }, waitUntil: (promise: Promise<unknown>) => void): Promise<void> {
    // Without a cooldown every denial past the baseline crosses it again: one flag per principal and window per isolate.
    const now = Date.now();
    if ((flagged.get(vars.principal.id) ?? 0) > now) return;
    flagged.set(vars.principal.id, now + (abuse?.windowMs ?? 0));
    try {
      if (abuse?.cooldownMs) {
        coolingDown.set(vars.principal.id, now + abuse.cooldownMs);
        await limitBackend(env).startCooldown(cooldownKey(vars.principal.id), abuse.cooldownMs);
      }
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
  };
}

/**
 * Runs right after authentication, before the message is read: a principal this isolate knows to be
 * cooling down gets 429 for anything it sends, malformed or not. A message refused before policy
 * could decide on it because it carried a forged, altered or foreign sealed value (session, request
 * state, event id) counts against the abuse baseline like a denied one, in the background. (Forged
 * relayed-response and task ids are denials of the Decision, counted by the limiter.)
 */
export function cooldownGate({ policy }: { policy: CompiledPolicy }) {
  const abuse = policy.gateway.rateLimit.abuse;
  const flagAbuse = abuseFlagger(policy);
  return createMiddleware<{ Bindings: Env; Variables: { principal: Principal; originName: string; decision?: Decision } }>(async (c, next) => {
    const until = coolingDown.get(c.get("principal").id) ?? 0;
    const now = Date.now();
    if (until > now) throw cooldownRefusal(Math.ceil((until - now) / 1000));
    await next();
    const error = c.error instanceof GatewayError ? c.error : undefined;
    if (!abuse || c.get("decision") || !error?.options.forged) return;
    const waitUntil = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
    const vars = { principal: c.var.principal, originName: c.var.originName };
    waitUntil(
      countTowardAbuse(limitBackend(c.env), vars.principal.id, abuse)
        .then((crossed) => (crossed ? flagAbuse(c.env, vars, waitUntil) : undefined))
        .catch((failure: unknown) => console.error(JSON.stringify({ error: `refusal not counted toward abuse: ${asGatewayError(failure).reason}` }))),
    );
  });
}

/** An anomaly finding as its own flag event. */
function flagAnomaly(policy: CompiledPolicy, env: Env, vars: { principal: Principal; originName: string }, tool: string, finding: AnomalyFinding, waitUntil: (promise: Promise<unknown>) => void): void {
  emitFlag(policy.version, { queue: env.AUDIT_QUEUE, waitUntil }, {
    origin: vars.originName,
    principal: vars.principal.id,
    roles: vars.principal.roles,
    method: "tools/call",
    target: tool.slice(0, 256),
    abuse: `unusual use: ${finding.finding}`,
    anomaly: finding,
    reason: finding.action === "cooldown" ? `cooldown ${policy.anomalies.find((watch) => watch.id === finding.watch)?.cooldownMs ?? 0} ms` : "flagged",
  });
}

export function rateLimits({ policy }: { policy: CompiledPolicy }) {
  const anomalyCooldownMs = Math.max(0, ...policy.anomalies.map((watch) => watch.cooldownMs ?? 0));
  const settings = { ...policy.gateway.rateLimit, anomalyCooldownMs };
  const abuse = settings.abuse;
  const flagAbuse = abuseFlagger(policy);
  const cooldownMs = Math.max(abuse?.cooldownMs ?? 0, anomalyCooldownMs);

  return createMiddleware<{ Bindings: Env; Variables: Reads }>(async (c, next) => {
    const decision = c.get("decision");
    const principal = c.get("principal");
    const waitUntil = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
    // Every message counts, allowed or not: a loop of denied calls runs into the same limits.
    const watch = decision.effect === "allow" ? decision.watch : undefined;
    if (decision.limits.length || cooldownMs || watch || (abuse && decision.refusal?.kind === "denied")) {
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
      let cooldownFinding: AnomalyFinding | undefined;
      const usage =
        watch && decision.target
          ? {
              count: usageCount(watch, principal.id, c.var.originName, decision.target.name, Date.now()),
              observe: (observation: Parameters<typeof anomalyFindings>[1]) => {
                for (const finding of anomalyFindings(watch, observation)) {
                  flagAnomaly(policy, c.env, c.var, decision.target!.name, finding, waitUntil);
                  if (finding.action === "cooldown") cooldownFinding ??= finding;
                }
              },
            }
          : undefined;
      let outcome: Awaited<ReturnType<typeof enforce>> | undefined;
      let failure: unknown;
      try {
        outcome = await enforce(backend, decision.limits, principal.id, settings, Date.now(), denial, usage, leases);
      } catch (error) {
        failure = error;
      }
      if (cooldownFinding && watch?.cooldownMs) {
        // The call that showed the anomaly is the first one refused.
        coolingDown.set(principal.id, Date.now() + watch.cooldownMs);
        await backend.startCooldown(cooldownKey(principal.id), watch.cooldownMs).catch((error: unknown) => console.error(JSON.stringify({ error: `anomaly cooldown not stored: ${asGatewayError(error).reason}` })));
        failure = cooldownRefusal(Math.ceil(watch.cooldownMs / 1000), cooldownFinding.finding);
      }
      if (failure !== undefined || !outcome) {
        const error = failure;
        // Learnt from the store: refuse this principal's next messages in this isolate before reading them.
        if (error instanceof GatewayError && error.options.data?.limit === "abuse-cooldown" && (coolingDown.get(principal.id) ?? 0) <= Date.now()) coolingDown.set(principal.id, Date.now() + cooldownMs);
        // A store that cannot answer never turns a refusal into something else: a denied message stays denied.
        if (decision.refusal && error instanceof GatewayError && error.kind === "rateLimiterUnavailable") throw refusal(decision.refusal);
        throw error;
      }
      if (outcome.background) waitUntil(outcome.background);
      rate.failedOpen = outcome.failedOpen;
      rate.headers = outcome.headers;
      if (outcome.failedOpen.length) console.warn(JSON.stringify({ warning: "rate limiter failed open", limits: outcome.failedOpen, requestId: c.var.audit.event.requestId }));
    }
    if (decision.refusal) throw refusal(decision.refusal);
    await next();
    if (!c.error) for (const [name, value] of Object.entries(c.get("rate")?.headers ?? {})) c.res.headers.set(name, value);
  });
}
