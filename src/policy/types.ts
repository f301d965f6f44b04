// The compiled policy: the normalized, JSON-serializable structure the build step writes and the
// Worker imports. Every reference is resolved and every default filled in, so run-time code never
// re-validates it. `version` is the content hash operators see in audit events and /.well-known.

/** What a rule names: tools, resources, prompts, server-to-client requests, or methods without a named target. */
export type TargetKind = "tool" | "resource" | "prompt" | "serverRequest" | "method";

export type CompiledArgumentRule = {
  type: "string" | "number" | "integer" | "boolean" | "object" | "array";
  required: boolean;
  minLength?: number;
  maxLength?: number;
  /** Regular expression source, checked for catastrophic backtracking at build time. */
  pattern?: string;
  enum?: (string | number)[];
  min?: number;
  max?: number;
  maxItems?: number;
  pathRoots?: string[];
  shellSafe?: boolean;
  url?: { schemes: string[]; hosts: string[] };
  /** SQL checked by a real parser (src/policy/sql.ts). */
  sql?: CompiledSqlRule;
  /** An object's known keys and their rules; other keys pass only with `additionalProperties`. */
  properties?: Record<string, CompiledArgumentRule>;
  additionalProperties?: boolean;
  /** The rule every item of an array must pass. */
  items?: CompiledArgumentRule;
};

export type SqlDialect = "postgres" | "mysql" | "sqlite";

/** An `sql` argument rule: the dialect, whether only one read is allowed, the tables it may read. */
export type CompiledSqlRule = { dialect: SqlDialect; readOnly: boolean; maxStatements: number; tables?: string[] };

export type ScrubPolicy = { families: ("credentials" | "personal")[]; action: "redact" | "refuse"; allow: string[] };

/**
 * A rule's network and time conditions (conditions.ts): every one given must hold for the rule to
 * apply. Addresses are CIDR ranges checked at build time; `time` is UTC: days 0 (Sunday) to 6 and
 * minutes of the day, `fromMinute` inclusive, `toMinute` exclusive.
 */
export type CompiledConditions = {
  addresses?: string[];
  countries?: string[];
  asns?: number[];
  time?: { days: number[]; fromMinute: number; toMinute: number };
};

export type CompiledRule = {
  id: string;
  effect: "allow" | "deny";
  roles: string[];
  origin: string;
  kind: TargetKind;
  patterns: string[];
  arguments: Record<string, CompiledArgumentRule>;
  additionalArguments: boolean;
  scrub?: ScrubPolicy;
  conditions?: CompiledConditions;
  /** Where the rule was written, for explain and error messages. */
  source: string;
};

/** What happens to tools whose definition is not the pinned one, or that look poisoned. */
export type OriginIntegrity = { drift: "block" | "warn"; poisoning: "hide" | "strip" };

export type CompiledOrigin = {
  url: string;
  timeoutMs: number;
  scrub: ScrubPolicy;
  integrity: OriginIntegrity;
  credential?: { secret: string; header: string; prefix: string };
  /** JWT resource-server mode (src/auth/jwt.ts); absent, the endpoint takes the gateway's own tokens only. */
  jwt?: OriginJwtSettings;
};

/** An origin endpoint's JWT access-token settings (policy `origins.<name>.jwt`). */
export type OriginJwtSettings = {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** Asymmetric JWS algorithms only: the compiler refuses HS* and none. */
  algorithms: string[];
  clockSkewSeconds: number;
  /** The gateway's own tokens are accepted beside the issuer's JWTs. */
  gatewayTokens: boolean;
  emailDomains: string[];
  roleMapping: { claim: string; equals: string | boolean; roles: string[] }[];
};

export type CompiledLimit = {
  id: string;
  origin: string;
  roles?: string[];
  tools?: string[];
  per: "principal" | "origin";
  measure: "requests" | "bytes";
  cost: number;
  limit: number;
  windowMs: number;
  algorithm: "fixed-window" | "sliding-window";
  fail: "open" | "closed";
  /** `mode: leased`: calls' worth of units an isolate takes from the store at a time (ratelimit/lease.ts). */
  lease?: number;
};

export type AnomalyAction = "flag" | "cooldown";

/**
 * Anomaly detection for one origin's tool calls (ratelimit/anomaly.ts): per principal × tool hourly
 * counts against the principal's own mean of the previous `baselineHours` hours (`spike`), an absolute
 * ceiling per hour, and the first use of a tool by a principal. Each finding is flagged, and with
 * `cooldown` the principal is also refused for `cooldownMs`.
 */
export type CompiledAnomalyWatch = {
  id: string;
  origin: string;
  /** Only calls of these tools; every tool of the origin when absent. */
  tools?: string[];
  baselineHours: number;
  spike?: { factor: number; minimum: number; action: AnomalyAction };
  ceiling?: { calls: number; action: AnomalyAction };
  firstUse?: { action: AnomalyAction };
  cooldownMs?: number;
};

export type GatewaySettings = {
  allowedOrigins: string[];
  maxBodyBytes: number;
  maxDepth: number;
  maxAnswerEventBytes: number;
  tokenCacheSeconds: number;
  /** Tokens older than this are refused; `token create` mints none that live longer. */
  maxTokenLifetimeSeconds?: number;
  maxCacheTtlMs: number;
  rateLimit: {
    timeoutMs: number;
    abuse?: { deniedCalls: number; windowMs: number; cooldownMs?: number };
    failedAuth: { limit: number; windowMs: number };
  };
};

/** The OAuth authorization server's settings (policy `oauth:`); absent, the gateway takes CLI tokens only. */
export type OAuthSettings = {
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  /** A grant's absolute lifetime from consent (`grantTtl`, capped by `gateway.maxTokenLifetime`): refreshes never extend it. */
  grantSeconds: number;
  upstream: { issuer: string; clientId: string; clientSecret: { from: string }; scopes: string[] };
  emailDomains: string[];
  roleMapping: { claim: string; equals: string | boolean; roles: string[] }[];
  /** Dynamic Client Registration (RFC 7591) on, with registrations per client address per window; absent, off. */
  dynamicClientRegistration?: { limit: number; windowMs: number };
};

/** One origin of a virtual server: `prefix` is `<namespace>__`; `rename` maps origin tool names to the names clients see. */
export type CompiledServerOrigin = { origin: string; namespace: string; prefix: string; rename: Record<string, string> };

export type CompiledServer = { listTimeoutMs: number; origins: CompiledServerOrigin[] };

export type CompiledPolicy = {
  version: string;
  gateway: GatewaySettings;
  oauth?: OAuthSettings;
  origins: Record<string, CompiledOrigin>;
  /** Virtual servers by endpoint name (never an origin's name). */
  servers: Record<string, CompiledServer>;
  /** Each role mapped to itself and every role it inherits, directly or not. */
  roles: Record<string, string[]>;
  rules: CompiledRule[];
  limits: CompiledLimit[];
  anomalies: CompiledAnomalyWatch[];
  /** Pinned origins: each tool name mapped to the SHA-256 of its reviewed canonical definition. */
  pins: Record<string, Record<string, string>>;
};
