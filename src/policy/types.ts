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
  /** An object's known keys and their rules; other keys pass only with `additionalProperties`. */
  properties?: Record<string, CompiledArgumentRule>;
  additionalProperties?: boolean;
  /** The rule every item of an array must pass. */
  items?: CompiledArgumentRule;
};

export type ScrubPolicy = { families: ("credentials" | "personal")[]; action: "redact" | "refuse"; allow: string[] };

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
};

export type GatewaySettings = {
  allowedOrigins: string[];
  maxBodyBytes: number;
  maxDepth: number;
  maxAnswerEventBytes: number;
  tokenCacheSeconds: number;
  maxCacheTtlMs: number;
  rateLimit: {
    timeoutMs: number;
    abuse?: { deniedCalls: number; windowMs: number; cooldownMs?: number };
    failedAuth: { limit: number; windowMs: number };
  };
};

/** One origin of a virtual server: `prefix` is `<namespace>__`; `rename` maps origin tool names to the names clients see. */
export type CompiledServerOrigin = { origin: string; namespace: string; prefix: string; rename: Record<string, string> };

export type CompiledServer = { listTimeoutMs: number; origins: CompiledServerOrigin[] };

export type CompiledPolicy = {
  version: string;
  gateway: GatewaySettings;
  origins: Record<string, CompiledOrigin>;
  /** Virtual servers by endpoint name (never an origin's name). */
  servers: Record<string, CompiledServer>;
  /** Each role mapped to itself and every role it inherits, directly or not. */
  roles: Record<string, string[]>;
  rules: CompiledRule[];
  limits: CompiledLimit[];
  /** Pinned origins: each tool name mapped to the SHA-256 of its reviewed canonical definition. */
  pins: Record<string, Record<string, string>>;
};
