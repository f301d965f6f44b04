// Sends one checked, re-serialized message to an origin named in policy. Only the headers the
// gateway chose go upstream: never the client's Authorization, cookies or anything else it sent.
// The origin's own credential comes from the Worker secret the policy names. Redirects are not
// followed. Connection failures become 502 and a silent origin 504, without the origin's URL.

import { GatewayError } from "../errors.js";
import { encodeHeaderValue } from "../mcp/transport.js";
import type { CompiledOrigin } from "../policy/types.js";

export type OriginCall = {
  method: "POST" | "GET" | "DELETE";
  body?: string;
  version?: string;
  sessionId?: string;
  lastEventId?: string;
  /** 2026-07-28 routing headers, mirrored from the checked body. */
  mcpMethod?: string;
  mcpName?: string;
  /** 2026-07-28 parameter headers, computed from the checked arguments. */
  paramHeaders?: Record<string, string>;
};

/** `caller`: the incoming request's signal; a virtual server aborts it when it stops waiting for this origin. */
export async function callOrigin(origin: CompiledOrigin, credential: string | undefined, call: OriginCall, caller?: AbortSignal): Promise<Response> {
  const headers = new Headers({ accept: "application/json, text/event-stream" });
  if (call.body !== undefined) headers.set("content-type", "application/json");
  if (call.version) headers.set("mcp-protocol-version", call.version);
  if (call.sessionId) headers.set("mcp-session-id", call.sessionId);
  if (call.lastEventId) headers.set("last-event-id", call.lastEventId);
  if (call.mcpMethod) headers.set("mcp-method", call.mcpMethod);
  if (call.mcpName) headers.set("mcp-name", encodeHeaderValue(call.mcpName));
  for (const [name, value] of Object.entries(call.paramHeaders ?? {})) headers.set(name, value);
  if (origin.credential && credential !== undefined) headers.set(origin.credential.header, origin.credential.prefix + credential);

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), origin.timeoutMs);
  try {
    return await fetch(origin.url, { method: call.method, headers, body: call.body, redirect: "manual", signal: caller ? AbortSignal.any([controller.signal, caller]) : controller.signal });
  } catch (error) {
    if (controller.signal.aborted) throw new GatewayError("originTimeout", `no answer within ${origin.timeoutMs} ms`);
    if (caller?.aborted) throw new GatewayError("originTimeout", "the virtual server stopped waiting for this origin");
    throw new GatewayError("originUnavailable", `fetch failed: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}
