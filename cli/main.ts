// `mcp-warden`: the operator's command line. Tokens (create, list, revoke, rotate) against the local
// dev KV or, with --remote, the deployed one; OAuth grants (list, revoke); policy (check, explain,
// matrix) against policies/; doctor.

import { parseArgs } from "node:util";
import { PolicyError } from "../src/policy/build/compile.js";
import { parseRange, describeFacts } from "../src/policy/conditions.js";
import { matchesNamePattern, PolicyEngine } from "../src/policy/decide.js";
import type { CompiledPolicy, TargetKind } from "../src/policy/types.js";
import { readGoldenCases, runGoldenCases } from "./golden.js";
import { loadPolicy } from "./policy-files.js";
import { auditCommand } from "./audit.js";
import { scrubCommand } from "./scrub.js";
import { pinCommand } from "./pin.js";
import { doctorCommand } from "./doctor.js";
import { reportCommand } from "./report.js";
import { loadSqlParser } from "../src/policy/sql.js";
import { ServerNames } from "../src/virtual/names.js";
import { createTokens, listTokens, revokeToken, rotateToken } from "./tokens.js";
import { listGrants, revokeGrant } from "./grants.js";
import type { Target } from "./wrangler.js";

const USAGE = `usage:
  mcp-warden token create --principal ID --roles R1,R2 [--name TEXT] [--expires 30d] [--origins O1,O2] [--addresses CIDR1,CIDR2] [--note TEXT] [--remote [--env production]]
  mcp-warden token list [--remote [--env production]]
  mcp-warden token revoke <token | id> [--remote [--env production]]
  mcp-warden token rotate <token | id> [--remote [--env production]]
  mcp-warden grant list [--subject ID] [--client CLIENT_ID] [--remote [--env production]]
  mcp-warden grant revoke (<grant id> | --subject ID | --client CLIENT_ID) [--url GATEWAY] [--remote [--env production]]
                                      --url defaults to the local gateway (npm start); with --remote it is required
  mcp-warden policy check [--dir policies]
  mcp-warden policy explain --role R [--role R2] [--origin O] (--tool T | --resource URI | --prompt P) [--args JSON]
                            [--address IP] [--country CC] [--asn N] [--at ISO-TIME] [--dir policies]
                            (conditions see only the facts given; --at defaults to now)
  mcp-warden policy matrix [--origin O] [--dir policies]
  mcp-warden audit [--limit N]        the latest audit events of the local gateway (npm start), as JSON lines
  mcp-warden scrub [--jsonl]          redact stdin to stdout (--jsonl: lines {"id","text"})
  mcp-warden pin <origin> [--dir policies]           pin the origin's tool definitions in policies/pins/<origin>.yaml
  mcp-warden pin --check <origin> [--dir policies]   report drift and poisoning against the pins; exit 1 on any
  mcp-warden report [--since 7d] [--input events.ndjson|-] [--out report.md] [--chart report.png]
                                      the weekly audit review (Markdown and a PNG chart) of the local gateway's events, or of --input
  mcp-warden doctor [--dir policies] [--wrangler wrangler.toml] [--dev-vars .dev.vars] [--remote [--env production]]
                                      the deployment checklist against this configuration; exit 1 on any fail

--remote works on the KV namespace of the deployed Worker (wrangler must be logged in) and needs
WARDEN_TOKEN_PEPPER set to the value of the deployed TOKEN_PEPPER secret. --persist-to DIR reads another
local store than .wrangler/state (token and grant commands).`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const DURATION = /^(\d+)(s|m|h|d)$/;
function seconds(text: string): number {
  const match = DURATION.exec(text);
  if (!match) fail(`--expires takes a duration such as 90m, 12h or 30d, not ${JSON.stringify(text)}`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "s" | "m" | "h" | "d"];
}

const list = (text: string | undefined) => text?.split(",").map((item) => item.trim()).filter(Boolean);

