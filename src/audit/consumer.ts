// The audit queue's consumer: each event of a batch is checked against the schema and written to R2
// under a key made from its time and request id, so a redelivered message or a retried batch
// overwrites its own object instead of adding a duplicate. A failed write is retried by the queue.

import { auditEventSchema } from "./schema.js";

export type AuditStorageEnv = { AUDIT_BUCKET?: R2Bucket };

export function auditObjectKey(event: { time: string; requestId: string }): string {
  return `audit/${event.time.slice(0, 10)}/${event.time.slice(11, 13)}/${event.requestId}.json`;
}

export async function consumeAuditBatch(batch: MessageBatch<unknown>, env: AuditStorageEnv): Promise<void> {
  const bucket = env.AUDIT_BUCKET;
  if (!bucket) {
    console.error(JSON.stringify({ error: "audit queue consumer has no AUDIT_BUCKET binding; messages retried" }));
    batch.retryAll();
    return;
  }
  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = auditEventSchema.safeParse(message.body);
      if (!parsed.success) {
        console.error(JSON.stringify({ error: "malformed audit message dropped", id: message.id }));
        message.ack();
        return;
      }
      try {
        await bucket.put(auditObjectKey(parsed.data), JSON.stringify(parsed.data), { httpMetadata: { contentType: "application/json" } });
        message.ack();
      } catch (error) {
        console.error(JSON.stringify({ error: `audit write failed: ${(error as Error).message}`, id: message.id }));
        message.retry();
      }
    }),
  );
}
