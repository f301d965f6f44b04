// `mcp-warden doctor`: the deployment checklist checked against the actual configuration — the policy
// and its pins, wrangler.toml, the local .dev.vars and, with --remote, the deployed Worker's secret
// names (`wrangler secret list`). Each item prints pass, warn or fail with its reasons; any fail exits 1.
// The checks are pure functions of what was read (`runDoctor`), so tests feed them broken configurations.

import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseToml } from "smol-toml";
import type { JsonObject } from "../src/mcp/json.js";
import type { PinFile } from "../src/policy/build/schema.js";
import type { CompiledArgumentRule, CompiledPolicy, CompiledRule } from "../src/policy/types.js";
import { scrubText, type Counts } from "../src/scrub/scrub.js";
import { loadPolicy, policySources } from "./policy-files.js";
import { projectNode, PROJECT_ROOT } from "./wrangler.js";
import { execFileSync } from "node:child_process";

export type Status = "pass" | "warn" | "fail";
export type CheckResult = { item: string; status: Status; reasons: string[] };

export type DoctorInput = {
  policy: CompiledPolicy;
  /** Every policy and pin file as written, for the secret scan. */
  files: { file: string; text: string }[];
  pins: PinFile[];
  /** wrangler.toml, parsed, and the environments to check in it ("" is the top level). */
  wrangler: Record<string, unknown>;
  wranglerFile: string;
  environments: string[];
  /** .dev.vars when present. */
  devVars?: Record<string, string>;
  /** The deployed Worker's secret names (--remote). */
  remoteSecrets?: string[];
};

/** The gateway's own secrets (src/config.ts) and the length it requires of them. */
const GATEWAY_SECRETS = ["SESSION_SECRET", "TOKEN_PEPPER"];
const MIN_SECRET_LENGTH = 32;

const isLoopback = (url: string) => ["127.0.0.1", "localhost", "[::1]"].includes(new URL(url).hostname);

function result(item: string, findings: [Status, string][], passReason: string): CheckResult {
  const status: Status = findings.some(([status]) => status === "fail") ? "fail" : findings.length ? "warn" : "pass";
  return { item, status, reasons: findings.length ? findings.map(([status, reason]) => `${status}: ${reason}`) : [passReason] };
}

function routes(input: DoctorInput): CheckResult {
  const findings: [Status, string][] = [];
  for (const [name, origin] of Object.entries(input.policy.origins)) {
    if (origin.credential) {
      if (!origin.url.startsWith("https:") && !isLoopback(origin.url)) findings.push(["fail", `origin ${name}: its credential would cross the network in clear text (${origin.url})`]);
      continue;
    }
    if (isLoopback(origin.url)) findings.push(["warn", `origin ${name} takes no credential from the gateway: only the loopback address keeps callers from bypassing the gateway`]);
    else findings.push(["fail", `origin ${name} takes no credential from the gateway: whoever reaches ${new URL(origin.url).host} bypasses authentication (set credential: { secret: … })`]);
  }
  for (const [name, { jwt }] of Object.entries(input.policy.origins)) {
    if (jwt && (isLoopback(jwt.issuer) || isLoopback(jwt.jwksUrl))) findings.push(["warn", `origin ${name} takes JWTs from ${jwt.issuer}, a loopback issuer: set its jwt.issuer and jwt.jwksUrl to the organization's authorization server before deploying`]);
  }
  const issuer = input.policy.oauth?.upstream.issuer;
  if (issuer && isLoopback(issuer)) findings.push(["warn", `OAuth logs users in at ${issuer}, a loopback identity provider (the demo's): set oauth.upstream.issuer to the organization's provider before deploying`]);
  for (const env of input.environments) {
    const vars = (env ? sectionOf(input.wrangler, env)?.vars : input.wrangler.vars) as Record<string, unknown> | undefined;
    if (vars?.INSECURE_DEV_LOOPBACK_CLIENT_METADATA !== undefined) {
      findings.push(["fail", `${input.wranglerFile}: ${env ? `[env.${env}.vars]` : "[vars]"} sets INSECURE_DEV_LOOPBACK_CLIENT_METADATA, which admits http client metadata documents on loopback (tests and npm start only)`]);
    }
  }
  return result("every route authenticated", findings, `every /mcp/<origin> route needs a bearer token, and every origin needs the gateway's credential`);
}