async function tokenCommand(action: string | undefined, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      principal: { type: "string" },
      roles: { type: "string" },
      name: { type: "string" },
      expires: { type: "string" },
      origins: { type: "string" },
      addresses: { type: "string" },
      note: { type: "string" },
      remote: { type: "boolean", default: false },
      env: { type: "string" },
      "persist-to": { type: "string" },
    },
  });
  const target = targetOf(values);
  switch (action) {
    case "create": {
      const roles = list(values.roles);
      if (!values.principal || !roles?.length) fail("token create needs --principal and --roles");
      const origins = list(values.origins);
      const addresses = list(values.addresses);
      const unreadable = addresses?.filter((range) => parseRange(range) === undefined) ?? [];
      if (unreadable.length) fail(`--addresses takes IPv4 or IPv6 CIDR ranges with no host bits set, not ${unreadable.join(", ")}`);
      // The policy's maximum lifetime caps --expires and is the default without it.
      const maxLifetime = loadPolicy(["policies"]).gateway.maxTokenLifetimeSeconds;
      const requested = values.expires ? seconds(values.expires) : maxLifetime;
      if (maxLifetime !== undefined && requested! > maxLifetime) fail(`--expires is longer than the policy's maxTokenLifetime (${maxLifetime} s)`);
      const [token] = await createTokens(
        [
          {
            principal: values.principal,
            name: values.name ?? values.principal,
            roles,
            ...(requested !== undefined ? { expiresInSeconds: requested } : {}),
            ...(origins ? { origins } : {}),
            ...(addresses ? { addresses } : {}),
            ...(values.note ? { note: values.note } : {}),
          },
        ],
        target,
      );
      console.log(token);
      console.error("This token is shown once and stored only as a keyed hash: keep it now.");
      return;
    }
    case "list": {
      const rows = listTokens(target);
      if (!rows.length) return console.log("no tokens");
      console.log(["id".padEnd(14), "principal".padEnd(24), "roles".padEnd(24), "created".padEnd(22), "expires"].join(""));
      for (const row of rows) {
        const date = (at: number | null | undefined) => (at ? new Date(at * 1000).toISOString().slice(0, 19) + "Z" : "never");
        console.log([row.id.padEnd(14), (row.principal ?? "?").padEnd(24), (row.roles ?? []).join(",").padEnd(24), date(row.createdAt).padEnd(22), date(row.expiresAt)].join(""));
      }
      return;
    }
    case "revoke": {
      if (positionals.length !== 1) fail("token revoke takes one token or id");
      console.log(`revoked ${await revokeToken(positionals[0]!, target)}`);
      console.error("Local: effective on the next request. Deployed: within about 60 s, as KV reads are cached at the edge.");
      return;
    }
    case "rotate": {
      if (positionals.length !== 1) fail("token rotate takes one token or id");
      const { token, revoked } = await rotateToken(positionals[0]!, target);
      console.log(token);
      console.error(`revoked ${revoked}; the new token above is shown once.`);
      return;
    }
    default:
      fail(USAGE);
  }
}

function targetOf(values: { remote?: boolean; env?: string; "persist-to"?: string }): Target {
  if (values.remote) return { remote: true, env: values.env ?? "production" };
  return { remote: false, ...(values["persist-to"] ? { persistTo: values["persist-to"] } : {}) };
}

