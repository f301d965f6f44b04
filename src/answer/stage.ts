// The answer path, last in the pipeline: the origin's response becomes the client's. DELETE's status
// is mapped; every other answer is relayed message by message through the review (review.ts), an
// initialize answer gets the gateway's own session id, and when the answer is over its size is
// recorded in audit and charged to byte limits. A streamed answer keeps its audit event open until it ends.

import { createMiddleware } from "hono/factory";
import type { AuditDraft } from "../audit/event.js";
import type { Principal } from "../auth/authenticate.js";
import { gatewaySecrets, type Env } from "../config.js";
import { GatewayError } from "../errors.js";
import type { ForwardVariables } from "../forward/stage.js";
import { echoSeals } from "../mcp/relayed.js";
import { sessionFromInitialize } from "../mcp/session.js";
import type { McpVariables } from "../mcp/stage.js";
import type { Decision } from "../policy/decision.js";
import type { CompiledPolicy } from "../policy/types.js";
import type { RateVariables } from "../ratelimit/stage.js";
import { relay } from "./relay.js";
import { answerReview } from "./review.js";

type Reads = McpVariables & ForwardVariables & RateVariables & { audit: AuditDraft; principal: Principal; decision: Decision };

/** DELETE: the origin ended the session, does not know it, or does not end sessions. */
async function endSessionAnswer(response: Response): Promise<Response> {
  await response.body?.cancel();
  if (response.status === 404) throw new GatewayError("sessionNotFound", "origin no longer knows the session");
  if (response.status === 405) throw new GatewayError("methodNotAllowed", "origin does not end sessions");
  if (response.status >= 300) throw new GatewayError("originInvalidAnswer", `origin answered DELETE with ${response.status}`);
  return new Response(null, { status: response.status === 204 ? 204 : 200 });
}

export function answerClient({ policy }: { policy: CompiledPolicy }) {
  const { maxAnswerEventBytes: maxEventBytes, maxDepth } = policy.gateway;
  return createMiddleware<{ Bindings: Env; Variables: Reads }>(async (c) => {
    const incoming = c.get("incoming");
    const originResponse = c.get("originResponse");
    const audit = c.get("audit");
    const origin = c.get("origin");
    const originName = c.get("originName");
    const principal = c.get("principal");
    const decision = c.get("decision");
    if (incoming.row.kind === "endSession") return endSessionAnswer(originResponse);
    const waitUntil = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
    const hook = answerReview({ env: c.env, policy, originName, origin, principal, incoming, decision, audit, waitUntil });
    const answerOver = audit.hold();
    const isInitialize = incoming.method === "initialize";
    const seals = echoSeals(gatewaySecrets(c.env).sessionSecret);
    const binding = { origin: originName, principal: principal.id, originSession: incoming.session?.originSessionId };
    const scrubRule = decision.scrubRule;
    return relay(originResponse, {
      // Event ids go out sealed with the rule that governs this answer, so a resumed stream keeps it.
      eventId: async (originId) => (/^[\x21-\x7e]{1,256}$/.test(originId) ? seals.sealEventId(binding, { originId, rule: scrubRule }) : undefined),
      // A GET stream or a subscriptions/listen stream may stay quiet for as long as the client keeps it open.
      limits: { maxEventBytes, maxDepth, ...(incoming.row.kind === "stream" || incoming.row.governedBy === "subscription" ? {} : { idleTimeoutMs: origin.timeoutMs }) },
      ...(incoming.requestId === undefined ? {} : { requestId: incoming.requestId }),
      // Only a stream resumed after an event the gateway sealed carries responses (to the requests of the stream it resumes).
      ...(incoming.resumeRule !== undefined ? { replayedResponses: true } : {}),
      hook,
      ...(isInitialize
        ? {
            headers: async (response, answer) => {
              const binding = { origin: originName, principal: principal.id };
              const id = await sessionFromInitialize(gatewaySecrets(c.env).sessionSecret, binding, response.headers.get("mcp-session-id"), answer);
              const headers: Record<string, string> = {};
              if (id !== undefined) headers["mcp-session-id"] = id;
              return headers;
            },
          }
        : {}),
      onEnd: ({ error, bytes }) => {
        audit.event.responseBytes = bytes;
        c.get("rate")?.chargeBytes(bytes);
        if (error) audit.fail(error);
        answerOver();
      },
    });
  });
}
