// The audit stage: first in the pipeline, it opens one event per message and, once the message has
// passed (or failed) every stage, records what they put on the context — the caller, the message and
// its target, a keyed digest of the arguments, the Decision, the limiter's store — and the error, if
// any, through its kind's audit decision. The answer path adds what only the answer shows.

import { createMiddleware } from "hono/factory";
import type { Principal } from "../auth/authenticate.js";
import { gatewaySecrets, type Env } from "../config.js";
import { asGatewayError } from "../errors.js";
import type { JsonObject } from "../mcp/json.js";
import type { Incoming } from "../mcp/stage.js";
import type { Decision } from "../policy/decision.js";
import type { CompiledPolicy } from "../policy/types.js";
import type { RateVariables } from "../ratelimit/stage.js";
import { AuditDraft, describeArguments, requestFacts } from "./event.js";

export type AuditVariables = { audit: AuditDraft };

type Reads = AuditVariables & RateVariables & { originName?: string; principal?: Principal; incoming?: Incoming; decision?: Decision; originMs?: number };

export function auditTrail({ policy }: { policy: CompiledPolicy }) {
  const policyVersion = policy.version;
  return createMiddleware<{ Bindings: Env; Variables: Reads }>(async (c, next) => {
    const draft = new AuditDraft(requestFacts(c.req.raw), policyVersion, { queue: c.env.AUDIT_QUEUE, waitUntil: (promise) => c.executionCtx.waitUntil(promise) });
    c.set("audit", draft);
    await next();
    try {
      await record(draft, c.env, { originName: c.get("originName"), principal: c.get("principal"), incoming: c.get("incoming"), decision: c.get("decision"), rate: c.get("rate"), originMs: c.get("originMs") });
    } catch (error) {
      // The answer stands: an audit detail that could not be recorded never replaces it.
      console.error(JSON.stringify({ error: `audit event incomplete: ${asGatewayError(error).reason}`, requestId: draft.event.requestId }));
    }
    draft.event.status = c.res.status;
    if (c.error) draft.fail(asGatewayError(c.error));
    draft.release();
  });
}

async function record(draft: AuditDraft, env: Env, vars: Omit<Reads, "audit">): Promise<void> {
  const event = draft.event;
  const { originName, principal, incoming, decision, rate, originMs } = vars;
  // The origin once the endpoint named one of the policy: an unknown endpoint's name is request text.
  if (originName !== undefined) event.origin = originName;
  if (principal) {
    event.principal = principal.id;
    event.roles = principal.roles;
    event.authMode = principal.via;
  }
  if (incoming && incoming.row.kind !== "response") {
    event.method = incoming.method;
    if (incoming.target !== undefined) event.target = incoming.target.slice(0, 256);
  }
  if (decision) {
    if (decision.rule !== undefined) event.rule = decision.rule;
    if (decision.condition) event.condition = decision.condition;
    if (decision.effect === "allow") event.decision = "allow";
    if (decision.integrity) event.integrity = [decision.integrity];
    const params = incoming?.message?.kind === "request" ? incoming.message.message.params : undefined;
    if (decision.target && incoming?.row.target?.arguments) {
      Object.assign(event, await describeArguments(gatewaySecrets(env).sessionSecret, (params?.arguments as JsonObject | undefined) ?? {}));
    }
  }
  if (rate) {
    event.rateLimitStore = rate.store;
    if (rate.failedOpen.length) event.rateLimitFailedOpen = rate.failedOpen;
  }
  if (originMs !== undefined) event.originMs = originMs;
}
