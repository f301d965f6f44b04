// The policy stage: one Decision for the message (decision.ts), with the integrity verdict of a tool
// call folded in, put on the context. It reads the facts network and time conditions are decided on:
// CF-Connecting-IP (set by Cloudflare, which overwrites a client's own), `request.cf` country and ASN,
// and the clock. It never refuses by itself: the rate-limit stage counts a denied
// message against the caller's abuse baseline first and then refuses it, so that every message,
// allowed or not, passes a decision and the limiter.

import { createMiddleware } from "hono/factory";
import { protectedResourcePath, type Principal } from "../auth/authenticate.js";
import { gatewaySecrets, type Env } from "../config.js";
import { toolCallVerdict } from "../integrity/verdict.js";
import type { JsonObject } from "../mcp/json.js";
import type { EndpointVariables, Incoming } from "../mcp/stage.js";
import { PolicyEngine } from "./decide.js";
import type { CallerFacts } from "./conditions.js";
import { decideMessage, withIntegrity, type Decision } from "./decision.js";
import { loadSqlParser, policyUsesSql } from "./sql.js";
import type { CompiledPolicy } from "./types.js";

export type PolicyVariables = { decision: Decision };

/**
 * An OAuth caller denied a named target that one more role (scope) would allow: the RFC 6750 §3.1
 * `insufficient_scope` challenge naming the scopes to ask for (the ones it holds and the missing one),
 * so an MCP client can step up its authorization (MCP authorization, scope challenge handling).
 */
function scopeChallenge(engine: PolicyEngine, policy: CompiledPolicy, origin: string, url: string, roles: readonly string[], target: NonNullable<Decision["target"]>, args: JsonObject | undefined): Record<string, string> | undefined {
  const held = engine.expandRoles(roles);
  // The least role that would do: fewest inherited roles first, so a viewer is asked for developer, not admin.
  const missing = Object.keys(policy.roles)
    .sort((a, b) => policy.roles[a]!.length - policy.roles[b]!.length || a.localeCompare(b))
    .find((role) => !held.has(role) && engine.decide(origin, target.kind, target.name, engine.expandRoles([...roles, role]), args).effect === "allow");
  if (missing === undefined) return undefined;
  const metadata = new URL(protectedResourcePath(origin), url).href;
  return { "www-authenticate": `Bearer realm="mcp-warden", error="insufficient_scope", scope="${[...roles, missing].join(" ")}", resource_metadata="${metadata}", error_description="the ${missing} scope is required"` };
}

/**
 * The caller's address and where it is. Cloudflare's `XX` (country unknown) counts as missing, so a
 * country condition fails closed on it. (Local development: Miniflare's placeholder `request.cf`,
 * see the README.)
 */
export function callerFacts(request: Request, now: number): CallerFacts {
  const facts: CallerFacts = { now };
  const address = request.headers.get("cf-connecting-ip");
  if (address) facts.address = address;
  const cf = request.cf as { country?: unknown; asn?: unknown } | undefined;
  if (typeof cf?.country === "string" && cf.country !== "XX") facts.country = cf.country;
  if (typeof cf?.asn === "number") facts.asn = cf.asn;
  return facts;
}

export function policyDecision({ policy }: { policy: CompiledPolicy }) {
  const engine = new PolicyEngine(policy);
  const usesSql = policyUsesSql(policy);
  return createMiddleware<{ Bindings: Env; Variables: PolicyVariables & EndpointVariables & { principal: Principal; incoming: Incoming } }>(async (c, next) => {
    const incoming = c.get("incoming");
    const originName = c.get("originName");
    const origin = c.get("origin");
    const principal = c.get("principal");
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
      caller: callerFacts(c.req.raw, Date.now()),
      ...(principal.addresses ? { tokenAddresses: principal.addresses } : {}),
    });
    if (decision.refusal?.kind === "denied" && principal.grant !== undefined && decision.target) {
      const args = incoming.row.target?.arguments ? ((params?.arguments as JsonObject | undefined) ?? {}) : undefined;
      const headers = scopeChallenge(engine, policy, originName, c.req.url, principal.roles, decision.target, args);
      if (headers) decision = { ...decision, refusal: { ...decision.refusal, headers } };
    }
    if (decision.effect === "allow" && incoming.method === "tools/call" && decision.target) {
      const flag = await toolCallVerdict(gatewaySecrets(c.env).tokens, policy.version, originName, origin.integrity, policy.pins[originName], decision.target.name);
      decision = withIntegrity(decision, flag);
    }
    c.set("decision", Object.freeze(decision));
    await next();
  });
}