async function grantCommand(action: string | undefined, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      subject: { type: "string" },
      client: { type: "string" },
      url: { type: "string" },
      remote: { type: "boolean", default: false },
      env: { type: "string" },
      "persist-to": { type: "string" },
    },
  });
  const target = targetOf(values);
  const filter = { ...(values.subject !== undefined ? { subject: values.subject } : {}), ...(values.client !== undefined ? { client: values.client } : {}) };
  const date = (at: number) => new Date(at * 1000).toISOString().slice(0, 19) + "Z";
  switch (action) {
    case "list": {
      const grants = await listGrants(filter, target);
      if (!grants.length) return console.log("no live grants");
      console.log(["grant".padEnd(34), "user".padEnd(28), "origin".padEnd(14), "roles".padEnd(22), "expires".padEnd(22), "client"].join(""));
      for (const grant of grants) console.log([grant.grant.padEnd(34), grant.name.padEnd(28), grant.origin.padEnd(14), grant.roles.join(",").padEnd(22), date(grant.expiresAt).padEnd(22), grant.client].join(""));
      return;
    }
    case "revoke": {
      if ((positionals.length === 1) === (values.subject !== undefined || values.client !== undefined) || positionals.length > 1) fail("grant revoke takes one grant id, or --subject and/or --client");
      if (values.remote && !values.url) fail("grant revoke --remote needs --url, the deployed gateway's address");
      const url = values.url ?? "http://127.0.0.1:8787";
      const ids = positionals.length === 1 ? [positionals[0]!] : (await listGrants(filter, target)).map((grant) => grant.grant);
      if (!ids.length) return console.log("no live grants match");
      for (const id of ids) console.log(`${(await revokeGrant(id, url, target)) ? "revoked" : "not live (already revoked or expired)"} ${id}`);
      console.error("Its refresh token is refused from now on; its access tokens are deleted from KV (deployed: within about 60 s at every edge).");
      return;
    }
    default:
      fail(USAGE);
  }
}

function loadOrFail(dir: string): CompiledPolicy {
  try {
    return loadPolicy([dir]);
  } catch (error) {
    if (error instanceof PolicyError) fail(error.message);
    throw error;
  }
}

