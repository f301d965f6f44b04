// Build time: policy files (already read and YAML-parsed) → one CompiledPolicy. Validates every file
// with zod, merges them, resolves role inheritance, checks every reference and every regular
// expression, and stamps the result with a content hash. Problems are reported all at once, each as
// `file: path.inside.it: what is wrong`. Runs in Node (the build, the CLI, tests), never in the Worker.

import { createHash } from "node:crypto";
import { canonicalJson, type Json, type JsonObject } from "../../mcp/json.js";
import { scanDefinition } from "../../integrity/poison.js";
import { DAYS, gatewaySchema, pinFileSchema, policyFileSchema, type ArgumentRuleInput, type PolicyFile, type RuleInput } from "./schema.js";
import { regexHazard } from "./regex-safety.js";
import type { CompiledAnomalyWatch, CompiledArgumentRule, CompiledConditions, CompiledLimit, CompiledPolicy, CompiledRule, CompiledServer, GatewaySettings, OAuthSettings, OriginJwtSettings, TargetKind } from "../types.js";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** Calls per lease of a `mode: leased` limit that names no `lease`. */
const DEFAULT_LEASE_CALLS = 10;
export function durationMs(text: string): number {
  const [, amount, unit] = /^(\d+) ?(ms|s|m|h)$/.exec(text)!;
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

function lifetimeSeconds(text: string): number {
  const [, amount, unit] = /^(\d+) ?(m|h|d)$/.exec(text)!;
  return Number(amount) * { m: 60, h: 3600, d: 86_400 }[unit as "m" | "h" | "d"];
}

export type PolicySource = { file: string; content: unknown };

export class PolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid policy:\n  ${problems.join("\n  ")}`);
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(top)" : path.map((key) => String(key)).join(".");
}

function compileGateway(input: NonNullable<PolicyFile["gateway"]>): GatewaySettings {
  const { rateLimit, maxTokenLifetime, ...rest } = input;
  const abuse = rateLimit.abuse;
  return {
    ...rest,
    ...(maxTokenLifetime ? { maxTokenLifetimeSeconds: lifetimeSeconds(maxTokenLifetime) } : {}),
    rateLimit: {
      timeoutMs: rateLimit.timeoutMs,
      failedAuth: { limit: rateLimit.failedAuth.limit, windowMs: durationMs(rateLimit.failedAuth.window) },
      ...(abuse ? { abuse: { deniedCalls: abuse.deniedCalls, windowMs: durationMs(abuse.window), ...(abuse.cooldown ? { cooldownMs: durationMs(abuse.cooldown) } : {}) } } : {}),
    },
  };
}

/** JWS algorithms a JWT-mode endpoint may accept: asymmetric ones (HS* would make the issuer's public key a shared secret; none is no signature). */
const ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

function compileOriginJwt(jwt: NonNullable<PolicyFile["origins"]>[string]["jwt"] & {}, at: string, parsed: { policy: PolicyFile }[], problems: string[]): OriginJwtSettings {
  const { clockSkew, ...rest } = jwt;
  for (const [index, algorithm] of jwt.algorithms.entries()) {
    if (!ASYMMETRIC_ALGORITHMS.includes(algorithm)) problems.push(`${at}.algorithms.${index}: "${algorithm}" is refused: only asymmetric algorithms (${ASYMMETRIC_ALGORITHMS.join(", ")}); never HS* or none`);
  }
  const clockSkewSeconds = durationMs(clockSkew) / 1000;
  if (clockSkewSeconds > 300) problems.push(`${at}.clockSkew: at most 5m`);
  for (const [index, rule] of jwt.roleMapping.entries()) {
    for (const role of rule.roles) if (!parsed.some(({ policy: other }) => other.roles?.[role])) problems.push(`${at}.roleMapping.${index}.roles: unknown role "${role}"`);
  }
  return { ...rest, algorithms: [...new Set(jwt.algorithms)], clockSkewSeconds: Math.floor(clockSkewSeconds) };
}

/**
 * A JWT names its endpoint by issuer and audience: two endpoints sharing both would take each other's
 * tokens. A virtual server authenticates with the gateway's own tokens and passes them on, so it cannot
 * include an origin that takes JWTs only.
 */
function checkJwtOrigins(parsed: { file: string; policy: PolicyFile }[], origins: CompiledPolicy["origins"], problems: string[]): void {
  const seen = new Map<string, string>();
  for (const [name, origin] of Object.entries(origins)) {
    if (!origin.jwt) continue;
    const key = `${origin.jwt.issuer}\n${origin.jwt.audience}`;
    const other = seen.get(key);
    if (other) problems.push(`origins.${name}.jwt: issuer and audience are the same as origin "${other}"'s; give each endpoint its own audience`);
    seen.set(key, name);
  }
  for (const { file, policy } of parsed) {
    for (const [server, { origins: members }] of Object.entries(policy.servers ?? {})) {
      members.forEach(({ origin }, index) => {
        const jwt = origins[origin]?.jwt;
        if (jwt && !jwt.gatewayTokens) problems.push(`${file}: servers.${server}.origins.${index}: origin "${origin}" takes JWTs only (jwt.gatewayTokens: false); a virtual server passes on the gateway's own tokens`);
      });
    }
  }
}

