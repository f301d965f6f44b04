// The policy language as operators write it in policies/*.yaml, as zod schemas. Used at build time
// only (the compiler and the JSON Schema for editors); the Worker imports the compiled form in types.ts.

import { z } from "zod";
import { METHODS } from "../../mcp/methods.js";
import { parseRange } from "../conditions.js";
import { matchesNamePattern } from "../decide.js";

const identifier = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "letters, digits, '_', '.', '-'; at most 64");
const secretName = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, "an upper-case Worker secret name");
/** Plain http is admitted only on a loopback host (a local demo or test provider). */
const loopbackHttp = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/;

/** A name pattern: an exact name, `*`, or a prefix followed by one trailing `*`. */
const namePattern = z
  .string()
  .min(1)
  .max(512)
  .refine((pattern) => !pattern.slice(0, -1).includes("*"), "'*' may only end a pattern");

/** The methods the method table says a `methods:` rule governs. */
const RULED_METHODS = Object.entries(METHODS)
  .filter(([, row]) => row.governedBy === "method" || row.governedBy === "subscription")
  .map(([method]) => method);

type ArgumentRuleShape = {
  type: "string" | "number" | "integer" | "boolean" | "object" | "array";
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: (string | number)[];
  min?: number;
  max?: number;
  maxItems?: number;
  path?: { roots: string[] };
  shellSafe?: true;
  url?: { schemes?: ("https" | "http")[]; hosts: string[] };
  sql?: { dialect: "postgres" | "mysql" | "sqlite"; readOnly?: boolean; maxStatements?: number; tables?: string[] };
  properties?: Record<string, ArgumentRuleShape>;
  additionalProperties?: boolean;
  items?: ArgumentRuleShape;
};

/**
 * One argument's validator. Objects and arrays say what they hold, to any depth: an object lists its
 * `properties` (unknown keys refused unless `additionalProperties: true`), an array its `items`; an
 * object or array rule that says neither is refused at build time, so nothing nested passes unread.
 */
