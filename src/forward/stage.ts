// The forwarding stage: sends the checked message to the one origin the endpoint names — the parsed
// message re-serialized (never the client's bytes), the revision and the origin's own session id,
// 2026-07-28's routing headers mirrored from the checked body — with the origin's own credential, and
// puts the origin's response on the context for the answer path.

import { createMiddleware } from "hono/factory";
import { originCredential, type Env } from "../config.js";
import type { EndpointVariables, Incoming } from "../mcp/stage.js";
import { callOrigin, type OriginCall } from "./origin.js";

export type ForwardVariables = { originResponse: Response; originMs?: number };

/** The origin request for one client message. */
export function originCall(incoming: Incoming): OriginCall {
  const { message, session, version } = incoming;
  const call: OriginCall =
    incoming.row.kind === "stream" ? { method: "GET" } : incoming.row.kind === "endSession" ? { method: "DELETE" } : { method: "POST", body: JSON.stringify(message!.message) };
  if (version) call.version = version;
  if (session) call.sessionId = session.originSessionId;
  if (incoming.lastEventId !== undefined) call.lastEventId = incoming.lastEventId;
  if (incoming.stateless && message && message.kind !== "response") {
    call.mcpMethod = incoming.method;
    if (incoming.row.target && incoming.target !== undefined) call.mcpName = incoming.target;
  }
  return call;
}

export function forwardToOrigin() {
  return createMiddleware<{ Bindings: Env; Variables: ForwardVariables & EndpointVariables & { incoming: Incoming } }>(async (c, next) => {
    const { origin, incoming } = c.var;
    const started = Date.now();
    c.set("originResponse", await callOrigin(origin, originCredential(c.env, origin), originCall(incoming)));
    if (incoming.row.kind !== "stream" && incoming.row.kind !== "endSession") c.set("originMs", Date.now() - started);
    await next();
  });
}
