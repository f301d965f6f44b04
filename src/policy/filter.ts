// Listings filtered to what the caller may use: tools/list, prompts/list, resources/list and
// resources/templates/list (the method table's listing rows) keep only items the policy would allow this caller to reach. Pagination
// cursors pass through untouched, so each page is filtered on its own. Pure.

import type { Json, JsonObject } from "../mcp/json.js";
import type { MethodRow } from "../mcp/methods.js";
import type { TargetKind } from "./types.js";

/** The result with every item the caller may not see removed; `removed` counts them for audit. */
export function filterListing(
  listing: NonNullable<MethodRow["listing"]>,
  result: JsonObject,
  visible: (kind: TargetKind, name: string) => boolean,
): { result: JsonObject; removed: number } {
  const items = result[listing.field];
  if (!Array.isArray(items)) return { result: { ...result, [listing.field]: [] }, removed: 0 };
  const kept = items.filter((item: Json) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return false;
    const name = item[listing.key];
    return typeof name === "string" && visible(listing.kind, name);
  });
  return { result: { ...result, [listing.field]: kept }, removed: items.length - kept.length };
}
