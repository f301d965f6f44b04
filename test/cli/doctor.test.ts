// `mcp-warden doctor`: the demo configuration passes (exit 0, as CI runs it), and each item that can
// fail fails on a configuration broken for it — through the command for exit codes, through
// runDoctor for each item's reason.

import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { parse as parseToml } from "smol-toml";
import { runDoctor, type DoctorInput } from "../../cli/doctor.js";
import { loadPolicy, policySources } from "../../cli/policy-files.js";
import type { PinFile } from "../../src/policy/build/schema.js";

const doctor = (...args: string[]) => spawnSync(process.execPath, ["bin/mcp-warden.mjs", "doctor", ...args], { encoding: "utf8" });

function demoInput(): DoctorInput {
  const wranglerText = readFileSync("wrangler.toml", "utf8");
  return {
    policy: loadPolicy(["policies"]),
    files: [...policySources(["policies"]), ...policySources(["policies"], "pins")].map(({ file }) => ({ file, text: readFileSync(file, "utf8") })),
    pins: policySources(["policies"], "pins").map(({ content }) => content as PinFile),
    wrangler: parseToml(wranglerText) as Record<string, unknown>,
    wranglerFile: "wrangler.toml",
    environments: ["", "production"],
    devVars: { SESSION_SECRET: "s".repeat(32), TOKEN_PEPPER: "p".repeat(48) },
  };
}

const item = (input: DoctorInput, name: string) => runDoctor(input).find((entry) => entry.item === name)!;

describe("on the demo configuration", () => {
  it("exits 0 and prints every item", () => {
    const run = doctor("--dev-vars", "/nonexistent/.dev.vars");
    expect(run.status, run.stdout + run.stderr).toBe(0);
    for (const name of ["every route authenticated", "every allowed tool has argument rules", "commands, paths, URLs and SQL have their validator", "no secrets in wrangler.toml or policy files", "secrets set and long enough", "scrubbing on for every origin", "every principal and origin under a limit", "audit queue and bucket bound", "every origin pinned or scanned", "a maximum token lifetime"]) {
      expect(run.stdout).toMatch(new RegExp(`^(PASS|WARN)  ${name}$`, "m"));
    }
    expect(run.stdout).toMatch(/^doctor: \d+ pass, \d+ warn, 0 fail$/m);
  });

  it("has no fail item, with good local secrets", () => {
    expect(runDoctor(demoInput()).filter((entry) => entry.status === "fail")).toEqual([]);
  });
});

