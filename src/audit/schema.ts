// The audit event, as a zod schema: the one definition behind the TypeScript type, the queue
// consumer's check before anything reaches R2, the tests, and docs/audit-events.md.

import * as z from "zod/mini";

const counts = z.record(z.string(), z.number());

export const auditEventSchema = z.object({
  /** Event format version. */
  v: z.literal(1),
  time: z.string(),
  requestId: z.string(),
  /** Cloudflare's ray id, when the request came through Cloudflare. */
  ray: z.optional(z.string()),
  policyVersion: z.string(),
  origin: z.optional(z.string()),
  /** A virtual server's message: the server; \`origin\` is then the origin it was routed to, if one. */
  server: z.optional(z.string()),
  /** Origins a virtual server's fan-out left out (down, late, misbehaving), each with why. */
  droppedOrigins: z.optional(z.array(z.strictObject({ origin: z.string(), reason: z.string() }))),
  httpMethod: z.string(),
  principal: z.optional(z.string()),
  /** What authenticated the caller: a CLI token, a gateway-issued OAuth access token, or the issuer's JWT (JWT mode). */
  authMode: z.optional(z.enum(["token", "oauth", "jwt"])),
  roles: z.optional(z.array(z.string())),
  method: z.optional(z.string()),
  /** The tool, prompt or resource URI the request acted on. */
  target: z.optional(z.string()),
  decision: z.enum(["allow", "deny", "limited", "error", "flag"]),
  rule: z.optional(z.string()),
  /** The network or time condition that refused: a rule's, or the token's address binding (rule `token-binding`). */
  condition: z.optional(z.enum(["address", "country", "asn", "time"])),
  /** The precise reason of a refusal or failure: never a value from the request or the answer. */
  reason: z.optional(z.string()),
  status: z.optional(z.number()),
  errorCode: z.optional(z.number()),
  /** HMAC-SHA256 (keyed by SESSION_SECRET) of the canonical arguments: equal arguments, equal digest; no values. */
  argumentsDigest: z.optional(z.string()),
  /** Size in bytes of each argument's canonical JSON, by argument name. */
  argumentSizes: z.optional(counts),
  listingRemoved: z.optional(z.number()),
  /** Tools caught by the integrity check: changed since their pin, unpinned, or poisoned; hashes, never text. */
  integrity: z.optional(
    z.array(
      z.object({
        tool: z.string(),
        reason: z.enum(["drift", "unpinned", "poisoned"]),
        pinned: z.optional(z.string()),
        seen: z.optional(z.string()),
        findings: z.optional(z.array(z.string())),
        action: z.enum(["blocked", "warned", "stripped"]),
      }),
    ),
  ),
  droppedServerRequests: z.optional(z.number()),
  /** Redactions in the answer by detector kind: counts only. */
  redactions: z.optional(counts),
  rateLimitStore: z.optional(z.string()),
  /** Limits whose store failed and that let the call through (their `fail: open`). */
  rateLimitFailedOpen: z.optional(z.array(z.string())),
  /** Set on the event that flags a principal, e.g. for a burst of denied calls. */
  abuse: z.optional(z.string()),
  /** On an anomaly's flag event: what was found, the measure and the threshold it passed, and what the policy did. */
  anomaly: z.optional(
    z.object({
      watch: z.string(),
      finding: z.enum(["spike", "ceiling", "first-use"]),
      /** spike, ceiling: this hour's calls of the tool by the principal; first-use: its earlier uses (0). */
      measure: z.number(),
      /** spike: max(minimum, factor × baseline); ceiling: the ceiling; first-use: 1 (fewer earlier uses is a finding). */
      threshold: z.number(),
      /** spike: the principal's mean calls per hour of the tool over the baseline hours. */
      baseline: z.optional(z.number()),
      action: z.enum(["flag", "cooldown"]),
    }),
  ),
  /** A request to the authorization server (/oauth/*): the endpoint, and the client and grant it concerned (ids, never a token or code). */
  oauth: z.optional(
    z.object({
      endpoint: z.enum(["authorize", "callback", "consent", "token", "register", "revoke"]),
      client: z.optional(z.string()),
      grant: z.optional(z.string()),
      grantType: z.optional(z.string()),
    }),
  ),
  responseBytes: z.optional(z.number()),
  /** Set when a field was cut to its bound or lists were dropped to keep the event small. */
  truncated: z.optional(z.literal(true)),
  gatewayMs: z.optional(z.number()),
  originMs: z.optional(z.number()),
  country: z.optional(z.string()),
  asn: z.optional(z.number()),
});

export type AuditEvent = z.infer<typeof auditEventSchema>;
