// What the gateway does to each message of an origin's answer before the client sees it, under the
// Decision that allowed the client's message: a listing keeps only what the caller may see (tools/list
// also passes the integrity review), listings and initialize lose invisible characters, every string is
// scrubbed with the Decision's settings (`refuse` replaces the result), and a server-to-client request
// the caller may not be asked is dropped and refused to the origin, while one it may be asked goes out
// under a sealed id (mcp/relayed.ts), the only id a client's answer is accepted under. Records what it did in the audit event.

import type { AuditDraft } from "../audit/event.js";
import type { Principal } from "../auth/authenticate.js";
import { gatewaySecrets, knownSecretValues, originCredential, type Env } from "../config.js";
import { GatewayError, asGatewayError, errorObject } from "../errors.js";
import { callOrigin, type OriginCall } from "../forward/origin.js";
import { stripInvisible } from "../integrity/poison.js";
import { recordBlocked } from "../integrity/registry.js";
import { reviewItem, reviewToolListing, type IntegrityFlag } from "../integrity/review.js";
import { learnTools } from "../integrity/tool-schemas.js";
import { isJsonObject, type Json, type JsonObject } from "../mcp/json.js";
import type { JsonRpcMessage, JsonRpcResponse } from "../mcp/jsonrpc.js";
import { echoSeals } from "../mcp/relayed.js";
import { retriedCall, type Incoming } from "../mcp/stage.js";
import { UNKNOWN_RULE, type Decision } from "../policy/decision.js";
import { filterListing } from "../policy/filter.js";
import type { CompiledOrigin, CompiledPolicy, ScrubPolicy } from "../policy/types.js";
import type { Family } from "../scrub/detectors.js";
import type { ScrubSettings } from "../scrub/scrub.js";
import { scrubMessage } from "../scrub/walk.js";
import type { AnswerHook } from "./relay.js";

export type ReviewContext = {
  env: Env;
  policy: CompiledPolicy;
  originName: string;
  origin: CompiledOrigin;
  principal: Principal;
  incoming: Incoming;
  decision: Decision;
  audit: AuditDraft;
  waitUntil(promise: Promise<unknown>): void;
};

const scrubSets = new WeakMap<ScrubPolicy, { families: Set<Family>; allow: Set<string> }>();

/** The scrubber's settings for one answer: the Decision's families and allow-list, every known secret, the caller's token. */
function scrubSettings(ctx: ReviewContext): ScrubSettings {
  const scrub = ctx.decision.scrub;
  let sets = scrubSets.get(scrub);
  if (!sets) {
    sets = { families: new Set(scrub.families), allow: new Set(scrub.allow) };
    scrubSets.set(scrub, sets);
  }
  return { ...sets, knownSecrets: [...knownSecretValues(ctx.env, ctx.policy.origins), ctx.principal.token] };
}

