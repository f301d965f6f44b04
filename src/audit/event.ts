// One structured audit event per message: who, what, which decision under which rule and policy
// version, how it ended. Built up as the message moves through the pipeline and emitted exactly once:
// one JSON line on the Workers log and, when a queue is bound, a message to it, batched with the
// isolate's other events of the same 20 ms (in the background, so the client never waits). It never
// holds a token, an argument value or an answer.

import type { GatewayError } from "../errors.js";
import { hmacSha256, toHex } from "../hmac.js";
import { canonicalJson, type JsonObject } from "../mcp/json.js";
import { utf8Length } from "../mcp/sse.js";
import type { AuditEvent } from "./schema.js";

export type { AuditEvent } from "./schema.js";

/** Where events go besides the log: a Cloudflare Queue, sent in the background. */
export type AuditSink = { queue?: Queue<AuditEvent>; waitUntil(promise: Promise<unknown>): void };

/** A keyed digest of the arguments and the size of each: enough to correlate and size calls, nothing to read. */
export async function describeArguments(key: string, args: JsonObject): Promise<{ argumentsDigest: string; argumentSizes: Record<string, number>; truncated?: true }> {
  const argumentSizes: Record<string, number> = {};
  const names = Object.keys(args);
  // Identifier-like names only, and at most MAX_SIZED of them: the event stays small whatever the caller sends.
  for (const name of names.slice(0, MAX_SIZED)) argumentSizes[/^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : "(other)"] = utf8Length(canonicalJson(args[name]!), 0);
  const digest = toHex(await hmacSha256(key, `arguments\n${canonicalJson(args)}`)).slice(0, 32);
  return names.length > MAX_SIZED ? { argumentsDigest: digest, argumentSizes, truncated: true } : { argumentsDigest: digest, argumentSizes };
}

const MAX_SIZED = 32;
/** Well under a Queues message (128 KB): an event over it loses its lists, marked `truncated`, never the event. */
export const MAX_EVENT_BYTES = 16 * 1024;

const BOUNDED_TEXT = ["reason", "target", "rule", "method", "origin", "principal", "abuse", "ray"] as const;

/** Every field within its bound; an event still too large keeps its identity and decision and drops its lists. */
export function boundEvent(event: AuditEvent): AuditEvent {
  return boundAndSerialize(event).event;
}

/**
 * The bounded event and its JSON, serialized once: the size check's text is the text that is sent.
 * The event is copied only when a bound changes it.
 */
function boundAndSerialize(event: AuditEvent): { event: AuditEvent; json: string; bytes: number } {
  let bounded = event;
  const change = () => (bounded === event ? (bounded = { ...event, truncated: true }) : bounded);
  for (const key of BOUNDED_TEXT) {
    const value = bounded[key];
    if (typeof value === "string" && value.length > 512) change()[key] = value.slice(0, 512);
  }
  if (bounded.roles && bounded.roles.length > 32) change().roles = bounded.roles.slice(0, 32);
  if (bounded.integrity && bounded.integrity.length > 20) change().integrity = bounded.integrity.slice(0, 20);
  let json = JSON.stringify(bounded);
  let bytes = utf8Length(json, 0);
  if (bytes > MAX_EVENT_BYTES) {
    const cut = change();
    for (const key of ["integrity", "argumentSizes", "redactions", "rateLimitFailedOpen", "roles"] as const) delete cut[key];
    json = JSON.stringify(cut);
    bytes = utf8Length(json, 0);
  }
  return { event: bounded, json, bytes };
}

/** What an event records of the HTTP request itself. */
export type RequestFacts = { httpMethod: string; ray?: string; country?: string; asn?: number };

export function requestFacts(request: Request): RequestFacts {
  const facts: RequestFacts = { httpMethod: request.method };
  const ray = request.headers.get("cf-ray");
  if (ray) facts.ray = ray.slice(0, 64);
  const cf = request.cf as { country?: unknown; asn?: unknown } | undefined;
  if (typeof cf?.country === "string") facts.country = cf.country;
  if (typeof cf?.asn === "number") facts.asn = cf.asn;
  return facts;
}

/**
 * One event in the making. It is emitted once every holder has released it: the audit stage when the
 * request has passed the pipeline, and the answer path, when it streams, once the answer is over.
 */
export class AuditDraft {
  readonly event: AuditEvent;
  private failure: GatewayError | undefined;
  private holders = 1;
  private readonly started = Date.now();

  constructor(
    facts: RequestFacts,
    policyVersion: string,
    private readonly sink?: AuditSink,
  ) {
    this.event = {
      v: 1,
      time: new Date().toISOString(),
      requestId: crypto.randomUUID(),
      policyVersion,
      httpMethod: facts.httpMethod,
      decision: "error",
    };
    if (facts.ray) this.event.ray = facts.ray;
    if (facts.country !== undefined) this.event.country = facts.country;
    if (facts.asn !== undefined) this.event.asn = facts.asn;
  }

  /** The error that ended the message: it decides the event's decision, reason and code. */
  fail(error: GatewayError): void {
    this.failure = error;
  }

  /** Keeps the event open until the returned function is called (more than once is harmless). */
  hold(): () => void {
    this.holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  release(): void {
    if (--this.holders === 0) this.emit();
  }

  private emit(): void {
    if (this.failure) {
      this.event.reason = this.failure.reason;
      this.event.errorCode = this.failure.code;
      this.event.decision = this.failure.auditDecision;
    }
    this.event.gatewayMs = Date.now() - this.started;
    const { event, json, bytes } = boundAndSerialize(this.event);
    console.log(`{"audit":${json}}`);
    // The queued event is sent after this request is over: a copy, so that it stays what was logged.
    if (this.sink?.queue) toQueue({ event: event === this.event ? { ...event } : event, bytes: bytes + 10 }, this.sink.queue, this.sink.waitUntil);
  }
}

/** An event of its own, outside any request's: a flag raised about a principal. */
export function emitFlag(policyVersion: string, sink: AuditSink, fields: Partial<AuditEvent>): void {
  const draft = new AuditDraft({ httpMethod: "-" }, policyVersion, sink);
  Object.assign(draft.event, fields, { decision: "flag" });
  draft.release();
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
      } catch {
        // One bad message must not lose the others of its batch: each is sent again on its own.
        const lost: string[] = [];
        for (const body of batch) await queue.send(body, { contentType: "json" }).catch(() => lost.push(body.requestId));
        if (lost.length) console.error(JSON.stringify({ error: "audit queue send failed", requestIds: lost }));
      }
    }
  })();
  waitUntil(batchWindow);
}
