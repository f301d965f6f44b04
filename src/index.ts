// The Worker: one Hono app that runs every MCP message through the pipeline in order —
// mcp/ (transport, parse, session) → auth/ → policy/ → forward/ → answer hook (policy filter) →
// client — and writes one audit/ event per request. Everything configurable comes from the
// build-time policy bundle and the Worker's secrets.

import { Hono } from "hono/tiny";
import policy from "warden:policy";
import { consumeAuditBatch } from "./audit/consumer.js";
import { AuditDraft, describeArguments } from "./audit/event.js";
import { authenticate, protectedResourcePath, type Principal } from "./auth/authenticate.js";
import { gatewaySecrets, knownSecretValues, originCredential, type Env, type GatewaySecrets } from "./config.js";
import { GatewayError, asGatewayError, errorResponse } from "./errors.js";
import { callOrigin, type OriginCall } from "./forward/origin.js";
import { relay, type AnswerHook } from "./forward/relay.js";
import { readBody } from "./mcp/body.js";
import { JsonSyntaxError, parseJsonBytes, type Json, type JsonObject } from "./mcp/json.js";
import { classify, isKnownClientMethod, salvageId, targetOf, type JsonRpcId, type JsonRpcMessage, type Target } from "./mcp/jsonrpc.js";
import { isValidOriginSessionId, unwrapSession, wrapSession, type Session } from "./mcp/session.js";
import {
  STATELESS_VERSION,
  checkGetHeaders,
  checkOrigin,
  checkPostHeaders,
  checkStatelessHeaders,
  headerVersion,
  isSupportedVersion,
  type ProtocolVersion,
} from "./mcp/transport.js";
import { DEFAULT_DENY, PolicyEngine } from "./policy/decide.js";
import { filterListing, isListing } from "./policy/filter.js";
import { isToolName, stripInvisible } from "./integrity/poison.js";
import { blockedTool, recordBlocked } from "./integrity/registry.js";
import { reviewTool, type IntegrityFlag } from "./integrity/review.js";
import type { CompiledOrigin, ScrubPolicy, TargetKind } from "./policy/types.js";
import type { Family } from "./scrub/detectors.js";
import type { ScrubSettings } from "./scrub/scrub.js";
import { scrubMessage } from "./scrub/walk.js";
import type { LimitBackend } from "./ratelimit/backend.js";
import { applicableLimits, checksFor, enforce, recordDenial } from "./ratelimit/limiter.js";
import { limitBackend } from "./ratelimit/store.js";

export { RateLimitStore } from "./ratelimit/embedded.js";

type Variables = {
  audit: AuditDraft;
  originName: string;
  origin: CompiledOrigin;
  secrets: GatewaySecrets;
  principal: Principal;
  roles: Set<string>;
};
type AppEnv = { Bindings: Env; Variables: Variables };
/** The part of the execution context the pipeline uses: work that outlives the answer. */
type Background = { waitUntil(promise: Promise<unknown>): void };

const engine = new PolicyEngine(policy);
const settings = policy.gateway;
const answerLimits = (origin: CompiledOrigin) => ({
  maxEventBytes: settings.maxAnswerEventBytes,
  maxDepth: settings.maxDepth,
  idleTimeoutMs: origin.timeoutMs,
});

/** What each client request needs the policy to allow, beyond being a known method. */
const TARGET_KINDS: Record<string, TargetKind> = {
  "tools/call": "tool",
  "resources/read": "resource",
  "resources/subscribe": "resource",
  "resources/unsubscribe": "resource",
  "prompts/get": "prompt",
};

const app = new Hono<AppEnv>();

app.onError((thrown, c) => {
  const error = asGatewayError(thrown);
  const audit = c.get("audit");
  if (audit) recordError(audit, error);
  if (error.kind === "internal") console.error(JSON.stringify({ error: error.reason }));
  return errorResponse(error, null);
});

app.notFound(() => errorResponse(new GatewayError("unknownEndpoint", "no route"), null));