const toolRules = (policy: CompiledPolicy) => policy.rules.filter((rule) => rule.effect === "allow" && rule.kind === "tool");

function argumentRules(input: DoctorInput): CheckResult {
  const findings: [Status, string][] = [];
  for (const rule of toolRules(input.policy)) {
    if (rule.additionalArguments) findings.push(["warn", `rule ${rule.id} accepts any arguments (additionalArguments: true) for ${rule.patterns.join(", ")}`]);
    const walk = (argument: CompiledArgumentRule, at: string) => {
      if (argument.type === "object" && argument.additionalProperties) findings.push(["warn", `rule ${rule.id}: ${at} accepts any keys`]);
      if (argument.type === "string" && [argument.maxLength, argument.pattern, argument.enum, argument.pathRoots, argument.url, argument.shellSafe, argument.sql].every((check) => check === undefined)) {
        findings.push(["warn", `rule ${rule.id}: ${at} accepts any string (no maxLength, pattern, enum or validator)`]);
      }
      for (const [name, nested] of Object.entries(argument.properties ?? {})) walk(nested, `${at}.${name}`);
      if (argument.items) walk(argument.items, `${at}[]`);
    };
    for (const [name, argument] of Object.entries(rule.arguments)) walk(argument, `argument ${name}`);
  }
  return result("every allowed tool has argument rules", findings, "every allow rule names and bounds the arguments it accepts");
}

type Kind = "command" | "path" | "url" | "sql";
const KIND_BY_NAME: [Kind, RegExp][] = [
  ["sql", /(^|[_-])(sql|query_?sql|statement)($|[_-])|^sql/i],
  ["command", /(^|[_-])(cmd|command|shell|script|exec|argv)($|[_-])/i],
  ["path", /(^|[_-])(path|file|filename|filepath|dir|directory|folder)($|[_-])/i],
  ["url", /(^|[_-])(url|uri|href|link|endpoint|webhook|callback)($|[_-])/i],
];
const KIND_BY_SCHEMA: [Kind, (schema: JsonObject) => boolean][] = [
  ["url", (schema) => schema.format === "uri" || schema.format === "url"],
  ["sql", (schema) => typeof schema.description === "string" && /\bSQL\b/.test(schema.description)],
  ["command", (schema) => typeof schema.description === "string" && /\b(shell|command line|command to run)\b/i.test(schema.description)],
  ["path", (schema) => typeof schema.description === "string" && /\b(file|directory) path\b/i.test(schema.description)],
];
const VALIDATOR: Record<Kind, (rule: CompiledArgumentRule) => boolean> = {
  command: (rule) => rule.shellSafe === true,
  path: (rule) => rule.pathRoots !== undefined,
  url: (rule) => rule.url !== undefined,
  sql: (rule) => rule.sql !== undefined,
};
const VALIDATOR_NAME: Record<Kind, string> = { command: "shellSafe", path: "path", url: "url", sql: "sql" };

