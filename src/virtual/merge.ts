// How a virtual server's answers are made from its origins' (pure): names mapped outward (names.ts)
// in every message an origin sends, listings merged in server order with duplicate names dropped,
// 2026-07-28 caching hints merged conservatively, and initialize answers merged into one.

import { isJsonObject, type Json, type JsonObject } from "../mcp/json.js";
import type { JsonRpcMessage } from "../mcp/jsonrpc.js";
import type { ServerNames } from "./names.js";

/** The listing field of each listing method, the key naming each item, and how that key is mapped. */
export const LISTINGS: Readonly<Record<string, { field: string; key: string; kind: "tool" | "prompt" | "uri" | "id" }>> = {
  "tools/list": { field: "tools", key: "name", kind: "tool" },
  "prompts/list": { field: "prompts", key: "name", kind: "prompt" },
  "resources/list": { field: "resources", key: "uri", kind: "uri" },
  "resources/templates/list": { field: "resourceTemplates", key: "uriTemplate", kind: "uri" },
  "tasks/list": { field: "tasks", key: "taskId", kind: "id" },
};

const RELATED_TASK = "io.modelcontextprotocol/related-task";

/** Task ids (sealed per origin by the inner endpoint) in a result or a notification's params, routed. */
function withTaskIds(body: JsonObject, origin: string, names: ServerNames): JsonObject {
  let out = body;
  if (typeof body.taskId === "string") out = { ...out, taskId: names.idOut(origin, body.taskId) };
  if (isJsonObject(body.task) && typeof body.task.taskId === "string") out = { ...out, task: { ...body.task, taskId: names.idOut(origin, body.task.taskId) } };
  const meta = body._meta;
  if (isJsonObject(meta) && isJsonObject(meta[RELATED_TASK]) && typeof meta[RELATED_TASK].taskId === "string") {
    out = { ...out, _meta: { ...meta, [RELATED_TASK]: { ...meta[RELATED_TASK], taskId: names.idOut(origin, meta[RELATED_TASK].taskId) } } };
  }
  return out;
}

/** Resource URIs inside content items (resource links and embedded resources) and resource contents. */
function withContentUris(items: Json, origin: string, names: ServerNames): Json {
  if (!Array.isArray(items)) return items;
  return items.map((item) => {
    if (!isJsonObject(item)) return item;
    if (item.type === "resource_link" && typeof item.uri === "string") return { ...item, uri: names.uriOut(origin, item.uri) };
    if (item.type === "resource" && isJsonObject(item.resource) && typeof item.resource.uri === "string") return { ...item, resource: { ...item.resource, uri: names.uriOut(origin, item.resource.uri) } };
    if (item.type === undefined && typeof item.uri === "string") return { ...item, uri: names.uriOut(origin, item.uri) };
    return item;
  });
}

/** One message of an origin's answer as the virtual server's client sees it. */
export function outward(message: JsonRpcMessage, origin: string, names: ServerNames): JsonRpcMessage {
  switch (message.kind) {
    case "request":
      // The inner endpoint sealed the id for this caller and origin: the prefix routes the answer back.
      return { kind: "request", message: { ...message.message, id: names.idOut(origin, String(message.message.id)) } };
    case "notification": {
      let params = message.message.params;
      if (!params) return message;
      if (message.message.method === "notifications/resources/updated" && typeof params.uri === "string") params = { ...params, uri: names.uriOut(origin, params.uri) };
      params = withTaskIds(params, origin, names);
      return { kind: "notification", message: { ...message.message, params } };
    }
    case "response": {
      if (!("result" in message.message)) return message;
      let result = withTaskIds(message.message.result, origin, names);
      if (Array.isArray(result.content)) result = { ...result, content: withContentUris(result.content, origin, names) };
      if (Array.isArray(result.contents)) result = { ...result, contents: withContentUris(result.contents, origin, names) };
      if (Array.isArray(result.messages)) {
        result = { ...result, messages: result.messages.map((entry) => (isJsonObject(entry) && isJsonObject(entry.content) ? { ...entry, content: (withContentUris([entry.content], origin, names) as Json[])[0]! } : entry)) };
      }
      return { kind: "response", message: { ...message.message, result } };
    }
  }
}

