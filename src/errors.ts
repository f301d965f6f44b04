// Every way a message can fail, in one place: the JSON-RPC code, the HTTP status, the generic message
// that goes on the wire, and the audit decision it counts as; the precise reason stays inside (logs and
// audit). One handler turns whatever a stage threw into the answer; no other module builds an error
// response. Errors after an answer has begun streaming go in-band as a last JSON-RPC event instead.

/** What an audit event records for a message that ended in this error. */
export type AuditDecision = "deny" | "limited" | "error";

export const ErrorKind = {
  parse: { code: -32700, status: 400, message: "Parse error", audit: "error" },
  invalidRequest: { code: -32600, status: 400, message: "Invalid request", audit: "error" },
  methodNotFound: { code: -32601, status: 400, message: "Method not found", audit: "error" },
  /** 2026-07-28: a method the revision removed (initialize, ping, …) or never had is 404. */
  methodNotFoundStateless: { code: -32601, status: 404, message: "Method not found", audit: "error" },
  invalidParams: { code: -32602, status: 400, message: "Invalid params", audit: "error" },
  badTransport: { code: -32000, status: 400, message: "Bad request", audit: "error" },
  sessionNotFound: { code: -32001, status: 404, message: "Session not found", audit: "error" },
  headerMismatch: { code: -32020, status: 400, message: "Header does not match the message body", audit: "error" },
  unsupportedVersion: { code: -32000, status: 400, message: "Unsupported protocol version", audit: "error" },
  notAcceptable: { code: -32000, status: 406, message: "Not acceptable", audit: "error" },
  unsupportedMediaType: { code: -32000, status: 415, message: "Unsupported media type", audit: "error" },
  payloadTooLarge: { code: -32000, status: 413, message: "Request body too large", audit: "error" },
  methodNotAllowed: { code: -32000, status: 405, message: "Method not allowed", audit: "error" },
  forbiddenOrigin: { code: -32000, status: 403, message: "Origin not allowed", audit: "error" },
  unknownEndpoint: { code: -32000, status: 404, message: "Unknown MCP endpoint", audit: "error" },
  unauthorized: { code: -32030, status: 401, message: "Unauthorized", audit: "deny" },
  tokenNotInHeader: { code: -32030, status: 400, message: "Bad request", audit: "error" },
  forbidden: { code: -32031, status: 403, message: "Forbidden", audit: "deny" },
  denied: { code: -32032, status: 403, message: "Denied by policy", audit: "deny" },
  tokenStoreUnavailable: { code: -32033, status: 503, message: "Token store unavailable", audit: "error" },
  keySetUnavailable: { code: -32033, status: 503, message: "Token issuer's keys unavailable", audit: "error" },
  integrityStoreUnavailable: { code: -32033, status: 503, message: "Tool integrity store unavailable", audit: "error" },
  toolRefused: { code: -32036, status: 403, message: "Tool refused: it failed the gateway's integrity check", audit: "deny" },
  /** In-band only: a result replaced because its rule scrubs with `action: refuse`. */
  resultWithheld: { code: -32034, status: 403, message: "Result withheld: it contained sensitive data", audit: "deny" },
  /** Sent to an origin, never to a client: the server-to-client request it made is not allowed for this caller. */
  serverRequestDenied: { code: -32601, status: 403, message: "Denied by gateway policy", audit: "deny" },
  rateLimited: { code: -32029, status: 429, message: "Rate limit exceeded", audit: "limited" },
  rateLimiterUnavailable: { code: -32035, status: 503, message: "Rate limiter unavailable", audit: "error" },
  originUnavailable: { code: -32050, status: 502, message: "Origin unavailable", audit: "error" },
  originTimeout: { code: -32051, status: 504, message: "Origin timed out", audit: "error" },
  originInvalidAnswer: { code: -32052, status: 502, message: "Origin sent an invalid answer", audit: "error" },
  misconfigured: { code: -32603, status: 500, message: "Gateway misconfigured", audit: "error" },
  internal: { code: -32603, status: 500, message: "Internal error", audit: "error" },
} as const satisfies Record<string, { code: number; status: number; message: string; audit: AuditDecision }>;

export type ErrorKindName = keyof typeof ErrorKind;