export function answerReview(ctx: ReviewContext): AnswerHook {
  const { audit, decision, incoming } = ctx;
  const settings = scrubSettings(ctx);
  const listing = incoming.row.listing;
  const redactions: Record<string, number> = {};
  const total = () => Object.values(redactions).reduce((sum, count) => sum + count, 0);
  const relayBinding = { origin: ctx.originName, principal: ctx.principal.id, originSession: incoming.session?.originSessionId };

  const review = async (message: JsonRpcMessage): Promise<JsonRpcMessage> => {
    if (message.kind !== "response" || !("result" in message.message)) return message;
    if (listing && decision.visible) {
      const { result, removed } = filterListing(listing, message.message.result, decision.visible);
      audit.event.listingRemoved = (audit.event.listingRemoved ?? 0) + removed;
      const checked = incoming.method === "tools/list" ? await reviewTools(ctx, result) : reviewItems(ctx, result, listing);
      return { kind: "response", message: { ...message.message, result: checked } };
    }
    if (incoming.method === "initialize") return { kind: "response", message: { ...message.message, result: reviewInstructions(ctx, message.message.result) } };
    return message;
  };

  const seals = echoSeals(gatewaySecrets(ctx.env).sessionSecret);
  // A task id carries the rule of the call that created it (its result is scrubbed under that rule): the
  // allowing rule of a task-augmented call, the rule an incoming task id carried; any other task id an
  // origin mentions (a listing, a status notification) carries no known rule, and gets the strictest.
  const creatingRule = incoming.method === "tools/call" ? decision.scrubRule : incoming.task ? incoming.task.rule : UNKNOWN_RULE;
  const sealTask = (originId: string, created: boolean) => seals.sealTaskId(relayBinding, { originId, rule: created ? creatingRule : UNKNOWN_RULE });

  /**
   * An input-required result (2026-07-28): input requests of a kind this caller may not be asked are
   * dropped (and counted), like server-to-client requests; the `requestState` the client echoes is
   * sealed with what was asked, so the retry can answer only that, and only by this caller.
   */
  const inputRequired = async (response: Extract<JsonRpcResponse, { result: JsonObject }>): Promise<JsonRpcMessage> => {
    const { inputRequests, requestState, ...rest } = response.result;
    const kept: JsonObject = {};
    const asked: Record<string, string> = {};
    for (const [key, request] of Object.entries(isJsonObject(inputRequests) ? inputRequests : {})) {
      const method = isJsonObject(request) && typeof request.method === "string" ? request.method : undefined;
      if (method !== undefined && decision.allowsServerRequest(method)) {
        kept[key] = request;
        asked[key] = method;
      } else audit.event.droppedServerRequests = (audit.event.droppedServerRequests ?? 0) + 1;
    }
    const originState = typeof requestState === "string" ? requestState : null;
    if (Object.keys(asked).length === 0 && originState === null) {
      const refused = new GatewayError("denied", "input required that this caller may not give", { detail: "the origin needs input this caller may not be asked for" });
      return { kind: "response", message: errorObject(refused, response.id) as JsonRpcResponse };
    }
    const sealedState = await seals.sealInputState(relayBinding, retriedCall(incoming), { originState, asked }, Math.floor(Date.now() / 1000));
    const result: JsonObject = { ...rest, ...(Object.keys(kept).length ? { inputRequests: kept } : {}), requestState: sealedState };
    return { kind: "response", message: { ...response, result } };
  };

  return async (message) => {
    const before = total();
    const own = message.kind === "response" && message.message.id === incoming.requestId;
    const reviewed = scrubMessage(await review(message), settings, redactions);
    // A subscriptions/listen stream is not scoped to one caller's tasks: the ids it mentions are not sealed for the listener.
    let scrubbed = incoming.row.governedBy === "subscription" ? reviewed : await withSealedTaskIds(reviewed, sealTask, own);
    if (total() > 0) audit.event.redactions = redactions;
    if (scrubbed.kind === "response" && "result" in scrubbed.message) scrubbed = withCallerCacheHints(scrubbed, ctx.policy.gateway.maxCacheTtlMs);
    // A result under a refusing rule that needed redaction is withheld: the direct answer, or one replayed on a resumed stream.
    if (decision.scrub.action === "refuse" && total() > before && scrubbed.kind === "response" && scrubbed.message.id !== null) {
      audit.event.reason = "result withheld: it contained sensitive data";
      const withheld = new GatewayError("resultWithheld", "result withheld: it contained sensitive data");
      return { kind: "response", message: errorObject(withheld, scrubbed.message.id) as JsonRpcResponse };
    }
    if (scrubbed.kind === "response" && "result" in scrubbed.message && scrubbed.message.result.resultType === "input_required") {
      return inputRequired(scrubbed.message as Extract<JsonRpcResponse, { result: JsonObject }>);
    }
    if (scrubbed.kind === "request") {
      if (!decision.allowsServerRequest(scrubbed.message.method)) {
        audit.event.droppedServerRequests = (audit.event.droppedServerRequests ?? 0) + 1;
        ctx.waitUntil(refuseServerRequest(ctx, scrubbed));
        return undefined;
      }
      // The client may answer it only under the sealed id, which the gateway opens again on the way back.
      const id = await seals.sealRequest(relayBinding, scrubbed.message, Math.floor(Date.now() / 1000));
      return { kind: "request", message: { ...scrubbed.message, id } };
    }
    return scrubbed;
  };
}

/**
 * 2026-07-28 caching hints: an answer the gateway filtered and scrubbed for one caller may only be
 * cached privately, and for no longer than the policy allows.
 */
function withCallerCacheHints(message: JsonRpcMessage, maxTtlMs: number): JsonRpcMessage {
  const response = message.message as Extract<JsonRpcResponse, { result: JsonObject }>;
  const { result } = response;
  if (!("ttlMs" in result) && !("cacheScope" in result)) return message;
  const ttl = typeof result.ttlMs === "number" && Number.isFinite(result.ttlMs) ? Math.max(0, Math.min(result.ttlMs, maxTtlMs)) : 0;
  return { kind: "response", message: { ...response, result: { ...result, ttlMs: ttl, cacheScope: "private" } } };
}

const RELATED_TASK = "io.modelcontextprotocol/related-task";

/**
 * Every task id an origin's message carries, replaced by one sealed for this caller (with the rule that
 * governs the task): a created task (`result.task`), a task's state (`result.taskId`), a listing
 * (`result.tasks`), a status notification (`params.taskId`) and related-task metadata (`_meta`).
 */
