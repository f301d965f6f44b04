// One structured audit event per request: who, what, which decision under which rule and policy
// version, how it ended. Built up as the request moves through the pipeline and emitted exactly once,
// as one JSON line on the Workers log. It never holds a token, an argument value or an answer.

export type Decision = "allow" | "deny" | "limited" | "error" | "flag";

export type AuditEvent = {
  time: string;
  requestId: string;
  ray?: string;
  policyVersion: string;
  origin?: string;
  httpMethod: string;
  principal?: string;
  roles?: string[];
  method?: string;
  target?: string;
  decision: Decision;
  rule?: string;
  reason?: string;
  status?: number;
  errorCode?: number;
  listingRemoved?: number;
  /** Limits whose store failed and that let the call through (their `fail: open`). */
  rateLimitFailedOpen?: string[];
  rateLimitStore?: string;
  /** Set on the event that flags a principal for a burst of denied calls. */
  abuse?: string;
  /** Redactions in the answer, by detector kind: counts only, never values. */
  redactions?: Record<string, number>;
  droppedServerRequests?: number;
  responseBytes?: number;
  gatewayMs?: number;
  originMs?: number;
};

export class AuditDraft {
  readonly event: AuditEvent;
  private emitted = false;
  /** Set when the answer streams: the event is emitted when the stream ends, not when the handler returns. */
  deferred = false;
  private readonly started = Date.now();

  constructor(request: Request, policyVersion: string) {
    this.event = {
      time: new Date().toISOString(),
      requestId: crypto.randomUUID(),
      policyVersion,
      httpMethod: request.method,
      decision: "error",
    };
    const ray = request.headers.get("cf-ray");
    if (ray) this.event.ray = ray.slice(0, 64);
  }

  emit(): void {
    if (this.emitted) return;
    this.emitted = true;
    this.event.gatewayMs = Date.now() - this.started;
    console.log(JSON.stringify({ audit: this.event }));
  }
}