/** The audit decision of an error answer read back (a virtual server relaying an origin endpoint's refusal). */
export function auditDecisionOf(status: number, code: unknown): AuditDecision {
  return Object.values(ErrorKind).find((kind) => kind.status === status && kind.code === code)?.audit ?? "error";
}
/** A JSON-RPC id as errors carry it: null when the message's id could not be read. */
type ErrorId = string | number | null;

/**
 * A refusal on its way to the client. `reason` is precise and internal; the wire carries the kind's
 * generic message, plus `detail` only where it concerns the caller's own request and reveals nothing else.
 */
export class GatewayError extends Error {
  constructor(
    readonly kind: ErrorKindName,
    readonly reason: string,
    readonly options: {
      detail?: string;
      data?: Record<string, unknown>;
      headers?: Record<string, string>;
      /** The message carried something the gateway sealed, altered or sealed for someone else, or (on a virtual server)
       * a name or id the server never gave out: refused before any policy decision, it counts toward abuse. */
      forged?: true;
    } = {},
  ) {
    super(reason);
  }

  get code(): number {
    return ErrorKind[this.kind].code;
  }

  get status(): number {
    return ErrorKind[this.kind].status;
  }

  get auditDecision(): AuditDecision {
    return ErrorKind[this.kind].audit;
  }

  /** The JSON-RPC error object that goes on the wire. */
  toJsonRpcError(): { code: number; message: string; data?: Record<string, unknown> } {
    const { message } = ErrorKind[this.kind];
    const wire = this.options.detail ? `${message}: ${this.options.detail}` : message;
    return this.options.data
      ? { code: this.code, message: wire, data: this.options.data }
      : { code: this.code, message: wire };
  }
}

/**
 * Refusals of the OAuth endpoints (src/oauth/): RFC 6749 §5.2 and RFC 8707 error codes with their HTTP
 * status, answered as `{"error", "error_description"}` JSON, or on the user's browser page when a redirect
 * back to the client cannot be trusted. Never JSON-RPC: OAuth clients read these, not MCP clients.
 */
export const OAuthErrorStatus = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  unsupported_response_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  access_denied: 403,
  server_error: 500,
  temporarily_unavailable: 503,
  /** RFC 7591 §3.2.2: registration refused. */
  invalid_redirect_uri: 400,
  invalid_client_metadata: 400,
  /** The client address is over an OAuth endpoint's limit (failed attempts, or registrations); with Retry-After. */
  rate_limited: 429,
} as const;

export class OAuthError extends Error {
  constructor(
    readonly code: keyof typeof OAuthErrorStatus,
    /** Sent to the client: says what was wrong with its own request, nothing else. */
    readonly description: string,
    /** The precise reason, for the audit event only (e.g. why a grant refused a refresh); the description by default. */
    readonly reason: string = description,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${code}: ${description}`);
  }

  get status(): number {
    return OAuthErrorStatus[this.code];
  }

  toResponse(): Response {
    return new Response(JSON.stringify({ error: this.code, error_description: this.description }), {
      status: this.status,
      headers: { "content-type": "application/json", "cache-control": "no-store", ...this.headers },
    });
  }
}

/** Whatever was thrown, as a GatewayError: anything unexpected becomes a generic internal error. */
export function asGatewayError(thrown: unknown): GatewayError {
  if (thrown instanceof GatewayError) return thrown;
  const reason = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : "non-error thrown";
  return new GatewayError("internal", reason);
}

/** The JSON-RPC error message for one id, as an object (in-band answers) or as text. */
export function errorObject(error: GatewayError, id: ErrorId): { jsonrpc: "2.0"; id: ErrorId; error: ReturnType<GatewayError["toJsonRpcError"]> } {
  return { jsonrpc: "2.0", id, error: error.toJsonRpcError() };
}

export function errorMessage(error: GatewayError, id: ErrorId): string {
  return JSON.stringify(errorObject(error, id));
}

export function errorResponse(error: GatewayError, id: ErrorId): Response {
  return new Response(errorMessage(error, id), {
    status: error.status,
    headers: { "content-type": "application/json", ...error.options.headers },
  });
}

/**
 * The app's one error handler: the answer for whatever a stage threw, with the JSON-RPC id of the
 * message when it could be read. The audit stage records the same error from `c.error`.
 */
export function handleError(thrown: Error, c: { var: object }): Response {
  const error = asGatewayError(thrown);
  if (error.kind === "internal") console.error(JSON.stringify({ error: error.reason }));
  return errorResponse(error, (c.var as { rpcId?: ErrorId }).rpcId ?? null);
}