function validators(input: DoctorInput): CheckResult {
  const findings: [Status, string][] = [];
  const schemaKinds = new Map<string, Map<string, Kind>>();
  for (const pin of input.pins) {
    for (const [tool, { definition }] of Object.entries(pin.tools)) {
      const properties = ((definition.inputSchema as JsonObject | undefined)?.properties ?? {}) as Record<string, JsonObject>;
      for (const [name, schema] of Object.entries(properties)) {
        const kind = KIND_BY_SCHEMA.find(([, test]) => test(schema))?.[0];
        if (kind) schemaKinds.set(`${pin.origin}\n${tool}`, (schemaKinds.get(`${pin.origin}\n${tool}`) ?? new Map()).set(name, kind));
      }
    }
  }
  const check = (rule: CompiledRule, name: string, argument: CompiledArgumentRule, kind: Kind, why: string) => {
    if (argument.enum || VALIDATOR[kind](argument)) return;
    findings.push(["fail", `rule ${rule.id}: argument ${name} ${why} but has no ${VALIDATOR_NAME[kind]} validator (or enum)`]);
  };
  for (const rule of toolRules(input.policy)) {
    const walk = (argument: CompiledArgumentRule, name: string) => {
      const kind = argument.type === "string" ? KIND_BY_NAME.find(([, pattern]) => pattern.test(name.split(".").at(-1)!))?.[0] : undefined;
      if (kind) check(rule, name, argument, kind, `looks like a ${kind} by its name`);
      if (argument.sql && !argument.sql.readOnly) {
        findings.push(["warn", `rule ${rule.id}: argument ${name} may run any ${argument.sql.dialect} statement (sql.readOnly: false): writes and schema changes, with only the host-reaching statements and the deny list refused`]);
      }
      if (argument.sql?.readOnly && !argument.sql.tables) findings.push(["warn", `rule ${rule.id}: argument ${name} may read every table (sql.readOnly without sql.tables)`]);
      for (const [key, nested] of Object.entries(argument.properties ?? {})) walk(nested, `${name}.${key}`);
      if (argument.items) walk(argument.items, `${name}[]`);
    };
    for (const [name, argument] of Object.entries(rule.arguments)) walk(argument, name);
    for (const [key, kinds] of schemaKinds) {
      const [origin, tool] = key.split("\n") as [string, string];
      if (origin !== rule.origin || !rule.patterns.some((pattern) => pattern === "*" || pattern === tool || (pattern.endsWith("*") && tool.startsWith(pattern.slice(0, -1))))) continue;
      for (const [name, kind] of kinds) {
        const argument = rule.arguments[name];
        if (argument) check(rule, name, argument, kind, `of ${tool} is a ${kind} by its pinned schema`);
        else if (rule.additionalArguments) findings.push(["fail", `rule ${rule.id}: ${tool}'s argument ${name} is a ${kind} by its pinned schema and passes unchecked (additionalArguments: true)`]);
      }
    }
  }
  return result("commands, paths, URLs and SQL have their validator", findings, "no argument that looks like a command, path, URL or SQL goes without its validator");
}

function secretsInConfig(input: DoctorInput): CheckResult {
  const findings: [Status, string][] = [];
  const settings = { families: new Set(["credentials"] as const), knownSecrets: [], allow: new Set<string>() };
  for (const { file, text } of input.files) {
    const counts: Counts = {};
    scrubText(text, settings, counts);
    if (Object.keys(counts).length) findings.push(["fail", `${file}: the scrubber finds ${Object.keys(counts).sort().join(", ")}; keep secrets in Worker secrets`]);
  }
  for (const env of input.environments) {
    const vars = (env ? sectionOf(input.wrangler, env)?.vars : input.wrangler.vars) as Record<string, unknown> | undefined;
    for (const [name, value] of Object.entries(vars ?? {})) {
      const counts: Counts = {};
      scrubText(`${name} = ${JSON.stringify(value)}`, settings, counts);
      if (Object.keys(counts).length || /SECRET|TOKEN|PASSWORD|PEPPER|API_?KEY|PRIVATE/i.test(name)) {
        findings.push(["fail", `${input.wranglerFile}: ${env ? `[env.${env}.vars]` : "[vars]"} ${name} looks like a secret; use \`wrangler secret put ${name}\``]);
      }
    }
  }
  return result("no secrets in wrangler.toml or policy files", findings, `the scrubber finds no credential in ${input.files.length} files (policies, pins, wrangler.toml) nor a secret-named var`);
}