const argumentRule: z.ZodType<ArgumentRuleShape> = z.lazy(() =>
  z
    .strictObject({
      type: z.enum(["string", "number", "integer", "boolean", "object", "array"]),
      required: z.boolean().optional(),
      minLength: z.int().min(0).optional(),
      maxLength: z.int().min(0).optional(),
      pattern: z.string().min(1).max(512).optional(),
      enum: z.array(z.union([z.string(), z.number()])).min(1).optional(),
      min: z.number().optional(),
      max: z.number().optional(),
      maxItems: z.int().min(0).optional(),
      path: z.strictObject({ roots: z.array(z.string().regex(/^\/[^%\\]*$/, "an absolute path")).min(1) }).optional(),
      shellSafe: z.literal(true).optional(),
      url: z
        .strictObject({
          schemes: z.array(z.enum(["https", "http"])).min(1).default(["https"]),
          hosts: z.array(z.string().regex(/^(\*\.)?[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/, "a lower-case host, optionally '*.'-prefixed")).min(1),
        })
        .optional(),
      /** SQL parsed per dialect; read-only (the default) allows one read; `tables` lists what it may read. */
      sql: z
        .strictObject({
          dialect: z.enum(["postgres", "mysql", "sqlite"]),
          readOnly: z.boolean().default(true),
          maxStatements: z.int().min(1).max(100).default(1),
          tables: z.array(z.string().regex(/^[^.\s]+(\.[^.\s]+)?$/, "a table name, optionally schema-qualified")).min(1).optional(),
        })
        .refine((sql) => sql.readOnly || sql.tables === undefined, { path: ["tables"], message: "tables needs readOnly: true (only reads are walked for table names)" })
        .refine((sql) => !sql.readOnly || sql.maxStatements === 1, { path: ["maxStatements"], message: "readOnly allows exactly one statement" })
        .optional(),
      properties: z.record(z.string(), argumentRule).optional(),
      additionalProperties: z.boolean().optional(),
      items: argumentRule.optional(),
    })
    .superRefine((rule, ctx) => {
      const stringOnly = ["minLength", "maxLength", "pattern", "path", "shellSafe", "url", "sql"] as const;
      for (const key of stringOnly) {
        if (rule[key] !== undefined && rule.type !== "string") ctx.addIssue({ code: "custom", path: [key], message: `${key} needs type: string` });
      }
      for (const key of ["min", "max"] as const) {
        if (rule[key] !== undefined && rule.type !== "number" && rule.type !== "integer") {
          ctx.addIssue({ code: "custom", path: [key], message: `${key} needs type: number or integer` });
        }
      }
      if (rule.maxItems !== undefined && rule.type !== "array") ctx.addIssue({ code: "custom", path: ["maxItems"], message: "maxItems needs type: array" });
      if (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) ctx.addIssue({ code: "custom", path: ["min"], message: "min is above max" });
      for (const key of ["properties", "additionalProperties"] as const) {
        if (rule[key] !== undefined && rule.type !== "object") ctx.addIssue({ code: "custom", path: [key], message: `${key} needs type: object` });
      }
      if (rule.items !== undefined && rule.type !== "array") ctx.addIssue({ code: "custom", path: ["items"], message: "items needs type: array" });
      if (rule.type === "object" && rule.properties === undefined && rule.additionalProperties !== true) {
        ctx.addIssue({ code: "custom", path: ["properties"], message: "an object argument lists its properties (or says additionalProperties: true to accept any)" });
      }
      if (rule.type === "array" && rule.items === undefined) ctx.addIssue({ code: "custom", path: ["items"], message: "an array argument says what its items are" });
    }),
);

/** Which detector families run on answers, what happens when one fires, and values never redacted. */
export const scrubSchema = z.strictObject({
  families: z.array(z.enum(["credentials", "personal"])).default(["credentials", "personal"]),
  action: z.enum(["redact", "refuse"]).default("redact"),
  allow: z.array(z.string().min(1)).default([]),
});

export const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** A CIDR range (`10.0.0.0/8`, `2001:db8::/32`) or one address; host bits set after the prefix are refused as ambiguous. */
export const addressRange = z.string().refine((text) => parseRange(text) !== undefined, "an IPv4 or IPv6 address or CIDR range, with no host bits set after the prefix");

/**
 * Network and time conditions: the caller's address (CF-Connecting-IP) in one of the ranges, its
 * country (ISO 3166-1 alpha-2, as `request.cf.country`; `T1` is Tor) or ASN (`request.cf.asn`) in
 * the lists, and the UTC day and time in the window. Every condition given must hold.
 */
export const conditionsSchema = z
  .strictObject({
    addresses: z.array(addressRange).min(1).optional(),
    countries: z.array(z.string().regex(/^[A-Z][A-Z0-9]$/, "an upper-case ISO 3166-1 alpha-2 code, as request.cf.country")).min(1).optional(),
    asns: z.array(z.int().min(1).max(4_294_967_295)).min(1).optional(),
    time: z
      .strictObject({
        days: z.array(z.enum(DAYS)).min(1).optional(),
        /** UTC, `HH:MM-HH:MM`, start inclusive, end exclusive (`24:00` ends at midnight); no wrap past midnight. */
        hours: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/, "UTC HH:MM-HH:MM")
          .refine((text) => text.slice(0, 5) < text.slice(6), "the window ends before it starts: write two rules for a window across midnight")
          .optional(),
      })
      .refine((time) => time.days !== undefined || time.hours !== undefined, "time needs days, hours or both")
      .optional(),
  })
  .refine((conditions) => Object.keys(conditions).length > 0, "conditions need addresses, countries, asns or time");

export const ruleSchema = z
  .strictObject({
    id: identifier,
    description: z.string().optional(),
    effect: z.enum(["allow", "deny"]),
    roles: z.array(z.string()).min(1),
    /** The origin whose own tool, prompt and resource names the rule uses. */
    origin: z.string().optional(),
    /** Or a virtual server: the rule names tools, prompts and resources as that server lists them (compiled into rules of its origins). */
    server: z.string().optional(),
    tools: z.array(namePattern).min(1).optional(),
    resources: z.array(namePattern).min(1).optional(),
    prompts: z.array(namePattern).min(1).optional(),
    serverRequests: z.array(z.enum(["sampling/createMessage", "elicitation/create", "roots/list"])).min(1).optional(),
    /** Methods that act on no named target (ping, logging/setLevel, tasks/*, …): exact names or a prefix with `*`. */
    methods: z
      .array(namePattern.refine((pattern) => RULED_METHODS.some((method) => matchesNamePattern(pattern, method)), `names no method a rule governs (${RULED_METHODS.join(", ")})`))
      .min(1)
      .optional(),
    arguments: z.record(z.string(), argumentRule).optional(),
    additionalArguments: z.boolean().optional(),
    /** Overrides the origin's scrub settings for answers to calls this rule allowed. */
    scrub: scrubSchema.optional(),
    /** An allow rule applies only when they hold; a deny rule only when they hold (a missing fact counts as holding: fail closed). */
    conditions: conditionsSchema.optional(),
  })
  .superRefine((rule, ctx) => {
    if ((rule.origin === undefined) === (rule.server === undefined)) ctx.addIssue({ code: "custom", path: ["origin"], message: "a rule names either an origin or a virtual server" });
    if (rule.server !== undefined && (rule.serverRequests || rule.methods)) {
      ctx.addIssue({ code: "custom", path: ["server"], message: "a rule under server: names tools, prompts and resources; rule serverRequests and methods per origin" });
    }
    if (!rule.tools && !rule.resources && !rule.prompts && !rule.serverRequests && !rule.methods) {
      ctx.addIssue({ code: "custom", path: [], message: "a rule needs tools, resources, prompts, serverRequests or methods" });
    }
    if (rule.effect === "deny" && (rule.arguments || rule.additionalArguments !== undefined || rule.scrub)) {
      ctx.addIssue({ code: "custom", path: ["arguments"], message: "deny rules match names only; they take no argument rules" });
    }
  });