function policyCommand(action: string | undefined, args: string[]): void {
  const { values } = parseArgs({
    args,
    options: {
      dir: { type: "string", default: "policies" },
      role: { type: "string", multiple: true },
      origin: { type: "string" },
      tool: { type: "string" },
      resource: { type: "string" },
      prompt: { type: "string" },
      args: { type: "string" },
      address: { type: "string" },
      country: { type: "string" },
      asn: { type: "string" },
      at: { type: "string" },
    },
  });
  const policy = loadOrFail(values.dir);
  const engine = new PolicyEngine(policy);
  const origins = Object.keys(policy.origins);
  switch (action) {
    case "check": {
      const cases = readGoldenCases(`${values.dir}/tests`);
      const failures = runGoldenCases(policy, cases);
      console.log(`policy ${policy.version}: ${origins.length} origins, ${Object.keys(policy.roles).length} roles, ${policy.rules.length} rules`);
      for (const failure of failures) console.log(`FAIL ${failure}`);
      console.log(`${cases.length - failures.length} passed, ${failures.length} failed`);
      if (failures.length) process.exit(1);
      return;
    }
    case "explain": {
      const endpoint = values.origin ?? (origins.length === 1 ? origins[0]! : fail("--origin is needed: the policy has several origins"));
      const targets: [TargetKind, string | undefined][] = [
        ["tool", values.tool],
        ["resource", values.resource],
        ["prompt", values.prompt],
      ];
      const named = targets.filter(([, name]) => name !== undefined);
      if (named.length !== 1 || !values.role?.length) fail("explain needs --role and one of --tool, --resource, --prompt");
      const [kind, asNamed] = named[0] as [TargetKind, string];
      // On a virtual server (--origin <server>), the name as the server lists it, routed to its origin.
      const server = policy.servers[endpoint];
      const routed = server ? (kind === "resource" ? new ServerNames(server).uriIn(asNamed) : new ServerNames(server).nameIn(kind as "tool" | "prompt", asNamed)) : { origin: endpoint, name: asNamed };
      if (!routed) fail(`server ${endpoint} has no ${kind} named ${asNamed}`);
      const { origin, name } = routed;
      if (server) console.log(`server ${endpoint}: ${kind} ${asNamed} is ${origin}'s ${name}`);
      let parsed: Record<string, never> | undefined;
      try {
        parsed = kind === "resource" ? undefined : JSON.parse(values.args ?? "{}");
      } catch {
        fail("--args must be a JSON object");
      }
      const roles = engine.expandRoles(values.role);
      const now = values.at === undefined ? Date.now() : Date.parse(values.at);
      if (Number.isNaN(now)) fail("--at takes an ISO 8601 time such as 2026-12-08T09:30Z");
      if (values.asn !== undefined && !/^\d+$/.test(values.asn)) fail("--asn takes a number");
      const facts = {
        now,
        ...(values.address ? { address: values.address } : {}),
        ...(values.country ? { country: values.country } : {}),
        ...(values.asn ? { asn: Number(values.asn) } : {}),
      };
      const trace: string[] = [];
      const decision = engine.decide(origin, kind, name, roles, parsed, trace, facts);
      console.log(`roles: ${values.role.join(", ")} (with inherited: ${[...roles].join(", ") || "none known"})`);
      console.log(`${kind}: ${name} on ${origin}, policy ${policy.version}`);
      console.log(`caller: ${describeFacts(facts)}`);
      for (const line of trace) console.log(`  ${line}`);
      console.log(decision.effect === "allow" ? `ALLOW by ${decision.rule}` : `DENY by ${decision.rule}: ${decision.reason}`);
      const conditional = policy.rules.filter((rule) => rule.origin === origin && rule.kind === kind && rule.conditions && rule.roles.some((role) => roles.has(role)));
      for (const rule of conditional) console.log(`  conditions of ${rule.id}: ${JSON.stringify(rule.conditions)}`);
      return;
    }
    case "matrix": {
      const origin = values.origin ?? (origins.length === 1 ? origins[0]! : fail("--origin is needed: the policy has several origins"));
      const tools = [...new Set(policy.rules.filter((rule) => rule.origin === origin && rule.kind === "tool").flatMap((rule) => rule.patterns))].sort();
      const roles = Object.keys(policy.roles).sort();
      const width = Math.max(12, ...tools.map((tool) => tool.length + 2));
      console.log(`tools on ${origin} (policy ${policy.version}); "allow" may still depend on arguments, "cond" on network or time conditions`);
      console.log("".padEnd(width) + roles.map((role) => role.padEnd(12)).join(""));
      for (const tool of tools) {
        const cells = roles.map((role) => {
          const expanded = engine.expandRoles([role]);
          if (engine.isVisible(origin, "tool", tool, expanded)) return "allow".padEnd(12);
          const conditional = policy.rules.some((rule) => rule.origin === origin && rule.kind === "tool" && rule.conditions && rule.roles.some((granted) => expanded.has(granted)) && rule.patterns.some((pattern) => matchesNamePattern(pattern, tool)));
          return (conditional ? "cond" : "deny").padEnd(12);
        });
        console.log(tool.padEnd(width) + cells.join(""));
      }
      return;
    }
    default:
      fail(USAGE);
  }
}

const [command, action, ...rest] = process.argv.slice(2);
try {
  await loadSqlParser();
  if (command === "token") await tokenCommand(action, rest);
  else if (command === "grant") await grantCommand(action, rest);
  else if (command === "policy") policyCommand(action, rest);
  else if (command === "audit") await auditCommand([action, ...rest].filter((arg): arg is string => arg !== undefined));
  else if (command === "pin") process.exitCode = await pinCommand([action, ...rest].filter((arg): arg is string => arg !== undefined));
  else if (command === "doctor") process.exitCode = doctorCommand([action, ...rest].filter((arg): arg is string => arg !== undefined));
  else if (command === "report") {
    const { values } = parseArgs({ args: [action, ...rest].filter((arg): arg is string => arg !== undefined), options: { since: { type: "string" }, input: { type: "string" }, out: { type: "string" }, chart: { type: "string" } } });
    await reportCommand(values);
  } else if (command === "scrub") await scrubCommand([action, ...rest].filter((arg): arg is string => arg !== undefined));
  else fail(USAGE);
} catch (error) {
  fail(`mcp-warden: ${(error as Error).message}`);
}
