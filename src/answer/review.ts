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
import { reviewToolListing } from "../integrity/review.js";
import type { JsonObject } from "../mcp/json.js";
import type { JsonRpcMessage, JsonRpcResponse } from "../mcp/jsonrpc.js";
import { sealRelayedId } from "../mcp/relayed.js";
import type { Incoming } from "../mcp/stage.js";
import type { Decision } from "../policy/decision.js";
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
      const checked = incoming.method === "tools/list" ? await reviewTools(ctx, result) : stripInvisible(result);
      return { kind: "response", message: { ...message.message, result: checked } };
    }
    if (incoming.method === "initialize") return { kind: "response", message: { ...message.message, result: stripInvisible(message.message.result) } };
    return message;
  };

  return async (message) => {
    const before = total();
    const scrubbed = scrubMessage(await review(message), settings, redactions);
    if (total() > 0) audit.event.redactions = redactions;
    if (decision.scrub.action === "refuse" && total() > before && scrubbed.kind === "response" && incoming.requestId !== undefined) {
      audit.event.reason = "result withheld: it contained sensitive data";
      const withheld = new GatewayError("resultWithheld", "result withheld: it contained sensitive data");
      return { kind: "response", message: errorObject(withheld, incoming.requestId) as JsonRpcResponse };
    }
    if (scrubbed.kind === "request") {
      if (!decision.allowsServerRequest(scrubbed.message.method)) {
        audit.event.droppedServerRequests = (audit.event.droppedServerRequests ?? 0) + 1;
        ctx.waitUntil(refuseServerRequest(ctx, scrubbed));
        return undefined;
      }
      // The client may answer it only under the sealed id, which the gateway opens again on the way back.
      const id = await sealRelayedId(gatewaySecrets(ctx.env).sessionSecret, relayBinding, scrubbed.message, Math.floor(Date.now() / 1000));
      return { kind: "request", message: { ...scrubbed.message, id } };
    }
    return scrubbed;
  };
}

/**
 * tools/list: every tool the policy lets this caller see is checked against the origin's pins (or,
 * without pins, scanned for poisoning); caught tools are hidden and recorded so calls to them are refused.
 */
async function reviewTools(ctx: ReviewContext, result: JsonObject): Promise<JsonObject> {
  const { shown, flags } = await reviewToolListing(result.tools as JsonObject[], ctx.origin.integrity, ctx.policy.pins[ctx.originName]);
  if (flags.length) {
    ctx.audit.event.integrity = [...(ctx.audit.event.integrity ?? []), ...flags].slice(0, 100);
    recordBlocked(ctx.env.TOKENS, ctx.policy.version, ctx.originName, flags, ctx.waitUntil);
  }
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