app.get("/.well-known/oauth-protected-resource/mcp/:origin", (c) => {
  const name = c.req.param("origin");
  if (!Object.hasOwn(policy.origins, name)) throw new GatewayError("unknownEndpoint", `unknown origin ${name}`);
  const base = new URL(c.req.url).origin;
  return c.json({
    resource: `${base}/mcp/${name}`,
    bearer_methods_supported: ["header"],
    resource_name: `mcp-warden: ${name}`,
    resource_documentation: `${base}/.well-known/mcp-warden`,
  });
});

app.get("/.well-known/mcp-warden", (c) =>
  c.json({ gateway: "mcp-warden", policyVersion: policy.version, origins: Object.keys(policy.origins), protectedResourceMetadata: Object.keys(policy.origins).map(protectedResourcePath) }),
);

// Stage 0: one audit event per request, emitted when the answer is complete.
app.use("/mcp/:origin", async (c, next) => {
  const audit = new AuditDraft(c.req.raw, policy.version, { queue: c.env.AUDIT_QUEUE, waitUntil: (promise) => c.executionCtx.waitUntil(promise) });
  c.set("audit", audit);
  await next();
  audit.event.status = c.res.status;
  if (!audit.deferred) audit.emit();
});

// Stage 1 (mcp/): the endpoint exists, the browser origin is allowed, the gateway is configured.
app.use("/mcp/:origin", async (c, next) => {
  const name = c.req.param("origin");
  c.get("audit").event.origin = name.slice(0, 64);
  if (!Object.hasOwn(policy.origins, name)) throw new GatewayError("unknownEndpoint", `unknown origin ${name.slice(0, 64)}`);
  checkOrigin(c.req.raw.headers, settings.allowedOrigins, new URL(c.req.url));
  c.set("originName", name);
  c.set("origin", policy.origins[name]!);
  c.set("secrets", gatewaySecrets(c.env));
  await next();
});

// Stage 2 (auth/): who is calling.
app.use("/mcp/:origin", async (c, next) => {
  const { pepper, tokens } = c.get("secrets");
  const principal = await authenticate(c.req.raw, c.get("originName"), pepper, tokens, Math.floor(Date.now() / 1000), settings.tokenCacheSeconds);
  c.set("principal", principal);
  c.set("roles", engine.expandRoles(principal.roles));
  const audit = c.get("audit").event;
  audit.principal = principal.id;
  audit.roles = principal.roles;
  await next();
});

app.post("/mcp/:origin", async (c) => {
  let id: JsonRpcId | null = null;
  try {
    return await handlePost(c.req.raw, c.env, c.var, c.executionCtx, (known) => (id = known));
  } catch (thrown) {
    const error = asGatewayError(thrown);
    recordError(c.var.audit, error);
    return errorResponse(error, id);
  }
});

app.get("/mcp/:origin", async (c) => {
  const headers = c.req.raw.headers;
  checkGetHeaders(headers);
  const version = headerVersion(headers);
  if (version === STATELESS_VERSION) throw new GatewayError("methodNotAllowed", "GET under the stateless revision");
  // An origin without sessions gives the client none; its server-to-client stream is then not offered.
  if (!headers.has("mcp-session-id")) throw new GatewayError("methodNotAllowed", "GET stream without a session", { headers: { allow: "POST, DELETE" } });
  const session = await requireSession(headers, c.var);
  const lastEventId = headers.get("last-event-id") ?? undefined;
  if (lastEventId !== undefined && !/^[\x21-\x7e]{1,256}$/.test(lastEventId)) throw new GatewayError("badTransport", "bad last-event-id");
  c.var.audit.event.method = "GET stream";
  c.var.audit.event.decision = "allow";
  const call: OriginCall = { method: "GET", version: version ?? session.version, sessionId: session.originSessionId, lastEventId };
  const response = await callOrigin(c.var.origin, originCredential(c.env, c.var.origin), call);
  return relayToClient(response, c.env, c.var, c.executionCtx, session, { method: "GET stream" }, undefined, {
    ...answerLimits(c.var.origin),
    idleTimeoutMs: undefined,
  }, c.var.origin.scrub);
});

