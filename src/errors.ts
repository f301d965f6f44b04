// Every way a request can fail, in one place: the JSON-RPC code, the HTTP status, the generic
// message that goes on the wire, and the precise reason that stays inside (logs and audit).
// No other module builds an error response.

import type { JsonRpcId } from "./mcp/jsonrpc.js";

export const ErrorKind = {
  parse: { code: -32700, status: 400, message: "Parse error" },
  invalidRequest: { code: -32600, status: 400, message: "Invalid request" },
  methodNotFound: { code: -32601, status: 400, message: "Method not found" },
  invalidParams: { code: -32602, status: 400, message: "Invalid params" },
  badTransport: { code: -32000, status: 400, message: "Bad request" },
  sessionNotFound: { code: -32001, status: 404, message: "Session not found" },
  headerMismatch: { code: -32020, status: 400, message: "Header does not match the message body" },
  unsupportedVersion: { code: -32000, status: 400, message: "Unsupported protocol version" },
  notAcceptable: { code: -32000, status: 406, message: "Not acceptable" },
  unsupportedMediaType: { code: -32000, status: 415, message: "Unsupported media type" },
  payloadTooLarge: { code: -32000, status: 413, message: "Request body too large" },
  methodNotAllowed: { code: -32000, status: 405, message: "Method not allowed" },
  forbiddenOrigin: { code: -32000, status: 403, message: "Origin not allowed" },
  unknownEndpoint: { code: -32000, status: 404, message: "Unknown MCP endpoint" },
  unauthorized: { code: -32030, status: 401, message: "Unauthorized" },
  tokenNotInHeader: { code: -32030, status: 400, message: "Bad request" },
  forbidden: { code: -32031, status: 403, message: "Forbidden" },
  denied: { code: -32032, status: 403, message: "Denied by policy" },
  tokenStoreUnavailable: { code: -32033, status: 503, message: "Token store unavailable" },
  integrityStoreUnavailable: { code: -32033, status: 503, message: "Tool integrity store unavailable" },
  toolRefused: { code: -32036, status: 403, message: "Tool refused: it failed the gateway's integrity check" },
  rateLimited: { code: -32029, status: 429, message: "Rate limit exceeded" },
  rateLimiterUnavailable: { code: -32035, status: 503, message: "Rate limiter unavailable" },
  originUnavailable: { code: -32050, status: 502, message: "Origin unavailable" },
  originTimeout: { code: -32051, status: 504, message: "Origin timed out" },
  originInvalidAnswer: { code: -32052, status: 502, message: "Origin sent an invalid answer" },
  misconfigured: { code: -32603, status: 500, message: "Gateway misconfigured" },
  internal: { code: -32603, status: 500, message: "Internal error" },
} as const satisfies Record<string, { code: number; status: number; message: string }>;

export type ErrorKindName = keyof typeof ErrorKind;

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

  /** The JSON-RPC error object that goes on the wire. */
  toJsonRpcError(): { code: number; message: string; data?: Record<string, unknown> } {
    const { message } = ErrorKind[this.kind];
    const wire = this.options.detail ? `${message}: ${this.options.detail}` : message;
    return this.options.data
      ? { code: this.code, message: wire, data: this.options.data }
      : { code: this.code, message: wire };
  }
}

/** Whatever was thrown, as a GatewayError: anything unexpected becomes a generic internal error. */
export function asGatewayError(thrown: unknown): GatewayError {
  if (thrown instanceof GatewayError) return thrown;
  const reason = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : "non-error thrown";
  return new GatewayError("internal", reason);
}

export function errorMessage(error: GatewayError, id: JsonRpcId | null): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error: error.toJsonRpcError() });
}

export function errorResponse(error: GatewayError, id: JsonRpcId | null): Response {
  return new Response(errorMessage(error, id), {
    status: error.status,
    headers: { "content-type": "application/json", ...error.options.headers },
  });
}
