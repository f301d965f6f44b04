// The forwarding stage: sends the checked message to the one origin the endpoint names — the parsed
// message re-serialized (never the client's bytes), the revision and the origin's own session id,
// 2026-07-28's routing and parameter headers computed from the checked body — with the origin's own credential, and
// puts the origin's response on the context for the answer path.

import { createMiddleware } from "hono/factory";
import { originCredential, type Env } from "../config.js";
import type { EndpointVariables, Incoming } from "../mcp/stage.js";
import { paramHeadersFor } from "../integrity/tool-schemas.js";
import { isJsonObject } from "../mcp/json.js";
import { checkParamHeaders } from "../mcp/param-headers.js";
import type { CompiledOrigin, CompiledPolicy } from "../policy/types.js";
import { callOrigin, type OriginCall } from "./origin.js";

export type ForwardVariables = { originResponse: Response; originMs?: number };

/** The origin request for one client message. */
export function originCall(incoming: Incoming, paramHeaders?: Record<string, string>): OriginCall {
  const { message, session, version } = incoming;
  const call: OriginCall =
    incoming.row.kind === "stream" ? { method: "GET" } : incoming.row.kind === "endSession" ? { method: "DELETE" } : { method: "POST", body: JSON.stringify(message!.message) };
  if (version) call.version = version;
  if (session) call.sessionId = session.originSessionId;
  if (incoming.lastEventId !== undefined) call.lastEventId = incoming.lastEventId;
  if (incoming.stateless && message && message.kind !== "response") {
    call.mcpMethod = incoming.method;
    if (incoming.row.target && incoming.target !== undefined) call.mcpName = incoming.target;
    if (paramHeaders && Object.keys(paramHeaders).length) call.paramHeaders = paramHeaders;
  }
  return call;
}

/**
 * 2026-07-28 parameter headers of an allowed tools/call: the client's must mirror the arguments
 * (checked against the tool's schema, learned from listings or asked of the origin), and the origin
 * gets them recomputed from the checked body. Done here, after policy and limits, so a refused call
 * never makes the gateway list the origin's tools.
 */
async function parameterHeaders(incoming: Incoming, headers: Headers, originName: string, origin: CompiledOrigin, credential: string | undefined, maxAnswerBytes: number): Promise<Record<string, string> | undefined> {
  if (!incoming.stateless || incoming.method !== "tools/call" || incoming.target === undefined || incoming.message?.kind !== "request") return undefined;
  const params = await paramHeadersFor(originName, origin, credential, incoming.target, maxAnswerBytes, Date.now());
  const args = incoming.message.message.params?.arguments;
  return checkParamHeaders(headers, isJsonObject(args) ? args : {}, params);
}

export function forwardToOrigin({ policy }: { policy: CompiledPolicy }) {
  const { maxAnswerEventBytes } = policy.gateway;
  return createMiddleware<{ Bindings: Env; Variables: ForwardVariables & EndpointVariables & { incoming: Incoming } }>(async (c, next) => {
    const origin = c.get("origin");
    const originName = c.get("originName");
    const incoming = c.get("incoming");
    const credential = originCredential(c.env, origin);
    const paramHeaders = await parameterHeaders(incoming, c.req.raw.headers, originName, origin, credential, maxAnswerEventBytes);
    const started = Date.now();
    c.set("originResponse", await callOrigin(origin, credential, originCall(incoming, paramHeaders), c.req.raw.signal));
    if (incoming.row.kind !== "stream" && incoming.row.kind !== "endSession") c.set("originMs", Date.now() - started);
    await next();
  });
}