app.delete("/mcp/:origin", async (c) => {
  const headers = c.req.raw.headers;
  if (headerVersion(headers) === STATELESS_VERSION) throw new GatewayError("methodNotAllowed", "DELETE under the stateless revision");
  const session = await requireSession(headers, c.var);
  c.var.audit.event.method = "DELETE session";
  c.var.audit.event.decision = "allow";
  const response = await callOrigin(c.var.origin, originCredential(c.env, c.var.origin), {
    method: "DELETE",
    version: session.version,
    sessionId: session.originSessionId,
  });
  await response.body?.cancel();
  if (response.status === 404) throw new GatewayError("sessionNotFound", "origin no longer knows the session");
  if (response.status === 405) throw new GatewayError("methodNotAllowed", "origin does not end sessions");
  if (response.status >= 300) throw new GatewayError("originInvalidAnswer", `origin answered DELETE with ${response.status}`);
  return new Response(null, { status: response.status === 204 ? 204 : 200 });
});

app.all("/mcp/:origin", () => {
  throw new GatewayError("methodNotAllowed", "unsupported HTTP method", { headers: { allow: "GET, POST, DELETE" } });
});

async function requireSession(headers: Headers, vars: Variables): Promise<Session> {
  const clientId = headers.get("mcp-session-id");
  if (clientId === null) throw new GatewayError("badTransport", "no session id", { detail: "Mcp-Session-Id header is required" });
  return unwrapSession(vars.secrets.sessionSecret, { origin: vars.originName, principal: vars.principal.id }, clientId);
}

function recordError(audit: AuditDraft, error: GatewayError): void {
  audit.event.reason = error.reason;
  audit.event.errorCode = error.code;
  audit.event.decision = error.kind === "denied" || error.kind === "forbidden" || error.kind === "unauthorized" || error.kind === "toolRefused" ? "deny" : error.kind === "rateLimited" ? "limited" : "error";
}

