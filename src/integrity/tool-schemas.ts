// What an isolate knows of each origin's tool schemas, for 2026-07-28 parameter headers
// (mcp/param-headers.ts): learned from every tools/list answer the gateway relays and, for a call to a
// tool this isolate has not seen listed (or not in the last REFRESH_MS), from a listing the gateway
// asks the origin for itself. Bounded: at most MAX_TOOLS tools per origin, MAX_PAGES pages a fetch.

import { readJsonAnswers } from "../answer/read.js";
import { callOrigin } from "../forward/origin.js";
import { isJsonObject, type JsonObject } from "../mcp/json.js";
import { paramHeadersOf, type ParamHeader } from "../mcp/param-headers.js";
import { STATELESS_VERSION } from "../mcp/transport.js";
import type { CompiledOrigin } from "../policy/types.js";

const REFRESH_MS = 60_000;
const MAX_TOOLS = 10_000;
const MAX_PAGES = 10;

/** A tool's parameter headers; null when its annotations are invalid (nothing of them is trusted). */
type Known = { until: number; fetchedAt: number; tools: Map<string, ParamHeader[] | null> };
/** A call naming a tool the last listing lacked asks again at most this often (no listing storm from calls to made-up tools). */
const REFETCH_MS = 5_000;
const known = new Map<string, Known>();

export function learnTools(origin: string, tools: readonly JsonObject[], now: number): void {
  let entry = known.get(origin);
  if (!entry || entry.until <= now) known.set(origin, (entry = { until: now + REFRESH_MS, fetchedAt: 0, tools: new Map() }));
  for (const tool of tools) {
    if (typeof tool.name !== "string" || entry.tools.size >= MAX_TOOLS) continue;
    entry.tools.set(tool.name, paramHeadersOf(tool) ?? null);
  }
}

/** The origin's tools/list, page by page, asked for in the stateless revision with the gateway's own identity. */
async function fetchListing(origin: CompiledOrigin, credential: string | undefined, maxAnswerBytes: number): Promise<JsonObject[]> {
  const tools: JsonObject[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const meta = { "io.modelcontextprotocol/protocolVersion": STATELESS_VERSION, "io.modelcontextprotocol/clientCapabilities": {}, "io.modelcontextprotocol/clientInfo": { name: "mcp-warden", version: "1" } };
    const body = JSON.stringify({ jsonrpc: "2.0", id: "mcp-warden-schemas", method: "tools/list", params: { ...(cursor ? { cursor } : {}), _meta: meta } });
    const response = await callOrigin(origin, credential, { method: "POST", body, version: STATELESS_VERSION, mcpMethod: "tools/list" });
    let result: JsonObject | undefined;
    for await (const item of readJsonAnswers(response, { maxEventBytes: maxAnswerBytes, maxDepth: 64, idleTimeoutMs: origin.timeoutMs })) {
      const message = item.message;
      if (message?.kind === "response" && "result" in message.message) result = message.message.result;
    }
    if (!result || !Array.isArray(result.tools)) break;
    tools.push(...(result.tools.filter(isJsonObject)));
    cursor = typeof result.nextCursor === "string" ? result.nextCursor : undefined;
    if (!cursor) break;
  }
  return tools;
}

/**
 * The parameter headers of one tool: known, or learned by listing the origin's tools. A tool the
 * origin does not list has none; one with invalid annotations has none the gateway would trust.
 */
export async function paramHeadersFor(originName: string, origin: CompiledOrigin, credential: string | undefined, tool: string, maxAnswerBytes: number, now: number): Promise<ParamHeader[]> {
  const entry = known.get(originName);
  if (!entry || entry.until <= now || (!entry.tools.has(tool) && now - entry.fetchedAt > REFETCH_MS)) {
    const tools = await fetchListing(origin, credential, maxAnswerBytes);
    learnTools(originName, tools, now);
    known.get(originName)!.fetchedAt = now;
  }
  return known.get(originName)?.tools.get(tool) ?? [];
}