const duration = z.string().regex(/^\d+ ?(ms|s|m|h)$/, "a duration such as 500ms, 10s, 1m or 1h");

/** A rate limit: requests (weighted by cost) or response bytes, per principal or per origin, in a window. */
export const limitSchema = z.strictObject({
  id: identifier,
  description: z.string().optional(),
  origin: z.string(),
  /** Callers with any of these roles (inherited roles included); everyone when absent. */
  roles: z.array(z.string()).min(1).optional(),
  /** Only calls of these tools; every request to the origin when absent. */
  tools: z.array(namePattern).min(1).optional(),
  per: z.enum(["principal", "origin"]).default("principal"),
  measure: z.enum(["requests", "bytes"]).default("requests"),
  /** Units one call uses, for expensive tools. */
  cost: z.int().min(1).default(1),
  limit: z.int().min(1),
  window: duration,
  algorithm: z.enum(["fixed-window", "sliding-window"]).default("sliding-window"),
  /** What happens when the limiter itself cannot answer in time: let the call through, or refuse it. */
  fail: z.enum(["open", "closed"]),
  /**
   * exact: every call asks the store. leased: an isolate takes `lease` calls' worth of units in one
   * round trip and spends them without asking, refilling in the background; never admits more than
   * exact, may admit less (README: leased limits). Requests only.
   */
  mode: z.enum(["exact", "leased"]).default("exact"),
  /** Calls per lease (mode: leased). */
  lease: z.int().min(2).max(1000).optional(),
});

const anomalyAction = z.enum(["flag", "cooldown"]);

/**
 * Anomaly detection on one origin's tool calls, per principal × tool and hour: `spike` when this
 * hour's count passes `factor` × the principal's mean of the previous `baseline` hours (at least
 * `minimum`), `ceiling` when it passes `calls`, `firstUse` when the principal calls the tool for the
 * first time (in 90 days). Each finding is flagged in audit; `cooldown` also refuses the principal.
 */
export const anomalySchema = z
  .strictObject({
    id: identifier,
    description: z.string().optional(),
    origin: z.string(),
    tools: z.array(namePattern).min(1).optional(),
    baseline: z.string().regex(/^([1-9]|[1-9]\d|1[0-5]\d|16[0-8])h$/, "whole hours, 1h to 168h").default("24h"),
    spike: z.strictObject({ factor: z.number().min(1).max(1000), minimum: z.int().min(1), action: anomalyAction }).optional(),
    ceiling: z.strictObject({ calls: z.int().min(1), action: anomalyAction }).optional(),
    firstUse: z.strictObject({ action: anomalyAction }).optional(),
    cooldown: duration.optional(),
  })
  .superRefine((watch, ctx) => {
    const actions = [watch.spike?.action, watch.ceiling?.action, watch.firstUse?.action];
    if (actions.every((action) => action === undefined)) ctx.addIssue({ code: "custom", path: [], message: "an anomaly watch needs spike, ceiling or firstUse" });
    if (actions.includes("cooldown") && !watch.cooldown) ctx.addIssue({ code: "custom", path: ["cooldown"], message: "a finding with action: cooldown needs a cooldown duration" });
    if (watch.cooldown && !actions.includes("cooldown")) ctx.addIssue({ code: "custom", path: ["cooldown"], message: "no finding uses the cooldown" });
  });

/**
 * JWT resource-server mode for one origin endpoint: the organization's authorization server issues JWT
 * access tokens (RFC 9068) and this endpoint verifies them against the issuer's key set (src/auth/jwt.ts).
 */