async function handlePost(
  request: Request,
  env: Env,
  vars: Variables,
  ctx: Background,
  knowId: (id: JsonRpcId) => void,
): Promise<Response> {
  const headers = request.headers;
  checkPostHeaders(headers);
  const version = headerVersion(headers);
  const bytes = await readBody(request, settings.maxBodyBytes);
  let value: Json;
  try {
    value = parseJsonBytes(bytes, settings.maxDepth);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new GatewayError("parse", error.message, { detail: error.reason });
    throw error;
  }
  const salvaged = salvageId(value);
  if (salvaged !== null) knowId(salvaged);
  const message = classify(value);
  const stateless = version === STATELESS_VERSION;

  let target: Target | undefined;
  if (message.kind !== "response") {
    if (!isKnownClientMethod(message.kind, message.message.method, stateless)) {
      throw new GatewayError("methodNotFound", `unknown method ${message.message.method.slice(0, 64)}`, {
        detail: "this method is not supported by the gateway",
      });
    }
    target = message.kind === "request" ? targetOf(message.message) : { method: message.message.method };
    vars.audit.event.method = target.method;
    if (target.name !== undefined) vars.audit.event.target = target.name.slice(0, 256);
  }

  // Which session and protocol version this message belongs to.
  let session: Session | undefined;
  const isInitialize = message.kind === "request" && message.message.method === "initialize";
  if (stateless) {
    if (target) checkStatelessHeaders(headers, target);
    else throw new GatewayError("badTransport", "response under the stateless revision", { detail: "the stateless revision takes requests and notifications only" });
  } else if (headers.has("mcp-session-id")) {
    if (isInitialize) throw new GatewayError("badTransport", "initialize inside a session", { detail: "initialize must not carry Mcp-Session-Id" });
    session = await requireSession(headers, vars);
  } else if (!isInitialize && !version) {
    throw new GatewayError("badTransport", "no version and no session", { detail: "MCP-Protocol-Version header is required" });
  }
  const effectiveVersion: ProtocolVersion | undefined = version ?? session?.version;

  // Policy: the decision for what this message asks for, and how its answer is scrubbed.
  let scrub = vars.origin.scrub;
  if (message.kind === "request") {
    const kind = TARGET_KINDS[message.message.method];
    if (kind && target?.name !== undefined) {
      const args = kind === "tool" || kind === "prompt" ? ((message.message.params?.arguments as Record<string, Json> | undefined) ?? {}) : undefined;
      if (args) Object.assign(vars.audit.event, await describeArguments(vars.secrets.sessionSecret, args));
      const decision = engine.decide(vars.originName, kind, target.name, vars.roles, args);
      vars.audit.event.rule = decision.rule;
      if (decision.effect === "deny") {
        vars.audit.event.decision = "deny";
        if (settings.rateLimit.abuse) ctx.waitUntil(flagAbuse(env, vars, ctx, settings.rateLimit.abuse));
        throw new GatewayError("denied", decision.reason, { detail: decision.rule === DEFAULT_DENY ? `${kind} not permitted` : decision.reason });
      }
      if (decision.scrub) scrub = decision.scrub;
      if (kind === "tool") await checkToolIntegrity(env, vars, target.name);
    }
  }
  vars.audit.event.decision = "allow";

  // Rate limits: every limit that applies, in one round trip, each with its own failure mode.
  let rate: { backend: LimitBackend; headers: Record<string, string>; bytesLimits: ReturnType<typeof applicableLimits> } | undefined;
  if (message.kind === "request") {
    const limits = applicableLimits(policy.limits, vars.originName, vars.roles, message.message.method, message.message.method === "tools/call" ? target?.name : undefined);
    if (limits.length || settings.rateLimit.abuse?.cooldownMs) {
      const backend = limitBackend(env);
      vars.audit.event.rateLimitStore = backend.name;
      const outcome = await enforce(backend, limits, vars.principal.id, settings.rateLimit, Date.now());
      if (outcome.failedOpen.length) {
        vars.audit.event.rateLimitFailedOpen = outcome.failedOpen;
        console.warn(JSON.stringify({ warning: "rate limiter failed open", limits: outcome.failedOpen, requestId: vars.audit.event.requestId }));
      }
      rate = { backend, headers: outcome.headers, bytesLimits: limits.filter((limit) => limit.measure === "bytes") };
    }
  }

  // Forward exactly what was checked: the parsed message, re-serialized.
  const call: OriginCall = { method: "POST", body: JSON.stringify(message.message) };
  if (effectiveVersion) call.version = effectiveVersion;
  if (session) call.sessionId = session.originSessionId;
  if (stateless && target) {
    call.mcpMethod = target.method;
    if (target.name !== undefined) call.mcpName = target.name;
  }
  const started = Date.now();
  const response = await callOrigin(vars.origin, originCredential(env, vars.origin), call);
  vars.audit.event.originMs = Date.now() - started;
  const requestId = message.kind === "request" ? message.message.id : undefined;
  const answered = await relayToClient(response, env, vars, ctx, session, target ?? { method: "response" }, requestId, answerLimits(vars.origin), scrub, isInitialize, (bytes) => {
    if (rate?.bytesLimits.length) ctx.waitUntil(rate.backend.consume(checksFor(rate.bytesLimits, vars.principal.id, bytes)).catch(() => {}));
  });
  for (const [name, value] of Object.entries(rate?.headers ?? {})) answered.headers.set(name, value);
  return answered;
}

