// JSON-RPC 2.0 shapes as MCP uses them: classifies one parsed value as a request, notification
// or response, refuses any other shape, and checks the params of the methods the gateway decides on
// (as the method table describes them).
// Pure: no I/O, no knowledge of HTTP.

import { GatewayError } from "../errors.js";
import { isJsonObject, type Json, type JsonObject } from "./json.js";
import type { TargetKind } from "../policy/types.js";
import type { MethodRow } from "./methods.js";

export type JsonRpcId = string | number;

export type JsonRpcRequest = { jsonrpc: "2.0"; id: JsonRpcId; method: string; params?: JsonObject };
export type JsonRpcNotification = { jsonrpc: "2.0"; method: string; params?: JsonObject };
export type JsonRpcResponse =
  | { jsonrpc: "2.0"; id: JsonRpcId; result: JsonObject }
  | { jsonrpc: "2.0"; id: JsonRpcId | null; error: { code: number; message: string; data?: Json } };

export type JsonRpcMessage =
  | { kind: "request"; message: JsonRpcRequest }
  | { kind: "notification"; message: JsonRpcNotification }
  | { kind: "response"; message: JsonRpcResponse };

const MEMBERS = new Set(["jsonrpc", "id", "method", "params", "result", "error"]);


function isId(value: Json | undefined): value is JsonRpcId {
  return typeof value === "string" || (typeof value === "number" && Number.isSafeInteger(value));
}

/** The request id of a value that is not yet known to be valid, so an error can still carry it. */
export function salvageId(value: Json): JsonRpcId | null {
  return isJsonObject(value) && isId(value.id) ? value.id : null;
}

export function classify(value: Json): JsonRpcMessage {
  if (Array.isArray(value)) throw new GatewayError("invalidRequest", "batch array", { detail: "batches are not supported" });
  if (!isJsonObject(value)) throw new GatewayError("invalidRequest", "message is not an object");
  for (const key of Object.keys(value)) {
    if (!MEMBERS.has(key)) throw new GatewayError("invalidRequest", "unknown member", { detail: "the only members are jsonrpc, id, method, params, result and error" });
  }
  if (value.jsonrpc !== "2.0") throw new GatewayError("invalidRequest", "jsonrpc is not 2.0", { detail: 'jsonrpc must be "2.0"' });
  if ("params" in value && !isJsonObject(value.params)) {
    throw new GatewayError("invalidRequest", "params not an object", { detail: "params must be an object" });
  }
  if ("method" in value) {
    if (typeof value.method !== "string" || value.method === "") throw new GatewayError("invalidRequest", "method not a string");
    if ("result" in value || "error" in value) throw new GatewayError("invalidRequest", "method with result or error");
    if (!("id" in value)) return { kind: "notification", message: value as JsonRpcNotification };
    if (!isId(value.id)) throw new GatewayError("invalidRequest", "bad id", { detail: "id must be a string or an integer" });
    return { kind: "request", message: value as JsonRpcRequest };
  }
  if ("params" in value) throw new GatewayError("invalidRequest", "params without method");
  const hasResult = "result" in value;
  const hasError = "error" in value;
  if (hasResult === hasError) throw new GatewayError("invalidRequest", "response needs exactly one of result and error");
  if (hasResult) {
    if (!isId(value.id)) throw new GatewayError("invalidRequest", "response with bad id");
    if (!isJsonObject(value.result)) throw new GatewayError("invalidRequest", "result not an object");
  } else {
    // An error about a message whose id could not be read may omit the id: it is null then.
    if (!("id" in value)) value = { ...value, id: null };
    if (!(value.id === null || isId(value.id))) throw new GatewayError("invalidRequest", "error response with bad id");
    const error = value.error;
    if (
      !isJsonObject(error) ||
      !Number.isInteger(error.code) ||
      typeof error.message !== "string" ||
      Object.keys(error).some((key) => key !== "code" && key !== "message" && key !== "data")
    ) {
      throw new GatewayError("invalidRequest", "malformed error object");
    }
  }
  return { kind: "response", message: value as JsonRpcResponse };
}

