// The build: policies/ → compiled policy → one bundled Worker module (dist/worker.js). The policy is
// inlined as a virtual module `warden:policy`, so the Worker never reads or parses policy at run
// time. Tests and benchmarks build the same way with other policy directories. The SQL parser
// (sql-parser-cst, ~90 KiB gzip) is bundled only when some rule has an `sql` argument rule.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { build, type Plugin } from "esbuild";
import { loadPolicy } from "./policy-files.js";
import { policyUsesSql } from "../src/policy/sql.js";
import type { CompiledPolicy } from "../src/policy/types.js";

export type BuildOptions = {
  policyDirs: string[];
  outFile: string;
  /** Origin URLs replaced at build time (tests point the demo origin at their own port). */
  originOverrides?: Record<string, string>;
  /** The OpenID provider's issuer replaced at build time (tests run their own provider). */
  upstreamIssuer?: string;
  entry?: string;
  /** Leave the SQL parser out even when a rule uses sql (`npm run bundle-size` measures the gateway alone this way). */
  withoutSqlParser?: boolean;
  /** Keep names readable (profiling: bench/profile.ts). */
  minify?: boolean;
};

function policyModule(policy: CompiledPolicy): Plugin {
  return {
    name: "warden-policy",
    setup(builder) {
      builder.onResolve({ filter: /^warden:policy$/ }, () => ({ path: "policy", namespace: "warden" }));
      builder.onLoad({ filter: /.*/, namespace: "warden" }, () => ({ contents: `export default ${JSON.stringify(policy)};`, loader: "js" }));
    },
  };
}

/** Without an `sql` rule the validator is never called, so its parser is left out of the bundle. */
function sqlParserUnlessUsed(policy: CompiledPolicy, leaveOut: boolean): Plugin {
  return {
    name: "warden-sql-parser",
    setup(builder) {
      if (policyUsesSql(policy) && !leaveOut) return;
      builder.onResolve({ filter: /^sql-parser-cst$/ }, () => ({ path: "sql-parser-cst", namespace: "warden-no-sql" }));
      builder.onLoad({ filter: /.*/, namespace: "warden-no-sql" }, () => ({
        contents: `export function parse() { throw new Error("this build has no SQL parser"); }`,
        loader: "js",
      }));
    },
  };
}

export async function buildWorker(options: BuildOptions): Promise<CompiledPolicy> {
  const policy = loadPolicy(options.policyDirs, options.originOverrides, options.upstreamIssuer);
  mkdirSync(dirname(options.outFile), { recursive: true });
  await build({
    entryPoints: [options.entry ?? "src/index.ts"],
    outfile: options.outFile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    minify: options.minify ?? true,
    legalComments: "none",
    plugins: [policyModule(policy), sqlParserUnlessUsed(policy, options.withoutSqlParser ?? false)],
    external: ["cloudflare:*"],
    logLevel: "warning",
  });
  return policy;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const out = args.includes("--out") ? args[args.indexOf("--out") + 1]! : "dist/worker.js";
  try {
    const policy = await buildWorker({ policyDirs: ["policies"], outFile: out });
    writeFileSync("dist/policy-version.txt", `${policy.version}\n`);
    console.log(`built ${out} with policy ${policy.version} (${policy.rules.length} rules, ${Object.keys(policy.origins).length} origins)`);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
