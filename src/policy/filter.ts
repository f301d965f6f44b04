// Listings filtered to what the caller may use: tools/list, prompts/list, resources/list and
// resources/templates/list keep only items the policy would allow this caller to reach. Pagination
// cursors pass through untouched, so each page is filtered on its own. Pure.

import type { Json, JsonObject } from "../mcp/json.js";
import type { TargetKind } from "./types.js";

const LISTINGS: Record<string, { field: string; kind: TargetKind; key: string }> = {
  "tools/list": { field: "tools", kind: "tool", key: "name" },
  "prompts/list": { field: "prompts", kind: "prompt", key: "name" },
  "resources/list": { field: "resources", kind: "resource", key: "uri" },
  "resources/templates/list": { field: "resourceTemplates", kind: "resource", key: "uriTemplate" },
};

export function isListing(method: string): boolean {
  return Object.hasOwn(LISTINGS, method);
}

/** The result with every item the caller may not see removed; `removed` counts them for audit. */
export function filterListing(
  method: string,
  result: JsonObject,
  visible: (kind: TargetKind, name: string) => boolean,
): { result: JsonObject; removed: number } {
  const listing = LISTINGS[method];
  if (!listing) return { result, removed: 0 };
  const items = result[listing.field];
  if (!Array.isArray(items)) return { result: { ...result, [listing.field]: [] }, removed: 0 };
  const kept = items.filter((item: Json) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return false;
    const name = item[listing.key];
    return typeof name === "string" && visible(listing.kind, name);
  });
  return { result: { ...result, [listing.field]: kept }, removed: items.length - kept.length };
}