export function compilePolicy(sources: PolicySource[], pinSources: PolicySource[] = []): CompiledPolicy {
  const problems: string[] = [];
  const parsed: { file: string; policy: PolicyFile }[] = [];
  for (const { file, content } of sources) {
    const result = policyFileSchema.safeParse(content ?? {});
    if (result.success) parsed.push({ file, policy: result.data });
    else for (const issue of result.error.issues) problems.push(`${file}: ${formatPath(issue.path)}: ${issue.message}`);
  }
  if (problems.length) throw new PolicyError(problems);

  let gateway: GatewaySettings | undefined;
  let oauth: OAuthSettings | undefined;
  const origins: CompiledPolicy["origins"] = {};
  const roleInputs = new Map<string, { inherits: string[]; file: string }>();
  const rules: CompiledRule[] = [];
  const ruleIds = new Set<string>();

  for (const { file, policy } of parsed) {
    if (policy.gateway) {
      if (gateway) problems.push(`${file}: gateway: defined in more than one file`);
      gateway = compileGateway(policy.gateway);
    }
    if (policy.oauth) {
      if (oauth) problems.push(`${file}: oauth: defined in more than one file`);
      const { accessTokenTtl, refreshTokenTtl, grantTtl, dynamicClientRegistration, ...rest } = policy.oauth;
      oauth = { ...rest, accessTokenSeconds: durationMs(accessTokenTtl) / 1000, refreshTokenSeconds: durationMs(refreshTokenTtl) / 1000, grantSeconds: durationMs(grantTtl) / 1000 };
      if (dynamicClientRegistration) oauth.dynamicClientRegistration = { limit: dynamicClientRegistration.limit, windowMs: durationMs(dynamicClientRegistration.window) };
      if (oauth.grantSeconds < oauth.accessTokenSeconds) problems.push(`${file}: oauth: grantTtl must be at least as long as accessTokenTtl`);
      // KV expires nothing sooner than a minute, and a token must outlive the round trip that issued it.
      if (oauth.accessTokenSeconds < 60 || oauth.refreshTokenSeconds < oauth.accessTokenSeconds) problems.push(`${file}: oauth: accessTokenTtl must be at least 1m and refreshTokenTtl at least as long`);
      for (const [index, rule] of policy.oauth.roleMapping.entries()) {
        for (const role of rule.roles) if (!Object.values(parsed).some(({ policy: other }) => other.roles?.[role])) problems.push(`${file}: oauth.roleMapping.${index}.roles: unknown role "${role}"`);
      }
    }
    for (const [name, origin] of Object.entries(policy.origins ?? {})) {
      if (origins[name]) problems.push(`${file}: origins.${name}: defined more than once`);
      const { credential, jwt, ...rest } = origin;
      origins[name] = credential ? { ...rest, credential: { ...credential, header: credential.header.toLowerCase() } } : rest;
      if (jwt) origins[name].jwt = compileOriginJwt(jwt, `${file}: origins.${name}.jwt`, parsed, problems);
    }
    for (const [name, role] of Object.entries(policy.roles ?? {})) {
      if (roleInputs.has(name)) problems.push(`${file}: roles.${name}: defined more than once`);
      roleInputs.set(name, { inherits: role.inherits, file });
    }
  }

  const roles: Record<string, string[]> = {};
  for (const [name, { inherits, file }] of roleInputs) {
    for (const parent of inherits) {
      if (!roleInputs.has(parent)) problems.push(`${file}: roles.${name}.inherits: unknown role "${parent}"`);
    }
    const seen = new Set<string>([name]);
    const queue = [...inherits];
    while (queue.length) {
      const next = queue.shift()!;
      if (next === name) {
        problems.push(`${file}: roles.${name}.inherits: inheritance cycle`);
        break;
      }
      if (seen.has(next) || !roleInputs.has(next)) continue;
      seen.add(next);
      queue.push(...roleInputs.get(next)!.inherits);
    }
    roles[name] = [...seen].sort();
  }

  const pins = compilePins(pinSources, origins, problems);
  const servers = compileServers(parsed, origins, pins, problems);
  for (const { file, policy } of parsed) {
    (policy.rules ?? []).forEach((rule, index) => {
      const at = `${file}: rules.${index}`;
      if (ruleIds.has(rule.id)) problems.push(`${at}.id: duplicate rule id "${rule.id}"`);
      ruleIds.add(rule.id);
      if (rule.origin !== undefined && !origins[rule.origin]) problems.push(`${at}.origin: unknown origin "${rule.origin}"`);
      for (const role of rule.roles) if (!roleInputs.has(role)) problems.push(`${at}.roles: unknown role "${role}"`);
      const compiledArguments: Record<string, CompiledArgumentRule> = {};
      for (const [name, argument] of Object.entries(rule.arguments ?? {})) {
        for (const [pattern, where] of argumentPatterns(argument, `${at}.arguments.${name}`)) {
          const hazard = regexHazard(pattern);
          if (hazard) problems.push(`${where}.pattern: ${hazard}`);
        }
        compiledArguments[name] = compileArgument(argument);
      }
      const targets: OriginTargets[] =
        rule.server === undefined
          ? [{ origin: rule.origin!, tool: rule.tools, resource: rule.resources, prompt: rule.prompts, serverRequest: rule.serverRequests, method: rule.methods }]
          : originTargetsOfServer(rule, rule.server, servers[rule.server], pins, `${at}`, problems);
      for (const target of targets) for (const kind of TARGET_KINDS) {
        const patterns = target[kind];
        if (!patterns) continue;
        rules.push({
          id: rule.id,
          effect: rule.effect,
          roles: [...rule.roles].sort(),
          origin: target.origin,
          kind,
          patterns,
          arguments: compiledArguments,
          additionalArguments: rule.additionalArguments ?? false,
          ...(rule.scrub ? { scrub: rule.scrub } : {}),
          ...(rule.conditions ? { conditions: compileConditions(rule.conditions) } : {}),
          source: `${file}#rules.${index}`,
        });
      }
    });
  }
  const limits: CompiledLimit[] = [];
  for (const { file, policy } of parsed) {
    (policy.limits ?? []).forEach((limit, index) => {
      const at = `${file}: limits.${index}`;
      if (limits.some((other) => other.id === limit.id)) problems.push(`${at}.id: duplicate limit id "${limit.id}"`);
      if (!origins[limit.origin]) problems.push(`${at}.origin: unknown origin "${limit.origin}"`);
      for (const role of limit.roles ?? []) if (!roleInputs.has(role)) problems.push(`${at}.roles: unknown role "${role}"`);
      if (limit.measure === "bytes" && limit.cost !== 1) problems.push(`${at}.cost: a bytes limit counts bytes; it takes no cost`);
      const { window, description: _, mode, lease, ...rest } = limit;
      if (mode === "leased" && limit.measure === "bytes") problems.push(`${at}.mode: bytes are counted after the answer; a bytes limit cannot be leased`);
      if (mode === "exact" && lease !== undefined) problems.push(`${at}.lease: only a limit with mode: leased takes a lease`);
      const calls = lease ?? DEFAULT_LEASE_CALLS;
      if (mode === "leased" && calls * limit.cost > limit.limit) problems.push(`${at}.lease: a lease of ${calls} calls is more than the limit allows in a window`);
      limits.push({ ...rest, windowMs: durationMs(window), ...(mode === "leased" ? { lease: calls } : {}) });
    });
  }
  const anomalies: CompiledAnomalyWatch[] = [];
  for (const { file, policy } of parsed) {
    (policy.anomalies ?? []).forEach((watch, index) => {
      const at = `${file}: anomalies.${index}`;
      if (anomalies.some((other) => other.id === watch.id)) problems.push(`${at}.id: duplicate anomaly watch id "${watch.id}"`);
      if (!origins[watch.origin]) problems.push(`${at}.origin: unknown origin "${watch.origin}"`);
      // One watch per tool call: two watches on one origin must name tools apart.
      if (anomalies.some((other) => other.origin === watch.origin && (!other.tools || !watch.tools))) problems.push(`${at}: another watch already covers every tool of origin "${watch.origin}"`);
      const { baseline, cooldown, description: _, ...rest } = watch;
      anomalies.push({ ...rest, baselineHours: Number(baseline.slice(0, -1)), ...(cooldown ? { cooldownMs: durationMs(cooldown) } : {}) });
    });
  }
  checkJwtOrigins(parsed, origins, problems);
  if (problems.length) throw new PolicyError(problems);

  const body = {
    // No file sets the gateway section: the schema's defaults.
    gateway: gateway ?? compileGateway(gatewaySchema.parse({})),
    // A grant ends by gateway.maxTokenLifetime at the latest, like every other token.
    ...(oauth ? { oauth: { ...oauth, grantSeconds: Math.min(oauth.grantSeconds, gateway?.maxTokenLifetimeSeconds ?? oauth.grantSeconds) } } : {}),
    origins,
    servers,
    roles,
    rules,
    limits,
    anomalies,
    pins,
  };
  const version = createHash("sha256").update(JSON.stringify(body)).digest("hex").slice(0, 16);
  return { version, ...body };
}