function secretStrength(input: DoctorInput): CheckResult {
  const findings: [Status, string][] = [];
  const credentials = Object.values(input.policy.origins).flatMap((origin) => (origin.credential ? [origin.credential.secret] : []));
  if (input.devVars) {
    for (const name of GATEWAY_SECRETS) {
      const value = input.devVars[name];
      if (value === undefined) findings.push(["warn", `.dev.vars has no ${name} (npm start writes one)`]);
      else if (value.length < MIN_SECRET_LENGTH) findings.push(["fail", `.dev.vars: ${name} has ${value.length} characters; the gateway needs at least ${MIN_SECRET_LENGTH}`]);
    }
    for (const name of credentials) if (input.devVars[name] === undefined) findings.push(["warn", `.dev.vars has no ${name}, the credential of an origin`]);
  } else {
    findings.push(["warn", "no .dev.vars here: local secret lengths not checked (deployed values cannot be read; --remote checks their names)"]);
  }
  if (input.remoteSecrets) {
    for (const name of [...GATEWAY_SECRETS, ...credentials]) {
      if (!input.remoteSecrets.includes(name)) findings.push(["fail", `the deployed Worker has no secret ${name} (wrangler secret put ${name} --env production)`]);
    }
  }
  return result("secrets set and long enough", findings, `gateway secrets of at least ${MIN_SECRET_LENGTH} characters${input.remoteSecrets ? "; every secret deployed" : ""}`);
}

function scrubbing(input: DoctorInput): CheckResult {
  const findings: [Status, string][] = [];
  const check = (where: string, families: string[]) => {
    if (!families.includes("credentials")) findings.push(["fail", `${where} does not scrub credentials from answers`]);
    else if (!families.includes("personal")) findings.push(["warn", `${where} does not scrub personal data from answers`]);
  };
  for (const [name, origin] of Object.entries(input.policy.origins)) check(`origin ${name}`, origin.scrub.families);
  for (const rule of input.policy.rules) if (rule.scrub) check(`rule ${rule.id}`, rule.scrub.families);
  return result("scrubbing on for every origin", findings, "every origin and rule scrubs credentials and personal data");
}

function limits(input: DoctorInput): CheckResult {
  const findings: [Status, string][] = [];
  const { policy } = input;
  for (const origin of Object.keys(policy.origins)) {
    const general = policy.limits.filter((limit) => limit.origin === origin && limit.measure === "requests" && !limit.tools);
    if (!general.some((limit) => limit.per === "origin")) findings.push(["fail", `origin ${origin} has no per-origin request limit`]);
    const roles = new Set(policy.rules.filter((rule) => rule.origin === origin && rule.effect === "allow").flatMap((rule) => rule.roles));
    // A role reaches the origin through its own rules and every role that inherits it.
    const callers = Object.keys(policy.roles).filter((role) => policy.roles[role]!.some((inherited) => roles.has(inherited)));
    for (const role of callers) {
      const covered = general.some((limit) => limit.per === "principal" && (!limit.roles || limit.roles.some((limited) => policy.roles[role]!.includes(limited))));
      if (!covered) findings.push(["fail", `role ${role} may call origin ${origin} with no per-principal request limit`]);
    }
  }
  return result("every principal and origin under a limit", findings, "every origin has a per-origin limit and every role that reaches it a per-principal one");
}

function sectionOf(wrangler: Record<string, unknown>, env: string): Record<string, unknown> | undefined {
  return ((wrangler.env as Record<string, unknown> | undefined)?.[env] as Record<string, unknown> | undefined) ?? undefined;
}

function auditBindings(input: DoctorInput): CheckResult {
  const findings: [Status, string][] = [];
  for (const env of input.environments) {
    const section = env ? sectionOf(input.wrangler, env) : input.wrangler;
    const where = env ? `[env.${env}]` : "the top level";
    if (!section) {
      findings.push(["fail", `${input.wranglerFile} has no ${where}`]);
      continue;
    }
    const queues = (section.queues ?? {}) as { producers?: { binding?: string; queue?: string }[]; consumers?: { queue?: string }[] };
    const producer = queues.producers?.find((entry) => entry.binding === "AUDIT_QUEUE");
    if (!producer) findings.push(["fail", `${where}: no queue producer bound as AUDIT_QUEUE`]);
    else if (!queues.consumers?.some((entry) => entry.queue === producer.queue)) findings.push(["fail", `${where}: nothing consumes the audit queue ${producer.queue}`]);
    const buckets = (section.r2_buckets ?? []) as { binding?: string }[];
    if (!buckets.some((entry) => entry.binding === "AUDIT_BUCKET")) findings.push(["fail", `${where}: no R2 bucket bound as AUDIT_BUCKET`]);
  }
  return result("audit queue and bucket bound", findings, `AUDIT_QUEUE (produced and consumed) and AUDIT_BUCKET bound in ${input.environments.map((env) => (env ? `env.${env}` : "the top level")).join(" and ")}`);
}

