// One structured audit event per request: who, what, which decision under which rule and policy
// version, how it ended. Built up as the request moves through the pipeline and emitted exactly once:
// one JSON line on the Workers log and, when a queue is bound, a message to it (in the background, so
// the client never waits). It never holds a token, an argument value or an answer.

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
    console.log(JSON.stringify({ audit: this.event }));
    const queue = this.sink?.queue;
    if (queue) {
      this.sink!.waitUntil(
        queue.send(this.event, { contentType: "json" }).catch((error: Error) => console.error(JSON.stringify({ error: `audit queue send failed: ${error.message}`, requestId: this.event.requestId }))),
      );
    }
  }
}