/** The answer hook and the relay, shared by POST and GET. */
async function relayToClient(
  response: Response,
  env: Env,
  vars: Variables,
  ctx: Background,
  session: Session | undefined,
  target: Target,
  requestId: JsonRpcId | undefined,
  limits: ReturnType<typeof answerLimits> | { maxEventBytes: number; maxDepth: number; idleTimeoutMs: undefined },
  scrub: ScrubPolicy,
  isInitialize = false,
  onBytes?: (bytes: number) => void,
): Promise<Response> {
  const audit = vars.audit;
  const settings = scrubSettings(env, scrub, vars.principal.token);
  const redactions: Record<string, number> = {};
  const hook: AnswerHook = async (message) => {
    const total = () => Object.values(redactions).reduce((sum, count) => sum + count, 0);
    const before = total();
    const scrubbed = scrubMessage(await filterAnswer(message), settings, redactions);
    if (total() > 0) audit.event.redactions = redactions;
    if (scrub.action === "refuse" && total() > before && scrubbed.kind === "response" && requestId !== undefined) {
      audit.event.reason = "result withheld: it contained sensitive data";
      return { kind: "response", message: { jsonrpc: "2.0", id: requestId, error: { code: -32034, message: "Result withheld: it contained sensitive data" } } };
    }
    return allowServerRequest(scrubbed) ? scrubbed : undefined;
  };
  const filterAnswer = async (message: JsonRpcMessage): Promise<JsonRpcMessage> => {
    if (message.kind === "response" && "result" in message.message && isListing(target.method)) {
      const { result, removed } = filterListing(target.method, message.message.result, (kind, name) =>
        engine.isVisible(vars.originName, kind, name, vars.roles),
      );
      audit.event.listingRemoved = (audit.event.listingRemoved ?? 0) + removed;
      const checked = target.method === "tools/list" ? await reviewToolListing(env, vars, ctx, result) : stripInvisible(result);
      return { kind: "response", message: { ...message.message, result: checked } };
    }
    if (isInitialize && message.kind === "response" && "result" in message.message) {
      return { kind: "response", message: { ...message.message, result: stripInvisible(message.message.result) } };
    }
    return message;
  };
  const allowServerRequest = (message: JsonRpcMessage): boolean => {
    if (message.kind === "request" && message.message.method !== "ping") {
      const decision = engine.decide(vars.originName, "serverRequest", message.message.method, vars.roles);
      if (decision.effect === "deny") {
        audit.event.droppedServerRequests = (audit.event.droppedServerRequests ?? 0) + 1;
        ctx.waitUntil(refuseServerRequest(env, vars, session, message));
        return false;
      }
    }
    return true;
  };
  audit.deferred = true;
  return relay(response, {
    limits,
    ...(requestId === undefined ? {} : { requestId }),
    hook,
    ...(isInitialize ? { headers: (origin, answer) => initializeHeaders(vars, origin, answer) } : {}),
    onEnd: ({ error, bytes }) => {
      audit.event.responseBytes = bytes;
      onBytes?.(bytes);
      if (error) recordError(audit, error);
      audit.emit();
    },
  });
}

/**
 * tools/list: every tool the policy lets this caller see is checked against the origin's pins (or,
 * without pins, scanned for poisoning); caught tools are hidden and recorded so calls to them are refused.
 */
async function reviewToolListing(env: Env, vars: Variables, ctx: Background, result: JsonObject): Promise<JsonObject> {
  const tools = result.tools as JsonObject[];
  const origin = vars.origin;
  const shown: JsonObject[] = [];
  const flags: IntegrityFlag[] = [];
  for (const tool of tools) {
    const review = await reviewTool(tool, origin.integrity, policy.pins[vars.originName]);
    if (review.show) shown.push(review.show);
    if (review.flag) flags.push(review.flag);
  }
  if (flags.length) {
    vars.audit.event.integrity = [...(vars.audit.event.integrity ?? []), ...flags].slice(0, 100);
    recordBlocked(env.TOKENS, policy.version, vars.originName, flags, (work) => ctx.waitUntil(work));
  }
  const { tools: _listed, ...rest } = result;
  return { ...stripInvisible(rest), tools: shown };
}

/** tools/call: refused when the tool's name is no tool name, it has no pin, or a listing caught it. */
async function checkToolIntegrity(env: Env, vars: Variables, tool: string): Promise<void> {
  const pins = policy.pins[vars.originName];
  const blocking = vars.origin.integrity.drift === "block";
  let flag: IntegrityFlag | undefined;
  if (!isToolName(tool)) flag = { tool: tool.slice(0, 128), reason: "poisoned", findings: ["tool-name"], action: "blocked" };
  else if (pins && blocking && !Object.hasOwn(pins, tool)) flag = { tool, reason: "unpinned", action: "blocked" };
  else {
    try {
      flag = await blockedTool(env.TOKENS, policy.version, vars.originName, tool, Date.now());
    } catch (error) {
      throw new GatewayError("integrityStoreUnavailable", `integrity records unreadable: ${String(error).slice(0, 200)}`);
    }
  }
  if (!flag) return;
  vars.audit.event.integrity = [flag];
  const detail = { drift: "the tool's definition changed since it was reviewed", unpinned: "the tool has no reviewed pin", poisoned: "the tool's metadata failed the poisoning check" }[flag.reason];
  throw new GatewayError("toolRefused", `tool ${flag.tool}: ${flag.reason}`, { detail });
}

