// `mcp-warden pin <origin> [--check]`: reads every tool definition the origin lists (as an MCP client
// declaring every client capability, so conditional tools show up too), scans each for poisoning, and
// writes policies/pins/<origin>.yaml: each tool's full definition, for review in a pull request, and
// the SHA-256 of its canonical JSON, which the build bundles and the gateway compares at run time.
// --check writes nothing: it reports drift (changed, new and removed tools) and findings, and exits 1
// on any, for a deploy pipeline.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { stringify } from "yaml";
import { z } from "zod";
import { definitionHash } from "../src/integrity/definition.js";
import { scanDefinition, type Finding } from "../src/integrity/poison.js";
import { canonicalJson, type Json, type JsonObject } from "../src/mcp/json.js";
import { compilePolicy } from "../src/policy/build/compile.js";
import { pinFileSchema, type PinFile } from "../src/policy/build/schema.js";
import type { CompiledOrigin } from "../src/policy/types.js";
import { policySources, readYaml } from "./policy-files.js";
import { readDevVars } from "./wrangler.js";

const listingSchema = z.looseObject({ tools: z.array(z.record(z.string(), z.unknown())), nextCursor: z.string().optional() });
const MAX_PAGES = 100;

/** Every tool definition the origin lists, exactly as it sent them. */
export async function readToolDefinitions(origin: CompiledOrigin, credential: string | undefined): Promise<JsonObject[]> {
  const headers: Record<string, string> = credential && origin.credential ? { [origin.credential.header]: `${origin.credential.prefix}${credential}` } : {};
  const client = new Client({ name: "mcp-warden-pin", version: "1.0.0" }, { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(origin.url), { requestInit: { headers } }));
  try {
    const tools: JsonObject[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await client.request({ method: "tools/list", params: cursor ? { cursor } : {} }, listingSchema);
      tools.push(...(result.tools as JsonObject[]));
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    return tools;
  } finally {
    await client.close();
  }
}

export type PinReport = {
  findings: { tool: string; finding: Finding }[];
  changed: { tool: string; pinned: string; seen: string; fields: string[] }[];
  added: string[];
  removed: string[];
};

/** Compares what the origin lists with a pin file (absent: everything is new) and scans every definition. */
export async function comparePins(definitions: JsonObject[], pins: PinFile | undefined): Promise<{ report: PinReport; tools: PinFile["tools"] }> {
  const report: PinReport = { findings: [], changed: [], added: [], removed: [] };
  const tools: PinFile["tools"] = {};
  for (const definition of [...definitions].sort((a, b) => String(a.name).localeCompare(String(b.name)))) {
    const name = String(definition.name);
    for (const finding of scanDefinition(definition)) report.findings.push({ tool: name, finding });
    const seen = await definitionHash(definition);
    tools[name] = { sha256: seen, definition };
    const pinned = pins?.tools[name];
    if (!pinned) report.added.push(name);
    else if (pinned.sha256 !== seen) {
      const before = pinned.definition as JsonObject;
      const fields = [...new Set([...Object.keys(before), ...Object.keys(definition)])].filter(
        (field) => canonicalJson(before[field] ?? null) !== canonicalJson(definition[field] ?? null),
      );
      report.changed.push({ tool: name, pinned: pinned.sha256, seen, fields });
    }
  }
  for (const name of Object.keys(pins?.tools ?? {})) if (!tools[name]) report.removed.push(name);
  return { report, tools };
}

export function formatReport(report: PinReport): string[] {
  return [
    ...report.findings.map(({ tool, finding }) => `FINDING ${tool}: ${finding.kind} at ${finding.at || "(definition)"}: ${finding.excerpt}`),
    ...report.changed.map(({ tool, pinned, seen, fields }) => `CHANGED ${tool}: ${fields.join(", ")} (pinned ${pinned.slice(0, 12)}…, now ${seen.slice(0, 12)}…)`),
    ...report.added.map((tool) => `NEW     ${tool}: no pin`),
    ...report.removed.map((tool) => `GONE    ${tool}: pinned but no longer listed`),
  ];
}

export function pinPath(dir: string, origin: string): string {
  return join(dir, "pins", `${origin}.yaml`);
}

export async function pinCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { check: { type: "boolean", default: false }, dir: { type: "string", default: "policies" } } });
  const { check, dir } = values;
  if (positionals.length !== 1) throw new Error("usage: mcp-warden pin [--check] [--dir policies] <origin>");
  const name = positionals[0]!;
  // The gateway policy without its pins, so that a broken pin file can be rewritten.
  const policy = compilePolicy(policySources([dir]));
  const origin = policy.origins[name];
  if (!origin) throw new Error(`no origin "${name}" in ${dir}/ (origins: ${Object.keys(policy.origins).join(", ")})`);
  const secretName = origin.credential?.secret;
  const credential = secretName ? (process.env[secretName] ?? readDevVars()[secretName]) : undefined;
  if (secretName && !credential) throw new Error(`origin ${name} needs its credential: set ${secretName} in the environment or .dev.vars`);

  const file = pinPath(dir, name);
  const existing = existsSync(file) ? pinFileSchema.parse(readYaml(file)) : undefined;
  const definitions = await readToolDefinitions(origin, credential);
  const { report, tools } = await comparePins(definitions, existing);
  const lines = formatReport(report);
  if (check) {
    if (!existing) {
      // Nothing to drift from: say so, and how to make pins, instead of calling every tool drifted.
      for (const line of lines.filter((line) => line.startsWith("FINDING"))) console.log(line);
      console.log(`${name}: no pins (${file} does not exist), so there is no drift to report; ${definitions.length} tools, ${report.findings.length} findings.`);
      console.log(`Review the tools and pin them with: mcp-warden pin ${name}${dir === "policies" ? "" : ` --dir ${dir}`}`);
      return report.findings.length === 0 ? 0 : 1;
    }
    for (const line of lines) console.log(line);
    const drift = report.changed.length + report.added.length + report.removed.length;
    console.log(`${name}: ${definitions.length} tools, ${drift} drifted, ${report.findings.length} findings`);
    return drift + report.findings.length === 0 ? 0 : 1;
  }
  if (report.findings.length) {
    for (const line of lines.filter((line) => line.startsWith("FINDING"))) console.log(line);
    console.log(`${name}: ${report.findings.length} findings; nothing written. Review the origin's tool metadata; only clean definitions can be pinned.`);
    return 1;
  }
  for (const line of lines) console.log(line);
  mkdirSync(join(dir, "pins"), { recursive: true });
  const header = [
    `# Pinned tool definitions of origin "${name}", written by \`mcp-warden pin ${name}\` on ${new Date().toISOString().slice(0, 10)}.`,
    "# Review every definition below: the gateway shows and forwards only tools whose definition hashes to",
    "# its sha256. Re-run the command after a reviewed change; `mcp-warden pin --check` reports drift.",
  ].join("\n");
  writeFileSync(file, `${header}\n${stringify({ origin: name, tools } satisfies PinFile as Json, { lineWidth: 0 })}`);
  console.log(`${name}: pinned ${definitions.length} tools in ${file}; rebuild (npm run build, or npm start) to bundle the pins`);
  return 0;
}