/** What a request acts on, for policy, audit and the 2026-07-28 Mcp-Name header. */
export type Target = { method: string; name?: string; kind?: TargetKind; resources?: string[] };

function requireString(params: JsonObject | undefined, field: string, method: string): string {
  const value = params?.[field];
  if (typeof value !== "string" || value === "") {
    throw new GatewayError("invalidParams", `${method} without ${field}`, { detail: `${method} needs a string "${field}"` });
  }
  return value;
}

/**
 * A resource URI is matched against policy patterns as written, so it must be written the one way every
 * reader reads it: a URI the WHATWG parse rewrites (dot segments, `%2e`, backslashes, `file://localhost/`,
 * an upper-case scheme or host), one with an empty path segment (`file:////etc`), or one whose
 * percent-encoding hides a dot, slash, backslash or NUL from the pattern is refused.
 */
function requireCanonicalUri(uri: string, method: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(uri);
  } catch {
    parsed = undefined;
  }
  const emptySegment = parsed !== undefined && parsed.pathname.includes("//");
  if (!parsed || parsed.href !== uri || emptySegment || /%(2e|2f|5c|00)/i.test(uri)) {
    throw new GatewayError("invalidParams", `${method} uri not canonical`, { detail: '"uri" must be an absolute URI in canonical form' });
  }
}

/** Checks the params the gateway relies on, as the method's row describes them, and names the request's target. */
export function targetOf(request: JsonRpcRequest, row: MethodRow): Target {
  const { method, params } = request;
  if (row.target) {
    if (row.target.arguments && params && "arguments" in params && !isJsonObject(params.arguments)) {
      throw new GatewayError("invalidParams", `${method} arguments not an object`, { detail: '"arguments" must be an object' });
    }
    const name = requireString(params, row.target.field, method);
    if (row.target.field === "uri") requireCanonicalUri(name, method);
    return { method, name, kind: row.target.kind };
  }
  if (row.governedBy === "completion") {
    // The prompt or resource template whose argument is completed: its rule governs the completion.
    const ref = params?.ref;
    if (!isJsonObject(ref) || (ref.type !== "ref/prompt" && ref.type !== "ref/resource")) {
      throw new GatewayError("invalidParams", "completion without a prompt or resource ref", { detail: '"ref" must be a ref/prompt or ref/resource' });
    }
    if (!isJsonObject(params?.argument) || typeof params.argument.name !== "string" || typeof params.argument.value !== "string") {
      throw new GatewayError("invalidParams", "completion without an argument", { detail: '"argument" needs a string "name" and "value"' });
    }
    if (ref.type === "ref/prompt") return { method, name: requireString(ref, "name", method), kind: "prompt" };
    // A template's literal part (before its first variable) must be canonical like any resource URI.
    const template = requireString(ref, "uri", method);
    requireCanonicalUri(template.split("{")[0]!, method);
    return { method, name: template, kind: "resource" };
  }
  if (row.governedBy === "subscription") {
    // subscriptions/listen: the notifications asked for, and the resources whose updates it wants.
    const filter = params?.notifications;
    if (!isJsonObject(filter)) throw new GatewayError("invalidParams", "listen without notifications", { detail: '"notifications" must be an object' });
    const uris = filter.resourceSubscriptions ?? [];
    if (!Array.isArray(uris) || uris.length > 100 || !uris.every((uri): uri is string => typeof uri === "string" && uri !== "")) {
      throw new GatewayError("invalidParams", "listen with bad resourceSubscriptions", { detail: '"resourceSubscriptions" must be at most 100 URIs' });
    }
    for (const uri of uris) requireCanonicalUri(uri, method);
    return { method, resources: uris };
  }
  if (method === "initialize") {
    requireString(params, "protocolVersion", method);
    return { method };
  }
  if (params && "cursor" in params && typeof params.cursor !== "string") {
    throw new GatewayError("invalidParams", "cursor not a string", { detail: '"cursor" must be a string' });
  }
  return { method };
}