export const originJwtSchema = z.strictObject({
  /** The `iss` every token must carry, and the authorization server the endpoint's RFC 9728 metadata names. */
  issuer: z.url().refine((url) => url.startsWith("https://") || loopbackHttp.test(url), "https, or http on a loopback host"),
  /** The `aud` a token must carry: this endpoint's own identifier (normally its URL, the RFC 8707 resource). */
  audience: z.string().min(1).max(512),
  /** The issuer's JSON Web Key Set. */
  jwksUrl: z.url().refine((url) => url.startsWith("https://") || loopbackHttp.test(url), "https, or http on a loopback host"),
  /** Signature algorithms accepted; asymmetric only (the compiler refuses HS* and none). */
  algorithms: z.array(z.string().min(1).max(16)).min(1).default(["RS256", "ES256"]),
  /** How far `exp`, `nbf` and `iat` may be off the gateway's clock. */
  clockSkew: duration.default("60s"),
  /** Also accept the gateway's own tokens (CLI and OAuth) at this endpoint, beside the issuer's JWTs. */
  gatewayTokens: z.boolean().default(false),
  /** Callers whose verified e-mail claim is outside these domains are refused; empty allows any (as `oauth.emailDomains`). */
  emailDomains: z.array(z.string().regex(/^[a-z0-9.-]+$/)).default([]),
  /** Claim-mapping rules, as `oauth.roleMapping`: every rule whose claim equals (or, for a list claim, contains) the value adds its roles. */
  roleMapping: z
    .array(z.strictObject({ claim: z.string().min(1).max(128), equals: z.union([z.string(), z.boolean()]), roles: z.array(identifier).min(1) }))
    .min(1),
});

export const originSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  timeoutMs: z.int().min(100).max(300_000).default(30_000),
  scrub: scrubSchema.default({ families: ["credentials", "personal"], action: "redact", allow: [] }),
  /** Tool integrity: a pinned tool whose definition changed (or an unpinned tool) is blocked or only
   * warned about; a poisoned tool of an origin without pins is hidden, or kept with invisible characters stripped
   * when those are its only finding. */
  integrity: z
    .strictObject({ drift: z.enum(["block", "warn"]).default("block"), poisoning: z.enum(["hide", "strip"]).default("hide") })
    .default({ drift: "block", poisoning: "hide" }),
  credential: z
    .strictObject({
      secret: secretName,
      header: z.string().regex(/^[A-Za-z0-9-]+$/).default("authorization"),
      prefix: z.string().regex(/^[\x20-\x7e]*$/).default("Bearer "),
    })
    .optional(),
  jwt: originJwtSchema.optional(),
});

export const gatewaySchema = z.strictObject({
  allowedOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, "a scheme://host[:port] origin")).default([]),
  maxBodyBytes: z.int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
  maxDepth: z.int().min(4).max(256).default(64),
  maxAnswerEventBytes: z.int().min(1024).max(64 * 1024 * 1024).default(8 * 1024 * 1024),
  /**
   * How long an isolate may reuse a token record it read from KV. A revoked token stops working within
   * this time plus KV's own propagation (up to 60 s across locations); 0 reads KV on every request.
   */
  tokenCacheSeconds: z.int().min(0).max(300).default(5),
  /** The longest a token may live (from its creation): older tokens are refused, and `token create` caps `--expires` to it. */
  maxTokenLifetime: z.string().regex(/^\d+ ?(m|h|d)$/, "a lifetime such as 12h or 90d").optional(),
  /**
   * 2026-07-28 caching hints on answers: the longest `ttlMs` a client may be told (an origin's longer
   * hint is cut to it). Every answer is marked `cacheScope: "private"`: it was filtered and scrubbed for one caller.
   */
  maxCacheTtlMs: z.int().min(0).max(86_400_000).default(60_000),
  rateLimit: z
    .strictObject({
      /** How long the limiter may take before each limit's `fail` mode applies. */
      timeoutMs: z.int().min(10).max(5000).default(250),
      /** A burst of denied calls flags the principal and, with a cooldown, refuses it for a while. */
      abuse: z.strictObject({ deniedCalls: z.int().min(1), window: duration, cooldown: duration.optional() }).optional(),
      /**
       * Failed authentications per client address (Cloudflare's CF-Connecting-IP) in a window; past it the
       * address gets 429 before its tokens cost a KV read. Valid tokens never count.
       */
      failedAuth: z.strictObject({ limit: z.int().min(1), window: duration }).default({ limit: 120, window: "1m" }),
    })
    .default({ timeoutMs: 250, failedAuth: { limit: 120, window: "1m" } }),
});

