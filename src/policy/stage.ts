// The policy stage: one Decision for the message (decision.ts), with the integrity verdict of a tool
// call folded in, put on the context. It never refuses by itself: the rate-limit stage counts a denied
// message against the caller's abuse baseline first and then refuses it, so that every message,
// allowed or not, passes a decision and the limiter.

import { createMiddleware } from "hono/factory";
import type { Principal } from "../auth/authenticate.js";
import { gatewaySecrets, type Env } from "../config.js";
import { toolCallVerdict } from "../integrity/verdict.js";
import type { JsonObject } from "../mcp/json.js";
import type { EndpointVariables, Incoming } from "../mcp/stage.js";
import { PolicyEngine } from "./decide.js";
import { decideMessage, withIntegrity, type Decision } from "./decision.js";
import { loadSqlParser, policyUsesSql } from "./sql.js";
import type { CompiledPolicy } from "./types.js";

export type PolicyVariables = { decision: Decision };

export function policyDecision({ policy }: { policy: CompiledPolicy }) {
  const engine = new PolicyEngine(policy);
  const usesSql = policyUsesSql(policy);
  return createMiddleware<{ Bindings: Env; Variables: PolicyVariables & EndpointVariables & { principal: Principal; incoming: Incoming } }>(async (c, next) => {
    const { incoming, originName, origin, principal } = c.var;
    const params = incoming.message?.kind === "request" ? incoming.message.message.params : undefined;
    if (usesSql && incoming.row.target?.arguments) await loadSqlParser();
    let decision = decideMessage(engine, {
      origin: originName,
      originPolicy: origin,
      row: incoming.row,
      method: incoming.method,
      ...(incoming.target === undefined || incoming.targetKind === undefined ? {} : { target: { kind: incoming.targetKind, name: incoming.target } }),
      ...(incoming.row.target?.arguments ? { args: (params?.arguments as JsonObject | undefined) ?? {} } : {}),
      ...(incoming.relayed ? { relayed: incoming.relayed } : {}),
      ...(incoming.task !== undefined ? { task: incoming.task } : {}),
      ...(incoming.resumeRule !== undefined ? { resumeRule: incoming.resumeRule } : {}),
      ...(incoming.taskAugmented ? { taskAugmented: true } : {}),
      ...(incoming.subscribedResources ? { subscribedResources: incoming.subscribedResources } : {}),
      ...(incoming.unverifiedInput ? { unverifiedInput: true } : {}),
      inSession: incoming.session !== undefined,
      stateless: incoming.stateless,
      roles: principal.roles,
    });
    if (decision.effect === "allow" && incoming.method === "tools/call" && decision.target) {
      const flag = await toolCallVerdict(gatewaySecrets(c.env).tokens, policy.version, originName, origin.integrity, policy.pins[originName], decision.target.name);
      decision = withIntegrity(decision, flag);
    }
    c.set("decision", Object.freeze(decision));
    await next();
  });
}