function compileConditions(conditions: NonNullable<RuleInput["conditions"]>): CompiledConditions {
  const { time, ...rest } = conditions;
  if (!time) return rest;
  const minutes = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
  const hours = time.hours ?? "00:00-24:00";
  return {
    ...rest,
    time: {
      days: (time.days ?? [...DAYS]).map((day) => DAYS.indexOf(day)).sort(),
      fromMinute: minutes(hours.slice(0, 5)),
      toMinute: minutes(hours.slice(6)),
    },
  };
}

function compileArgument(argument: ArgumentRuleInput): CompiledArgumentRule {
  const { required, path, url, sql, properties, items, ...rest } = argument;
  const compiled: CompiledArgumentRule = { ...rest, required: required ?? false };
  if (path) compiled.pathRoots = path.roots.map((root) => (root.length > 1 ? root.replace(/\/+$/, "") : root));
  if (url) compiled.url = { schemes: url.schemes ?? ["https"], hosts: url.hosts };
  if (sql) compiled.sql = { dialect: sql.dialect, readOnly: sql.readOnly ?? true, maxStatements: sql.maxStatements ?? 1, ...(sql.tables ? { tables: sql.tables } : {}) };
  if (properties) compiled.properties = Object.fromEntries(Object.entries(properties).map(([name, rule]) => [name, compileArgument(rule)]));
  if (items) compiled.items = compileArgument(items);
  return compiled;
}