const scrubSets = new WeakMap<ScrubPolicy, { families: Set<Family>; allow: Set<string> }>();

/** The scrubber's settings for one answer: the policy's families and allow-list, every known secret, the caller's token. */
function scrubSettings(env: Env, scrub: ScrubPolicy, callerToken: string): ScrubSettings {
  let sets = scrubSets.get(scrub);
  if (!sets) {
    sets = { families: new Set(scrub.families), allow: new Set(scrub.allow) };
    scrubSets.set(scrub, sets);
  }
  return { ...sets, knownSecrets: [...knownSecretValues(env, policy.origins), callerToken] };
}

/** The gateway's session id for a fresh origin session, bound to this origin, principal and version. */
async function initializeHeaders(vars: Variables, origin: Response, answer: JsonRpcMessage | undefined): Promise<Record<string, string>> {
  const originSessionId = origin.headers.get("mcp-session-id");
  if (originSessionId === null || !answer || answer.kind !== "response" || !("result" in answer.message)) return {};
  const version = answer.message.result.protocolVersion;
  if (typeof version !== "string" || !isSupportedVersion(version) || version === STATELESS_VERSION) {
    throw new GatewayError("originInvalidAnswer", "origin negotiated an unsupported protocol version");
  }
  if (!isValidOriginSessionId(originSessionId)) throw new GatewayError("originInvalidAnswer", "origin sent an invalid session id");
  const binding = { origin: vars.originName, principal: vars.principal.id };
  return { "mcp-session-id": await wrapSession(vars.secrets.sessionSecret, binding, { originSessionId, version }) };
}

/** A denied call counts against the caller's abuse baseline; crossing it is its own audit event. */
async function flagAbuse(env: Env, vars: Variables, ctx: Background, abuse: NonNullable<typeof settings.rateLimit.abuse>): Promise<void> {
  try {
    if (!(await recordDenial(limitBackend(env), vars.principal.id, abuse))) return;
    const flag = new AuditDraft(new Request("https://mcp-warden.invalid/abuse"), policy.version, { queue: env.AUDIT_QUEUE, waitUntil: (promise) => ctx.waitUntil(promise) });
    Object.assign(flag.event, { httpMethod: "-", origin: vars.originName, principal: vars.principal.id, roles: vars.principal.roles, decision: "flag", abuse: "burst of denied calls", reason: abuse.cooldownMs ? `cooldown ${abuse.cooldownMs} ms` : "flagged" });
    flag.emit();
  } catch (error) {
    console.error(JSON.stringify({ error: `abuse baseline update failed: ${asGatewayError(error).reason}` }));
  }
}

/** An origin asked the client for something the policy does not let this caller grant: tell the origin no. */
async function refuseServerRequest(env: Env, vars: Variables, session: Session | undefined, message: JsonRpcMessage): Promise<void> {
  if (message.kind !== "request") return;
  const refusal = { jsonrpc: "2.0", id: message.message.id, error: { code: -32601, message: "Denied by gateway policy" } };
  try {
    const call: OriginCall = { method: "POST", body: JSON.stringify(refusal) };
    if (session) {
      call.sessionId = session.originSessionId;
      call.version = session.version;
    }
    const response = await callOrigin(vars.origin, originCredential(env, vars.origin), call);
    await response.body?.cancel();
  } catch (error) {
    console.error(JSON.stringify({ error: `refusing a server request failed: ${asGatewayError(error).reason}` }));
  }
}

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<unknown>, env: Env) => consumeAuditBatch(batch, env),
} satisfies ExportedHandler<Env>;