function integrity(input: DoctorInput): CheckResult {
  const findings: [Status, string][] = [];
  for (const [name, origin] of Object.entries(input.policy.origins)) {
    if (input.policy.pins[name]) {
      if (origin.integrity.drift === "warn") findings.push(["warn", `origin ${name} is pinned but drift only warns`]);
    } else if (origin.integrity.poisoning === "hide") {
      findings.push(["warn", `origin ${name} is not pinned: its tools are scanned for poisoning only (mcp-warden pin ${name})`]);
    } else {
      findings.push(["fail", `origin ${name} is neither pinned nor hides poisoned tools (poisoning: strip keeps them)`]);
    }
  }
  return result("every origin pinned or scanned", findings, "every origin's tools are pinned, drift blocked");
}

function tokenLifetime(input: DoctorInput): CheckResult {
  const max = input.policy.gateway.maxTokenLifetimeSeconds;
  if (max === undefined) return result("a maximum token lifetime", [["fail", "gateway.maxTokenLifetime is not set: tokens may live forever"]], "");
  const days = max / 86_400;
  return result("a maximum token lifetime", days > 365 ? [["warn", `gateway.maxTokenLifetime is ${days.toFixed(0)} days`]] : [], `tokens live at most ${days >= 1 ? `${Number(days.toFixed(1))} days` : `${max / 3600} hours`}`);
}

export function runDoctor(input: DoctorInput): CheckResult[] {
  return [routes, argumentRules, validators, secretsInConfig, secretStrength, scrubbing, limits, auditBindings, integrity, tokenLifetime].map((check) => check(input));
}

function readDotVars(file: string): Record<string, string> | undefined {
  if (!existsSync(file)) return undefined;
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) vars[match[1]!] = match[2]!.replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

function deployedSecretNames(env: string, wranglerFile: string): string[] {
  const output = execFileSync(projectNode(), [join(PROJECT_ROOT, "node_modules/wrangler/bin/wrangler.js"), "secret", "list", "--format", "json", "--env", env, "--config", wranglerFile], {
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return (JSON.parse(output) as { name: string }[]).map((secret) => secret.name);
}

export function doctorCommand(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: {
      dir: { type: "string", default: "policies" },
      wrangler: { type: "string", default: "wrangler.toml" },
      "dev-vars": { type: "string", default: ".dev.vars" },
      env: { type: "string", default: "production" },
      remote: { type: "boolean", default: false },
    },
  });
  const policy = loadPolicy([values.dir]);
  const sources = [...policySources([values.dir]), ...policySources([values.dir], "pins")];
  const files = sources.map(({ file }) => ({ file, text: readFileSync(file, "utf8") }));
  const wranglerText = readFileSync(values.wrangler, "utf8");
  files.push({ file: relative(process.cwd(), values.wrangler), text: wranglerText });
  const input: DoctorInput = {
    policy,
    files,
    pins: policySources([values.dir], "pins").map(({ content }) => content as PinFile),
    wrangler: parseToml(wranglerText) as Record<string, unknown>,
    wranglerFile: relative(process.cwd(), values.wrangler),
    environments: ["", values.env],
    ...(readDotVars(values["dev-vars"]) ? { devVars: readDotVars(values["dev-vars"])! } : {}),
    ...(values.remote ? { remoteSecrets: deployedSecretNames(values.env, values.wrangler) } : {}),
  };
  const results = runDoctor(input);
  for (const { item, status, reasons } of results) {
    console.log(`${status.toUpperCase().padEnd(4)}  ${item}`);
    for (const reason of reasons) console.log(`      ${reason}`);
  }
  const count = (status: Status) => results.filter((entry) => entry.status === status).length;
  console.log(`doctor: ${count("pass")} pass, ${count("warn")} warn, ${count("fail")} fail`);
  return count("fail") ? 1 : 0;
}