/** The gateway as OAuth 2.1 authorization server for its origin endpoints, federated to an OpenID provider. */
export const oauthSchema = z.strictObject({
  /** Lifetime of an access token; short, since a revoked grant's access tokens live in isolate caches until then. */
  accessTokenTtl: duration.default("5m"),
  /** Lifetime of a refresh token (each use rotates it; the grant ends when the last one expires unused). */
  refreshTokenTtl: duration.default("720h"),
  /** Absolute lifetime of a grant from the user's consent: no refresh reaches past it (nor past gateway.maxTokenLifetime). */
  grantTtl: duration.default("720h"),
  /** The organization's OpenID provider every user logs in at. https, or http on a loopback host for local demos. */
  upstream: z.strictObject({
    issuer: z.url().refine((url) => url.startsWith("https://") || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(url), "https, or http on a loopback host"),
    clientId: z.string().min(1).max(256),
    /** The Worker secret holding the client secret the provider issued to the gateway. */
    clientSecret: z.strictObject({ from: secretName }),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/)).default(["openid", "email", "profile"]),
  }),
  /** Users whose verified e-mail is outside these domains are refused; empty allows any domain. */
  emailDomains: z.array(z.string().regex(/^[a-z0-9.-]+$/)).default([]),
  /** Claim-mapping rules: every rule whose claim equals (or, for a list claim, contains) the value adds its roles. */
  roleMapping: z
    .array(z.strictObject({ claim: z.string().min(1).max(128), equals: z.union([z.string(), z.boolean()]), roles: z.array(identifier).min(1) }))
    .min(1),
  /**
   * Dynamic Client Registration (RFC 7591) at /oauth/register, off unless present: registrations per
   * client address in a window. Deprecated by the 2026-07-28 MCP authorization spec in favour of
   * client metadata documents; for clients that cannot host one yet.
   */
  dynamicClientRegistration: z.strictObject({ limit: z.int().min(1).max(1000), window: duration }).optional(),
});

/** One origin of a virtual server: the namespace its tools and prompts are listed under, and tools renamed outright. */
export const serverOriginSchema = z.strictObject({
  origin: identifier,
  /**
   * Tools and prompts are listed as `<namespace>__<name>`, resources as `mcpw:<namespace>:<uri>`; the
   * origin's name by default. `""` (only for a server's one origin) lists everything under its own name.
   */
  namespace: z.union([identifier, z.literal("")]).optional(),
  /** Origin tool name → the name clients see instead of the namespaced one. */
  rename: z.record(z.string().min(1).max(128), z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, "a tool name: letters, digits, '_', '.', '-'; at most 128")).optional(),
});

/** A virtual server: one endpoint `/mcp/<name>` over several origins, each still governed by its own rules. */
export const serverSchema = z.strictObject({
  description: z.string().optional(),
  /** How long a listing or initialize waits for each origin before leaving it out. */
  listTimeoutMs: z.int().min(100).max(60_000).default(5000),
  origins: z.array(serverOriginSchema).min(1).max(16),
});

export const roleSchema = z.strictObject({
  description: z.string().optional(),
  inherits: z.array(z.string()).default([]),
});

/** One file under policies/: every section is optional, the compiler merges them and refuses clashes. */
export const policyFileSchema = z.strictObject({
  $schema: z.string().optional(),
  gateway: gatewaySchema.optional(),
  oauth: oauthSchema.optional(),
  origins: z.record(identifier, originSchema).optional(),
  servers: z.record(identifier, serverSchema).optional(),
  roles: z.record(identifier, roleSchema).optional(),
  rules: z.array(ruleSchema).optional(),
  limits: z.array(limitSchema).optional(),
  anomalies: z.array(anomalySchema).optional(),
});

/** policies/pins/<origin>.yaml, written by `mcp-warden pin`: each tool's reviewed definition and its hash. */
export const pinFileSchema = z.strictObject({
  origin: identifier,
  tools: z.record(
    z.string().min(1),
    z.strictObject({
      sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits"),
      definition: z.record(z.string(), z.unknown()),
    }),
  ),
});

export type PinFile = z.infer<typeof pinFileSchema>;
export type PolicyFile = z.infer<typeof policyFileSchema>;
export type RuleInput = z.infer<typeof ruleSchema>;
export type ArgumentRuleInput = ArgumentRuleShape;