/** Every pattern of an argument rule, nested ones included, with where it is written. */
function argumentPatterns(rule: ArgumentRuleInput, at: string): [string, string][] {
  return [
    ...(rule.pattern === undefined ? [] : ([[rule.pattern, at]] as [string, string][])),
    ...Object.entries(rule.properties ?? {}).flatMap(([name, nested]) => argumentPatterns(nested, `${at}.properties.${name}`)),
    ...(rule.items ? argumentPatterns(rule.items, `${at}.items`) : []),
  ];
}

/**
 * Pin files: each must name a known origin once, and each tool's stored definition must hash to its
 * pin and be free of poisoning findings, so a hand-edited pin cannot smuggle in a different definition.
 */
function compilePins(pinSources: PolicySource[], origins: CompiledPolicy["origins"], problems: string[]): CompiledPolicy["pins"] {
  const pins: CompiledPolicy["pins"] = {};
  for (const { file, content } of pinSources) {
    const result = pinFileSchema.safeParse(content ?? {});
    if (!result.success) {
      for (const issue of result.error.issues) problems.push(`${file}: ${formatPath(issue.path)}: ${issue.message}`);
      continue;
    }
    const { origin, tools } = result.data;
    if (!origins[origin]) problems.push(`${file}: origin: unknown origin "${origin}"`);
    if (pins[origin]) problems.push(`${file}: origin: "${origin}" is pinned in more than one file`);
    const hashes: Record<string, string> = {};
    for (const [name, { sha256, definition }] of Object.entries(tools)) {
      const at = `${file}: tools.${name}`;
      if (definition.name !== name) problems.push(`${at}.definition.name: is not "${name}"`);
      const hash = createHash("sha256").update(canonicalJson(definition as Json)).digest("hex");
      if (hash !== sha256) problems.push(`${at}.sha256: does not match the definition (its hash is ${hash}); re-run mcp-warden pin`);
      for (const finding of scanDefinition(definition as JsonObject)) problems.push(`${at}.definition.${finding.at}: ${finding.kind}: ${finding.excerpt}`);
      hashes[name] = sha256;
    }
    pins[origin] = hashes;
  }
  return pins;
}

