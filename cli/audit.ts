// `mcp-warden audit`: reads audit events back from the local R2 bucket that `npm start` (wrangler dev)
// writes through the audit queue, newest last, as JSON lines. For a deployed gateway, read the bucket
// with `wrangler r2 object` or ship it to a SIEM (see README).

import { Miniflare } from "miniflare";
import { join } from "node:path";
import type { AuditEvent } from "../src/audit/schema.js";
import { PROJECT_ROOT } from "./wrangler.js";

/** Every event in the bucket's NDJSON batch objects, once each (delivery is at least once), oldest first. */
export async function readAuditEvents(bucket: Pick<R2Bucket, "list" | "get">): Promise<AuditEvent[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: "audit/", ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((object) => object.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  const byId = new Map<string, AuditEvent>();
  for (const key of keys) {
    const text = await (await bucket.get(key))!.text();
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const event = JSON.parse(line) as AuditEvent;
      byId.set(event.requestId, event);
    }
  }
  return [...byId.values()].sort((a, b) => a.time.localeCompare(b.time));
}

/** Every event in the local gateway's bucket (`npm start` persists it under .wrangler/state). */
export async function localAuditEvents(): Promise<AuditEvent[]> {
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null); } }",
    r2Buckets: { AUDIT_BUCKET: "mcp-warden-audit-dev" },
    r2Persist: join(PROJECT_ROOT, ".wrangler/state/v3/r2"),
  });
  try {
    return await readAuditEvents((await mf.getR2Bucket("AUDIT_BUCKET")) as unknown as R2Bucket);
  } finally {
    await mf.dispose();
  }
}

export async function auditCommand(args: string[]): Promise<void> {
  const limit = args.includes("--limit") ? Number(args[args.indexOf("--limit") + 1]) : 50;
  const events = await localAuditEvents();
  for (const event of events.slice(-limit)) console.log(JSON.stringify(event));
  if (!events.length) console.error("no audit events yet: start the demo with `npm start` and make a few calls");
}