describe("on broken configurations", () => {
  it("warns on an sql rule that allows writes, and on a read-only one without a table list", () => {
    expect(item(demoInput(), "commands, paths, URLs and SQL have their validator").reasons.join("\n")).toContain("rule admin-query: argument sql may run any sqlite statement (sql.readOnly: false)");
    const input = demoInput();
    const viewer = input.policy.rules.find((rule) => rule.id === "viewer-query")!.arguments.sql!;
    viewer.sql = { ...viewer.sql!, tables: undefined };
    const found = item(input, "commands, paths, URLs and SQL have their validator");
    expect(found.status).toBe("warn");
    expect(found.reasons.join("\n")).toContain("rule viewer-query: argument sql may read every table (sql.readOnly without sql.tables)");
  });

  it("warns that the demo's OAuth identity provider is on loopback", () => {
    const found = item(demoInput(), "every route authenticated");
    expect(found.reasons.join("\n")).toMatch(/warn: OAuth logs users in at http:\/\/127\.0\.0\.1:\d+\/?, a loopback identity provider/);
    const input = demoInput();
    input.policy.oauth = { ...input.policy.oauth!, upstream: { ...input.policy.oauth!.upstream, issuer: "https://login.example.com" } };
    expect(item(input, "every route authenticated").reasons.join("\n")).not.toContain("OAuth");
  });

  it("warns that an origin takes JWTs from a loopback issuer", () => {
    const input = demoInput();
    const jwt = { issuer: "http://127.0.0.1:3005", audience: "https://gateway.example.com/mcp/everything", jwksUrl: "http://127.0.0.1:3005/jwks", algorithms: ["RS256"], clockSkewSeconds: 60, gatewayTokens: false, emailDomains: [], roleMapping: [] };
    input.policy.origins.everything = { ...input.policy.origins.everything!, jwt };
    expect(item(input, "every route authenticated").reasons.join("\n")).toContain("warn: origin everything takes JWTs from http://127.0.0.1:3005, a loopback issuer");
    input.policy.origins.everything = { ...input.policy.origins.everything!, jwt: { ...jwt, issuer: "https://login.example.com", jwksUrl: "https://login.example.com/jwks" } };
    expect(item(input, "every route authenticated").reasons.join("\n")).not.toContain("origin everything takes JWTs");
  });

  it("exits 1 when a policy sets no maximum token lifetime", () => {
    const dir = mkdtempSync(join(tmpdir(), "doctor-"));
    cpSync("policies", dir, { recursive: true });
    writeFileSync(join(dir, "gateway.yaml"), readFileSync(join(dir, "gateway.yaml"), "utf8").replace(/^  maxTokenLifetime: .*$/m, ""));
    const run = doctor("--dir", dir, "--dev-vars", "/nonexistent/.dev.vars");
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^FAIL  a maximum token lifetime\n      fail: gateway.maxTokenLifetime is not set/m);
  });

  const broken: [string, string, (input: DoctorInput) => void, string][] = [
    ["an origin off loopback without a credential", "every route authenticated", (input) => void (input.policy.origins.sql!.url = "https://db.example.com/mcp"), "origin sql takes no credential from the gateway: whoever reaches db.example.com bypasses authentication"],
    ["a credential over plain HTTP", "every route authenticated", (input) => void (input.policy.origins.sql = { ...input.policy.origins.sql!, url: "http://db.example.com/mcp", credential: { secret: "SQL_TOKEN", header: "authorization", prefix: "Bearer " } }), "would cross the network in clear text"],
    ["a path argument without the path validator", "commands, paths, URLs and SQL have their validator", (input) => void (input.policy.rules.find((rule) => rule.id === "developer-note")!.arguments.file_path = { type: "string", required: false, maxLength: 100 }), "rule developer-note: argument file_path looks like a path by its name but has no path validator"],
    ["an sql argument without the sql validator", "commands, paths, URLs and SQL have their validator", (input) => void (input.policy.rules.find((rule) => rule.id === "viewer-query")!.arguments.sql = { type: "string", required: true, maxLength: 100 }), "rule viewer-query: argument sql looks like a sql by its name but has no sql validator"],
    ["a URL in a pinned schema passed unchecked", "commands, paths, URLs and SQL have their validator", (input) => {
      const pin = input.pins.find((candidate) => candidate.origin === "toolbox")!;
      (pin.tools.note!.definition.inputSchema as { properties: Record<string, unknown> }).properties.target = { type: "string", format: "uri" };
      input.policy.rules.find((rule) => rule.id === "developer-note")!.additionalArguments = true;
    }, "note's argument target is a url by its pinned schema and passes unchecked"],
    ["a token in a policy file", "no secrets in wrangler.toml or policy files", (input) => input.files.push({ file: "policies/leak.yaml", text: "# github: ghp_Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2\n" }), "policies/leak.yaml: the scrubber finds"],
    ["a secret in wrangler vars", "no secrets in wrangler.toml or policy files", (input) => void ((input.wrangler.env as any).production.vars = { UPSTASH_REDIS_REST_TOKEN: "x" }), "[env.production.vars] UPSTASH_REDIS_REST_TOKEN looks like a secret"],
    ["a short local secret", "secrets set and long enough", (input) => void (input.devVars!.SESSION_SECRET = "short"), ".dev.vars: SESSION_SECRET has 5 characters; the gateway needs at least 32"],
    ["a secret missing from the deployment", "secrets set and long enough", (input) => void (input.remoteSecrets = ["SESSION_SECRET"]), "the deployed Worker has no secret TOKEN_PEPPER"],
    ["an origin that does not scrub credentials", "scrubbing on for every origin", (input) => void (input.policy.origins.toolbox!.scrub = { families: ["personal"], action: "redact", allow: [] }), "origin toolbox does not scrub credentials"],
    ["an origin without a per-origin limit", "every principal and origin under a limit", (input) => void (input.policy.limits = input.policy.limits.filter((limit) => limit.id !== "toolbox-ceiling")), "origin toolbox has no per-origin request limit"],
    ["a role without a per-principal limit", "every principal and origin under a limit", (input) => void (input.policy.limits = input.policy.limits.filter((limit) => limit.id !== "sql-requests")), "role admin may call origin sql with no per-principal request limit"],
    ["no audit bucket in production", "audit queue and bucket bound", (input) => void delete (input.wrangler.env as any).production.r2_buckets, "[env.production]: no R2 bucket bound as AUDIT_BUCKET"],
    ["no audit queue consumer", "audit queue and bucket bound", (input) => void delete (input.wrangler.queues as any).consumers, "the top level: nothing consumes the audit queue"],
    ["an unpinned origin that keeps poisoned tools", "every origin pinned or scanned", (input) => void (input.policy.origins.sql!.integrity = { drift: "block", poisoning: "strip" }), "origin sql is neither pinned nor hides poisoned tools"],
    ["the dev-only loopback client metadata switch in wrangler vars", "every route authenticated", (input) => void ((input.wrangler.env as any).production.vars = { INSECURE_DEV_LOOPBACK_CLIENT_METADATA: "true" }), "[env.production.vars] sets INSECURE_DEV_LOOPBACK_CLIENT_METADATA"],
    ["no maximum token lifetime", "a maximum token lifetime", (input) => void delete input.policy.gateway.maxTokenLifetimeSeconds, "gateway.maxTokenLifetime is not set"],
  ];
  it.each(broken)("fails on %s", (_, name, breakIt, reason) => {
    const input = demoInput();
    breakIt(input);
    const found = item(input, name);
    expect(found.status).toBe("fail");
    expect(found.reasons.join("\n")).toContain(reason);
  });
});

