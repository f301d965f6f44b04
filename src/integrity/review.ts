// The integrity decision for one listed tool, from its definition, the origin's pins and its settings:
// show it (with invisible characters stripped) or hide it, and what to record. Rules:
// - a pinned origin shows a tool only when its definition hashes to its pin; a changed or unpinned
//   tool is hidden (`drift: block`) or shown with a warning (`drift: warn`);
// - an origin without pins has every definition scanned for poisoning; a finding hides the tool, or
//   with `poisoning: strip`, a tool whose only findings are invisible characters is kept, stripped.
// Pure apart from hashing.

import type { Json, JsonObject } from "../mcp/json.js";
import type { OriginIntegrity } from "../policy/types.js";
import { definitionHash } from "./definition.js";
import { scanDefinition, scanValue, stripInvisible, type FindingKind } from "./poison.js";

export type IntegrityReason = "drift" | "unpinned" | "poisoned";

/** What the gateway records about a tool it did not show as listed. */
export type IntegrityFlag = {
  tool: string;
  reason: IntegrityReason;
  /** The pinned hash, for a pinned origin's tool that has one. */
  pinned?: string;
  /** The hash of the definition the origin listed (unknown when a call names a tool no listing showed). */
  seen?: string;
  findings?: FindingKind[];
  /** hidden and refused, shown with a warning, or shown with invisible characters removed. */
  action: "blocked" | "warned" | "stripped";
};

export type ToolReview = { show: JsonObject | undefined; flag?: IntegrityFlag };

export async function reviewTool(tool: JsonObject, settings: OriginIntegrity, pins: Record<string, string> | undefined): Promise<ToolReview> {
  const name = String(tool.name);
  if (pins) {
    const seen = await definitionHash(tool);
    const pinned = Object.hasOwn(pins, name) ? pins[name] : undefined;
    if (pinned === seen) return { show: stripInvisible(tool) };
    const action = settings.drift === "block" ? "blocked" : "warned";
    const flag: IntegrityFlag = pinned === undefined ? { tool: name, reason: "unpinned", seen, action } : { tool: name, reason: "drift", pinned, seen, action };
    return { show: action === "blocked" ? undefined : stripInvisible(tool), flag };
  }
  const findings = [...new Set(scanDefinition(tool).map((finding) => finding.kind))];
  if (findings.length === 0) return { show: tool };
  const onlyInvisible = findings.every((kind) => kind === "invisible-unicode");
  const action = settings.poisoning === "strip" && onlyInvisible ? "stripped" : "blocked";
  // Without pins the hash only identifies a caught definition in audit: computed for those alone.
  const flag: IntegrityFlag = { tool: name, reason: "poisoned", seen: await definitionHash(tool), findings, action };
  return { show: action === "stripped" ? stripInvisible(tool) : undefined, flag };
}

/**
 * What an origin says besides its tools — prompts, resources and templates in listings, and the
 * `instructions` of its initialize answer — is not pinned but scanned like an unpinned tool: a finding
 * hides the item (or, with `poisoning: strip`, a finding of invisible characters alone strips them).
 * `label` names the item in the flag, e.g. `prompt:greet`.
 */
export function reviewItem<T extends Json>(item: T, settings: OriginIntegrity, label: string): { show: T | undefined; flag?: IntegrityFlag } {
  const findings = [...new Set(scanValue(item).map((finding) => finding.kind))];
  if (findings.length === 0) return { show: item };
  const onlyInvisible = findings.every((kind) => kind === "invisible-unicode");
  const action = settings.poisoning === "strip" && onlyInvisible ? "stripped" : "blocked";
  return { show: action === "stripped" ? stripInvisible(item) : undefined, flag: { tool: label.slice(0, 128), reason: "poisoned", findings, action } };
}

/** A tools/list result reviewed tool by tool: what is shown, and the flags of what was not shown as listed. */
export async function reviewToolListing(tools: JsonObject[], settings: OriginIntegrity, pins: Record<string, string> | undefined): Promise<{ shown: JsonObject[]; flags: IntegrityFlag[] }> {
  const shown: JsonObject[] = [];
  const flags: IntegrityFlag[] = [];
  for (const tool of tools) {
    const review = await reviewTool(tool, settings, pins);
    if (review.show) shown.push(review.show);
    if (review.flag) flags.push(review.flag);
  }
  return { shown, flags };
}