/** One origin's page of a listing, its items renamed. */
export type Page = { origin: string; result: JsonObject };

/**
 * The pages of one listing merged in server order. An item is listed only under a name that routes back
 * to it (names.ts): one whose name an earlier item took, or that would reach another item, is dropped (counted).
 */
export function mergeListing(method: string, pages: Page[], names: ServerNames): { items: Json[]; dropped: number } {
  const { field, key, kind } = LISTINGS[method]!;
  const seen = new Set<string>();
  const items: Json[] = [];
  let dropped = 0;
  for (const { origin, result } of pages) {
    const list = result[field];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (!isJsonObject(item) || typeof item[key] !== "string") continue;
      const own = item[key];
      const name = kind === "uri" ? names.uriOut(origin, own) : kind === "id" ? names.idOut(origin, own) : names.nameOut(kind, origin, own);
      const back = kind === "uri" ? names.uriIn(name) : kind === "id" ? names.idIn(name) : names.nameIn(kind, name);
      if (seen.has(name) || back?.origin !== origin || back.name !== own) {
        dropped++;
        continue;
      }
      seen.add(name);
      items.push({ ...item, [key]: name });
    }
  }
  return { items, dropped };
}

const utf8 = new TextEncoder();

/**
 * The merged listing of as many of `pages` (in server order, at least the first) as fit in `maxBytes` of
 * JSON; the pages left over (`deferred`) are asked again for the next page. Undefined when even the first
 * page alone does not fit.
 */
export function fitListing(method: string, pages: Page[], names: ServerNames, maxBytes: number): { items: Json[]; dropped: number; deferred: Page[] } | undefined {
  for (let count = pages.length; count > 0; count--) {
    const merged = mergeListing(method, pages.slice(0, count), names);
    if (utf8.encode(JSON.stringify(merged.items)).byteLength <= maxBytes) return { ...merged, deferred: pages.slice(count) };
  }
  return pages.length === 0 ? { items: [], dropped: 0, deferred: [] } : undefined;
}

/** 2026-07-28 caching hints of merged results: private, for the shortest time any origin allowed (none given counts as 0). */
export function mergedCacheHints(results: JsonObject[]): JsonObject {
  if (!results.some((result) => "ttlMs" in result || "cacheScope" in result)) return {};
  const ttls = results.map((result) => (typeof result.ttlMs === "number" && Number.isFinite(result.ttlMs) ? Math.max(0, result.ttlMs) : 0));
  return { ttlMs: Math.min(...ttls), cacheScope: "private" };
}

/** Capabilities of several servers as one: objects merged key by key, a flag true where any origin's is. */
export function mergeCapabilities(all: Json[]): JsonObject {
  const merged: JsonObject = {};
  for (const capabilities of all) {
    if (!isJsonObject(capabilities)) continue;
    for (const [key, value] of Object.entries(capabilities)) {
      const before = merged[key];
      if (isJsonObject(value)) merged[key] = mergeCapabilities([isJsonObject(before) ? before : {}, value]);
      else if (typeof value === "boolean") merged[key] = value || before === true;
      else if (before === undefined) merged[key] = value;
    }
  }
  return merged;
}

/**
 * initialize (or 2026-07-28's server/discover) answered by several origins: the first origin's answer,
 * with every origin's capabilities merged, this server's own serverInfo and the origins' instructions
 * (each already scanned for poisoning at its own endpoint), each under its origin's name.
 */
export function mergeInitialize(server: string, policyVersion: string, answers: Page[]): JsonObject {
  const instructions = answers.filter(({ result }) => typeof result.instructions === "string" && result.instructions !== "").map(({ origin, result }) => `[${origin}]\n${result.instructions as string}`);
  const { instructions: _first, ...first } = answers[0]!.result;
  return {
    ...first,
    capabilities: mergeCapabilities(answers.map(({ result }) => result.capabilities ?? {})),
    serverInfo: { name: `mcp-warden:${server}`, version: policyVersion },
    ...(instructions.length ? { instructions: instructions.join("\n\n") } : {}),
  };
}
