// One structured audit event per request: who, what, which decision under which rule and policy
// version, how it ended. Built up as the request moves through the pipeline and emitted exactly once:
// one JSON line on the Workers log and, when a queue is bound, a message to it, batched with the
// isolate's other events of the same 20 ms (in the background, so the client never waits). It never
// holds a token, an argument value or an answer.

import { hmacSha256, toHex } from "../hmac.js";
import { canonicalJson, type JsonObject } from "../mcp/json.js";
import type { AuditEvent } from "./schema.js";

export type { AuditEvent } from "./schema.js";

/** Where events go besides the log: a Cloudflare Queue, sent in the background. */
export type AuditSink = { queue?: Queue<AuditEvent>; waitUntil(promise: Promise<unknown>): void };

/** A keyed digest of the arguments and the size of each: enough to correlate and size calls, nothing to read. */
export async function describeArguments(key: string, args: JsonObject): Promise<{ argumentsDigest: string; argumentSizes: Record<string, number> }> {
  const argumentSizes: Record<string, number> = {};
  for (const [name, value] of Object.entries(args)) argumentSizes[name.slice(0, 64)] = new TextEncoder().encode(canonicalJson(value)).length;
  return { argumentsDigest: toHex(await hmacSha256(key, `arguments\n${canonicalJson(args)}`)).slice(0, 32), argumentSizes };
}

export class AuditDraft {
  readonly event: AuditEvent;
  private emitted = false;
  /** Set when the answer streams: the event is emitted when the stream ends, not when the handler returns. */
  deferred = false;
  private readonly started = Date.now();

  constructor(
    request: Request,
    policyVersion: string,
    private readonly sink?: AuditSink,
  ) {
    this.event = {
      v: 1,
      time: new Date().toISOString(),
      requestId: crypto.randomUUID(),
      policyVersion,
      httpMethod: request.method,
      decision: "error",
    };
    const ray = request.headers.get("cf-ray");
    if (ray) this.event.ray = ray.slice(0, 64);
    const cf = request.cf as { country?: unknown; asn?: unknown } | undefined;
    if (typeof cf?.country === "string") this.event.country = cf.country;
    if (typeof cf?.asn === "number") this.event.asn = cf.asn;
  }

  emit(): void {
    if (this.emitted) return;
    this.emitted = true;
    this.event.gatewayMs = Date.now() - this.started;
    const line = JSON.stringify({ audit: this.event });
    console.log(line);
    if (this.sink?.queue) toQueue({ event: this.event, bytes: line.length }, this.sink.queue, this.sink.waitUntil);
  }
}

/**
 * Events of this isolate on their way to the queue: the first one opens a short window, and everything
 * emitted within it goes in one sendBatch instead of one send per request (Queues takes at most 100
 * messages and 256 KB per batch). The request that opened the window keeps it alive with waitUntil
 * until the batch is sent.
 */
const QUEUE_WINDOW_MS = 20;
const QUEUE_BATCH_MESSAGES = 100;
const QUEUE_BATCH_BYTES = 200_000;
const waiting: { event: AuditEvent; bytes: number }[] = [];
let batchWindow: Promise<void> | undefined;

function nextBatch(): AuditEvent[] {
  let bytes = 0;
  let count = 0;
  while (count < waiting.length && count < QUEUE_BATCH_MESSAGES && (count === 0 || bytes + waiting[count]!.bytes <= QUEUE_BATCH_BYTES)) bytes += waiting[count++]!.bytes;
  return waiting.splice(0, count).map((item) => item.event);
}

function toQueue(item: { event: AuditEvent; bytes: number }, queue: Queue<AuditEvent>, waitUntil: AuditSink["waitUntil"]): void {
  waiting.push(item);
  if (batchWindow) return;
  batchWindow = (async () => {
    await new Promise((resolve) => setTimeout(resolve, QUEUE_WINDOW_MS));
    for (;;) {
      // Checked and cleared in one step: an event emitted after this sees no window and opens one.
      if (waiting.length === 0) {
        batchWindow = undefined;
        return;
      }
      const batch = nextBatch();
      try {
        await queue.sendBatch(batch.map((body) => ({ body, contentType: "json" as const })));
      } catch (error) {
        console.error(JSON.stringify({ error: `audit queue send failed: ${(error as Error).message}`, requestIds: batch.map((lost) => lost.requestId) }));
      }
    }
  })();
  waitUntil(batchWindow);
}