/** What separates a namespace from a tool or prompt name. */
const NAMESPACE_SEPARATOR = "__";

/** One origin's share of a rule: its patterns by target kind, in the origin's own names. */
type OriginTargets = { origin: string } & Partial<Record<TargetKind, string[]>>;
const TARGET_KINDS: TargetKind[] = ["tool", "resource", "prompt", "serverRequest", "method"];

/**
 * A rule under `server:` as rules of the origins its names reach. Each tool and prompt name or pattern
 * must begin with one origin's namespace prefix (`ns__`; a server's one origin without a namespace keeps
 * its own names) or be a tool's new name (`rename`); each resource, `mcpw:<ns>:` (as names.ts lists them).
 * Refused: a name that reaches no origin, a pattern that could reach several (`*`, `ev*`), a renamed
 * tool by its old namespaced name (it is listed, and reached, by its new name only) and, for a pinned
 * origin, an exact tool name its pins do not know. A namespaced pattern (`tb__*`) also covers the
 * origin's renamed tools: they are that origin's tools.
 */
function originTargetsOfServer(
  rule: { tools?: string[]; prompts?: string[]; resources?: string[] },
  name: string,
  server: CompiledServer | undefined,
  pins: CompiledPolicy["pins"],
  at: string,
  problems: string[],
): OriginTargets[] {
  if (!server) {
    problems.push(`${at}.server: unknown server "${name}"`);
    return [];
  }
  const byOrigin = new Map<string, OriginTargets>();
  const add = (origin: string, kind: TargetKind, pattern: string) => {
    const targets = byOrigin.get(origin) ?? byOrigin.set(origin, { origin }).get(origin)!;
    (targets[kind] ??= []).push(pattern);
  };
  const prefixes = server.origins.map((entry) => (entry.prefix === "" ? "(its own names)" : `"${entry.prefix}"`)).join(", ");
  const bare = server.origins.length === 1 && server.origins[0]!.prefix === "" ? server.origins[0]! : undefined;
  for (const [kind, field, patterns] of [["tool", "tools", rule.tools], ["prompt", "prompts", rule.prompts]] as const) {
    for (const pattern of patterns ?? []) {
      const where = `${at}.${field}: "${pattern}"`;
      const renamed = kind === "tool" ? server.origins.find((entry) => Object.values(entry.rename).includes(pattern)) : undefined;
      if (renamed) {
        add(renamed.origin, kind, Object.keys(renamed.rename).find((tool) => renamed.rename[tool] === pattern)!);
        continue;
      }
      const entry = bare ?? server.origins.find((candidate) => pattern.startsWith(candidate.prefix) && pattern.length > candidate.prefix.length);
      if (!entry) {
        problems.push(pattern.includes("*") ? `${where} could name ${kind}s of several origins of server "${name}": begin it with one namespace prefix (${prefixes})` : `${where} names no ${kind} of server "${name}": begin it with a namespace prefix (${prefixes}) or use a tool's new name`);
        continue;
      }
      const own = pattern.slice(entry.prefix.length);
      if (kind === "tool" && Object.hasOwn(entry.rename, own)) {
        problems.push(`${where}: server "${name}" lists ${entry.origin}'s "${own}" as "${entry.rename[own]}" only; name it so`);
        continue;
      }
      const known = pins[entry.origin];
      if (kind === "tool" && known && !own.includes("*") && !Object.hasOwn(known, own)) {
        problems.push(`${where}: the pins of "${entry.origin}" know no tool "${own}"`);
        continue;
      }
      add(entry.origin, kind, own);
    }
  }
  for (const pattern of rule.resources ?? []) {
    const entry = bare ?? server.origins.find((candidate) => pattern.startsWith(`mcpw:${candidate.namespace}:`) && pattern.length > `mcpw:${candidate.namespace}:`.length);
    if (!entry) {
      problems.push(`${at}.resources: "${pattern}" names no resource of server "${name}": begin it with "mcpw:<namespace>:" (${server.origins.map((candidate) => candidate.namespace).join(", ")})`);
      continue;
    }
    add(entry.origin, "resource", bare ? pattern : pattern.slice(`mcpw:${entry.namespace}:`.length));
  }
  return [...byOrigin.values()];
}