async function withSealedTaskIds(message: JsonRpcMessage, sealTask: (originId: string, created: boolean) => Promise<string>, answersOwnRequest: boolean): Promise<JsonRpcMessage> {
  const payload = message.message as unknown as JsonObject;
  const field = "result" in payload ? "result" : "params" in payload ? "params" : undefined;
  const body = field === undefined ? undefined : payload[field];
  if (!isJsonObject(body)) return message;
  let changed: JsonObject | undefined;
  // Only the answer to the client's own request speaks of the task that request created or named.
  const created = answersOwnRequest && message.kind === "response";
  const sealIn = async (holder: JsonObject): Promise<JsonObject | undefined> => (typeof holder.taskId === "string" ? { ...holder, taskId: await sealTask(holder.taskId, created) } : undefined);
  if (typeof body.taskId === "string" && message.kind !== "request") changed = (await sealIn(body))!;
  if (isJsonObject(body.task)) {
    const task = await sealIn(body.task);
    if (task) changed = { ...(changed ?? body), task };
  }
  if (Array.isArray(body.tasks)) {
    const tasks = await Promise.all(body.tasks.map(async (task) => (isJsonObject(task) && typeof task.taskId === "string" ? { ...task, taskId: await sealTask(task.taskId, false) } : task)));
    changed = { ...(changed ?? body), tasks };
  }
  const meta = body._meta;
  if (isJsonObject(meta) && isJsonObject(meta[RELATED_TASK])) {
    const related = await sealIn(meta[RELATED_TASK]);
    if (related) changed = { ...(changed ?? body), _meta: { ...meta, [RELATED_TASK]: related } };
  }
  return changed ? ({ kind: message.kind, message: { ...payload, [field!]: changed } } as unknown as JsonRpcMessage) : message;
}


/** Flags of items the review did not show as listed, into the audit event (bounded). */
function recordFlags(ctx: ReviewContext, flags: IntegrityFlag[]): void {
  if (flags.length) ctx.audit.event.integrity = [...(ctx.audit.event.integrity ?? []), ...flags].slice(0, 100);
}

/** prompts/list, resources/list, resources/templates/list: each listed item scanned for poisoning. */
function reviewItems(ctx: ReviewContext, result: JsonObject, listing: NonNullable<Incoming["row"]["listing"]>): JsonObject {
  const flags: IntegrityFlag[] = [];
  const shown: Json[] = [];
  for (const item of result[listing.field] as JsonObject[]) {
    const review = reviewItem(item, ctx.origin.integrity, `${listing.kind}:${String(item[listing.key])}`);
    if (review.show) shown.push(review.show);
    if (review.flag) flags.push(review.flag);
  }
  recordFlags(ctx, flags);
  return { ...stripInvisible(result), [listing.field]: shown };
}

/** initialize: server instructions reach the model like a tool description; poisoned ones are dropped. */
function reviewInstructions(ctx: ReviewContext, result: JsonObject): JsonObject {
  if (typeof result.instructions !== "string") return stripInvisible(result);
  const review = reviewItem(result.instructions, ctx.origin.integrity, "initialize:instructions");
  if (review.flag) recordFlags(ctx, [review.flag]);
  const { instructions: _instructions, ...rest } = result;
  return review.show === undefined ? stripInvisible(rest) : { ...stripInvisible(rest), instructions: stripInvisible(review.show) };
}

/**
 * tools/list: every tool the policy lets this caller see is checked against the origin's pins (or,
 * without pins, scanned for poisoning); caught tools are hidden and recorded so calls to them are refused.
 */
async function reviewTools(ctx: ReviewContext, result: JsonObject): Promise<JsonObject> {
  const { shown, flags } = await reviewToolListing(result.tools as JsonObject[], ctx.origin.integrity, ctx.policy.pins[ctx.originName]);
  learnTools(ctx.originName, shown, Date.now());
  recordFlags(ctx, flags);
  if (flags.length) recordBlocked(ctx.env.TOKENS, ctx.policy.version, ctx.originName, flags, ctx.waitUntil);
  const { tools: _listed, ...rest } = result;
  return { ...stripInvisible(rest), tools: shown };
}

/** An origin asked the client for something the policy does not let this caller grant: tell the origin no. */
async function refuseServerRequest(ctx: ReviewContext, message: Extract<JsonRpcMessage, { kind: "request" }>): Promise<void> {
  const refusal = errorObject(new GatewayError("serverRequestDenied", "server request not allowed for this caller"), message.message.id);
  try {
    const call: OriginCall = { method: "POST", body: JSON.stringify(refusal) };
    const session = ctx.incoming.session;
    if (session) {
      call.sessionId = session.originSessionId;
      call.version = session.version;
    }
    const response = await callOrigin(ctx.origin, originCredential(ctx.env, ctx.origin), call);
    await response.body?.cancel();
  } catch (error) {
    console.error(JSON.stringify({ error: `refusing a server request failed: ${asGatewayError(error).reason}` }));
  }
}
