// Tools the gateway has caught: a pinned tool whose definition changed, an unpinned tool, a poisoned
// one. A listing that shows one records it here, in this isolate at once and in KV (TOKENS
// namespace, `integrity:` keys, see docs/storage-schema.md) for every other isolate; tools/call
// consults it before anything reaches the origin. Each isolate re-reads the origin's records at
// most every REFRESH_MS. Records belong to one policy version, so a redeploy with new pins starts clean.

import { isToolName } from "./poison.js";
import type { IntegrityFlag } from "./review.js";

const REFRESH_MS = 30_000;
const MAX_PAGES = 10;

type OriginRecords = { until: number; flags: Map<string, IntegrityFlag> };
const isolateRecords = new Map<string, OriginRecords>();

function prefix(policyVersion: string, origin: string): string {
  return `integrity:${policyVersion}:${origin}:`;
}

/** This isolate's records of one origin under one policy version. */
function isolateKey(policyVersion: string, origin: string): string {
  return `${policyVersion}:${origin}`;
}

async function load(kv: KVNamespace, policyVersion: string, origin: string, now: number): Promise<OriginRecords> {
  const key = isolateKey(policyVersion, origin);
  const cached = isolateRecords.get(key);
  if (cached && cached.until > now) return cached;
  const flags = new Map<string, IntegrityFlag>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const listing: KVNamespaceListResult<IntegrityFlag> = await kv.list<IntegrityFlag>({ prefix: prefix(policyVersion, origin), ...(cursor ? { cursor } : {}) });
    for (const { metadata } of listing.keys) if (metadata?.tool) flags.set(metadata.tool, metadata);
    if (listing.list_complete) break;
    cursor = listing.cursor;
  }
  // Flags this isolate recorded itself stay, even before KV lists them.
  for (const [tool, flag] of cached?.flags ?? []) if (!flags.has(tool)) flags.set(tool, flag);
  const records = { until: now + REFRESH_MS, flags };
  isolateRecords.set(key, records);
  return records;
}

/** The blocking record for a tool, if a listing has caught it. */
export async function blockedTool(kv: KVNamespace, policyVersion: string, origin: string, tool: string, now: number): Promise<IntegrityFlag | undefined> {
  const flag = (await load(kv, policyVersion, origin, now)).flags.get(tool);
  return flag?.action === "blocked" ? flag : undefined;
}

/** Records blocked tools: in this isolate now, in KV in the background (`persist` is waitUntil's promise). */
export function recordBlocked(kv: KVNamespace, policyVersion: string, origin: string, flags: IntegrityFlag[], persist: (work: Promise<unknown>) => void): void {
  const blocked = flags.filter((flag) => flag.action === "blocked");
  if (blocked.length === 0) return;
  const key = isolateKey(policyVersion, origin);
  let records = isolateRecords.get(key);
  if (!records) {
    records = { until: 0, flags: new Map() };
    isolateRecords.set(key, records);
  }
  for (const flag of blocked) {
    // A name that is no tool name is refused at call time without a record (and would not fit a key).
    if (!isToolName(flag.tool) || records.flags.get(flag.tool)?.seen === flag.seen) continue;
    records.flags.set(flag.tool, flag);
    const write = kv.put(`${prefix(policyVersion, origin)}${flag.tool}`, JSON.stringify(flag), { metadata: flag });
    persist(write.catch((error: unknown) => console.error(JSON.stringify({ error: `integrity record not stored: ${String(error)}` }))));
  }
}