/**
 * Virtual servers. Every name a client sees must lead back to one origin's tool, so the compiler
 * refuses what would make two tools one name: a server named like an origin, an origin listed twice,
 * two namespaces of which one's prefix (`ns__`) begins the other's, two renames to one name, a rename
 * whose new name begins with a namespace prefix (it could be some origin's namespaced tool), and, for
 * a pinned origin, a rename of a tool the pins do not know. Names the compiler cannot know (an
 * unpinned origin's tools) cannot collide by construction: see README, "Virtual servers".
 */
function compileServers(parsed: { file: string; policy: PolicyFile }[], origins: CompiledPolicy["origins"], pins: CompiledPolicy["pins"], problems: string[]): Record<string, CompiledServer> {
  const servers: Record<string, CompiledServer> = {};
  for (const { file, policy } of parsed) {
    for (const [name, server] of Object.entries(policy.servers ?? {})) {
      const at = `${file}: servers.${name}`;
      if (servers[name]) problems.push(`${at}: defined more than once`);
      if (origins[name]) problems.push(`${at}: an origin has this name; endpoints /mcp/<name> must be unique`);
      const compiled: CompiledServer = { listTimeoutMs: server.listTimeoutMs, origins: [] };
      const renamedTo = new Map<string, string>();
      server.origins.forEach((entry, index) => {
        const where = `${at}.origins.${index}`;
        if (!origins[entry.origin]) problems.push(`${where}.origin: unknown origin "${entry.origin}"`);
        if (compiled.origins.some((other) => other.origin === entry.origin)) problems.push(`${where}.origin: "${entry.origin}" is listed twice`);
        const namespace = entry.namespace ?? entry.origin;
        if (namespace === "" && server.origins.length > 1) problems.push(`${where}.namespace: only a server's one origin may go without a namespace`);
        const prefix = namespace === "" ? "" : namespace + NAMESPACE_SEPARATOR;
        for (const other of compiled.origins) {
          if (other.prefix.startsWith(prefix) || prefix.startsWith(other.prefix)) problems.push(`${where}.namespace: "${namespace}" and "${other.namespace}" could name one tool twice (one's "${NAMESPACE_SEPARATOR}" prefix begins the other's)`);
        }
        const rename = entry.rename ?? {};
        // Without a namespace a new name could be one of the origin's own tools (today's or a later one's).
        if (namespace === "" && Object.keys(rename).length) problems.push(`${where}.rename: an origin without a namespace keeps its own names; give it a namespace to rename its tools`);
        for (const [tool, newName] of Object.entries(rename)) {
          const known = pins[entry.origin];
          if (known && !Object.hasOwn(known, tool)) problems.push(`${where}.rename.${tool}: the pins of "${entry.origin}" know no such tool`);
          const owner = renamedTo.get(newName);
          if (owner !== undefined) problems.push(`${where}.rename.${tool}: "${newName}" is already the name of ${owner}`);
          renamedTo.set(newName, `${entry.origin}'s "${tool}"`);
        }
        compiled.origins.push({ origin: entry.origin, namespace, prefix, rename });
      });
      for (const [newName, owner] of renamedTo) {
        const clash = compiled.origins.find((entry) => entry.prefix !== "" && newName.startsWith(entry.prefix));
        if (clash) problems.push(`${at}: the new name "${newName}" of ${owner} begins with the namespace prefix "${clash.prefix}" and could collide with a tool of "${clash.origin}"`);
      }
      servers[name] = compiled;
    }
  }
  return servers;
}
