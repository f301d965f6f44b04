// `npm run bundle-size`: builds the production Worker exactly as `wrangler deploy` would
// (`--dry-run --outdir`), prints its raw and gzip size and fails over the 125 KiB gzip budget for the
// gateway (100 until the OAuth authorization server). When the policy has an `sql` rule the bundle also carries the SQL parser (sql-parser-cst),
// which has its own budget: its share is the difference to the same build without it (README, SQL
// arguments, says why it costs what it does). `npm run bench` reuses the measurement.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { projectNode } from "./wrangler.js";
import { buildWorker } from "./build.js";
import { policyUsesSql } from "../src/policy/sql.js";
import { loadPolicy } from "./policy-files.js";

// 100 KiB until the OAuth authorization server (oauth4webapi and src/oauth/: +16 KiB gzip, see README).
const BUDGET_KIB = 125;
const SQL_PARSER_BUDGET_KIB = 120;

/** The gzip size of the same Worker without the SQL parser: what the gateway itself weighs. */
export async function gatewayWithoutSqlKiB(): Promise<number> {
  const outFile = ".warden/bundle-without-sql/worker.js";
  await buildWorker({ policyDirs: ["policies"], outFile, withoutSqlParser: true });
  return gzipSync(readFileSync(outFile), { level: 9 }).length / 1024;
}

export function measureBundle(): { files: string[]; rawKiB: number; gzipKiB: number } {
  const outdir = ".warden/bundle";
  rmSync(outdir, { recursive: true, force: true });
  execFileSync(projectNode(), ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--outdir", outdir, "--env", "production"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const files = readdirSync(outdir).filter((name) => /\.(m?js|wasm)$/.test(name) && statSync(join(outdir, name)).isFile());
  const raw = files.reduce((sum, name) => sum + statSync(join(outdir, name)).size, 0);
  const gzip = files.reduce((sum, name) => sum + gzipSync(readFileSync(join(outdir, name)), { level: 9 }).length, 0);
  return { files, rawKiB: raw / 1024, gzipKiB: gzip / 1024 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { files, rawKiB, gzipKiB } = measureBundle();
  const gatewayKiB = policyUsesSql(loadPolicy(["policies"])) ? await gatewayWithoutSqlKiB() : gzipKiB;
  const parserKiB = gzipKiB - gatewayKiB;
  console.log(`bundle: ${files.join(", ")}: ${rawKiB.toFixed(1)} KiB raw, ${gzipKiB.toFixed(1)} KiB gzip`);
  console.log(`  gateway ${gatewayKiB.toFixed(1)} KiB gzip (budget ${BUDGET_KIB} KiB)`);
  if (parserKiB) console.log(`  SQL parser ${parserKiB.toFixed(1)} KiB gzip, bundled because a rule uses sql (budget ${SQL_PARSER_BUDGET_KIB} KiB)`);
  if (gatewayKiB > BUDGET_KIB || parserKiB > SQL_PARSER_BUDGET_KIB) {
    console.error("the Worker bundle is over budget");
    process.exit(1);
  }
}
