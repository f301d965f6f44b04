// The audit queue's consumer: each batch's events are checked against the schema and written to R2 as
// one NDJSON object, so storage costs one write per batch instead of one per event. The key is made
// from the batch's first event time and a hash of its events' request ids: a redelivered batch
// overwrites its own object. Delivery is at least once (a retried message can land in a second
// batch); every event carries its unique requestId, by which readers deduplicate.

import { toHex } from "../hmac.js";
import { auditEventSchema, type AuditEvent } from "./schema.js";

export type AuditStorageEnv = { AUDIT_BUCKET?: R2Bucket };

export async function auditObjectKey(events: AuditEvent[]): Promise<string> {
  const ids = events.map((event) => event.requestId).sort().join("\n");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(ids)));
  const hash = toHex(digest.slice(0, 8));
  const time = events.map((event) => event.time).sort()[0]!;
  return `audit/${time.slice(0, 10)}/${time.slice(11, 13)}/${time.replace(/[:.]/g, "")}-${hash}.ndjson`;
}

export async function consumeAuditBatch(batch: MessageBatch<unknown>, env: AuditStorageEnv): Promise<void> {
  const bucket = env.AUDIT_BUCKET;
  if (!bucket) {
    console.error(JSON.stringify({ error: "audit queue consumer has no AUDIT_BUCKET binding; messages retried" }));
    batch.retryAll();
    return;
  }
  const events: AuditEvent[] = [];
  for (const message of batch.messages) {
    const parsed = auditEventSchema.safeParse(message.body);
    if (parsed.success) events.push(parsed.data);
    else console.error(JSON.stringify({ error: "malformed audit message dropped", id: message.id }));
  }
  if (events.length === 0) return batch.ackAll();
  try {
    await bucket.put(await auditObjectKey(events), events.map((event) => JSON.stringify(event)).join("\n") + "\n", { httpMetadata: { contentType: "application/x-ndjson" } });
    batch.ackAll();
  } catch (error) {
    console.error(JSON.stringify({ error: `audit write failed: ${(error as Error).message}`, events: events.length }));
    batch.retryAll();
  }
}
