// `npm run bench:sql`: the SQL parsers the `sql` argument rule could use, compared on the corpus
// (test/fixtures/sql-corpus/), on the size they add to a Worker bundle, and on parse speed inside
// workerd (CPU of the workerd process per query, as a ratio to the chosen parser in the same run).
// Candidates: sql-parser-cst (chosen), node-sql-parser (per-dialect builds), pgsql-ast-parser
// (PostgreSQL only) and @guanmingchiu/sqlparser-ts (sqlparser-rs as WebAssembly; Node only here).
// Correctness per parser and dialect: of the reads the rule must accept, how many it parses (the rest
// would be refused: false refusals); of the refusals for a precise reason (not `unparseable`), how many
// it parses, so the refusal can name the reason. For the chosen parser, the full validator's agreement
// with the corpus too. The last line is one key=value summary.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { loadSqlParser, PARAM_TYPES, sqlRefusal } from "../src/policy/sql.js";
import type { SqlDialect } from "../src/policy/types.js";
import { corpusRule, sqlCorpus, SQL_DIALECTS } from "../test/support/sql-corpus.js";
import { cpuMs, inWorkerd } from "./workerd.js";

type ParseFn = (sql: string, dialect: SqlDialect) => unknown;
type Candidate = { name: string; dialects: SqlDialect[]; workerSource?: string; node: () => Promise<ParseFn> };

const require = createRequire(import.meta.url);
const CST_DIALECT = { postgres: "postgresql", mysql: "mysql", sqlite: "sqlite" } as const;
const NSP_DIALECT = { postgres: "postgresql", mysql: "mysql", sqlite: "sqlite" } as const;

const CANDIDATES: Candidate[] = [
  {
    name: "sql-parser-cst",
    dialects: ["postgres", "mysql", "sqlite"],
    workerSource: `import { parse } from "sql-parser-cst";
      const D = ${JSON.stringify(CST_DIALECT)};
      const P = ${JSON.stringify(PARAM_TYPES)};
      export const parseSql = (sql, dialect) => parse(sql, { dialect: D[dialect], includeComments: true, paramTypes: P[dialect] });`,
    node: async () => {
      const { parse } = await import("sql-parser-cst");
      return (sql, dialect) => parse(sql, { dialect: CST_DIALECT[dialect], includeComments: true, paramTypes: PARAM_TYPES[dialect] });
    },
  },
  {
    name: "node-sql-parser",
    dialects: ["postgres", "mysql", "sqlite"],
    workerSource: `import { Parser as P } from "node-sql-parser/build/postgresql";
      import { Parser as M } from "node-sql-parser/build/mysql";
      import { Parser as S } from "node-sql-parser/build/sqlite";
      const parsers = { postgres: [new P(), "postgresql"], mysql: [new M(), "mysql"], sqlite: [new S(), "sqlite"] };
      export const parseSql = (sql, dialect) => parsers[dialect][0].astify(sql, { database: parsers[dialect][1] });`,
    node: async () => {
      const { Parser } = require("node-sql-parser") as typeof import("node-sql-parser");
      const parser = new Parser();
      return (sql, dialect) => parser.astify(sql, { database: NSP_DIALECT[dialect] });
    },
  },
  {
    name: "pgsql-ast-parser",
    dialects: ["postgres"],
    workerSource: `import { parse } from "pgsql-ast-parser"; export const parseSql = (sql) => parse(sql);`,
    node: async () => {
      const { parse } = await import("pgsql-ast-parser");
      return (sql) => parse(sql);
    },
  },
  {
    name: "@guanmingchiu/sqlparser-ts",
    dialects: ["postgres", "mysql", "sqlite"],
    node: async () => {
      const { init, parse } = await import("@guanmingchiu/sqlparser-ts");
      await init();
      return (sql, dialect) => parse(sql, CST_DIALECT[dialect]);
    },
  },
];

const parses = (parse: ParseFn, sql: string, dialect: SqlDialect) => {
  try {
    parse(sql, dialect);
    return true;
  } catch {
    return false;
  }
};

type Row = { name: string; correctness: string; gzipKiB: number; dynamicCode: boolean; cpuUsPerQuery?: number; unclosedMs: number };

/** Milliseconds to refuse `SELECT ((((…1` with 12 unclosed parentheses, in Node (PEG parsers backtrack). */
function unclosedMs(parse: ParseFn, dialect: SqlDialect): number {
  const started = performance.now();
  parses(parse, `SELECT ${"(".repeat(12)}1`, dialect);
  return performance.now() - started;
}

async function bundleSize(candidate: Candidate): Promise<{ gzipKiB: number; dynamicCode: boolean; file: string }> {
  const file = `.warden/bench/sql-${candidate.name.replace(/\W/g, "_")}.js`;
  if (!candidate.workerSource) {
    // WebAssembly: the .wasm module the Worker would upload, plus its JavaScript glue.
    const wasm = readFileSync(require.resolve("@guanmingchiu/sqlparser-ts").replace(/dist\/index\.cjs$/, "wasm/sqlparser_rs_wasm_bg.wasm"));
    return { gzipKiB: gzipSync(wasm, { level: 9 }).length / 1024, dynamicCode: false, file };
  }
  const entry = `${file}.entry.js`;
  writeFileSync(
    entry,
    `${candidate.workerSource}
    export default { async fetch(request) {
      const { queries, dialect, rounds } = await request.json();
      let parsed = 0;
      for (let round = 0; round < rounds; round++) for (const sql of queries) { try { parseSql(sql, dialect); parsed++; } catch {} }
      return new Response(String(parsed));
    } };`,
  );
  await build({ entryPoints: [entry], outfile: file, bundle: true, format: "esm", platform: "neutral", target: "es2024", minify: true, mainFields: ["module", "main"], logLevel: "error", nodePaths: ["node_modules"] });
  const code = readFileSync(file, "utf8");
  return { gzipKiB: gzipSync(code, { level: 9 }).length / 1024, dynamicCode: /new Function\(|[^\w.]eval\(/.test(code), file };
}

/** CPU of the workerd process per parsed query, over about 3 s of parsing the dialect's accepted corpus. */
async function workerdCpuUs(file: string, dialect: SqlDialect, queries: string[]): Promise<number> {
  const worker = await inWorkerd(async () => {
    const mf = new Miniflare({ modules: true, scriptPath: file, compatibilityDate: "2026-07-01", unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] });
    await mf.ready;
    return Object.assign(mf, { close: () => mf.dispose(), url: (await mf.unsafeGetDirectURL()).href });
  });
  try {
    const send = (rounds: number) => fetch(worker.url, { method: "POST", body: JSON.stringify({ queries, dialect, rounds }) }).then((response) => response.text());
    await send(2);
    const before = cpuMs(worker.pid);
    const started = performance.now();
    let count = 0;
    while (performance.now() - started < 3000) {
      await send(5);
      count += queries.length * 5;
    }
    return ((cpuMs(worker.pid) - before) * 1000) / count;
  } finally {
    await worker.close();
  }
}

mkdirSync(".warden/bench", { recursive: true });
await loadSqlParser();
const rows: Row[] = [];
for (const candidate of CANDIDATES) {
  const parse = await candidate.node();
  const cells: string[] = [];
  for (const dialect of SQL_DIALECTS) {
    if (!candidate.dialects.includes(dialect)) {
      cells.push(`${dialect}: –`);
      continue;
    }
    const cases = sqlCorpus(dialect);
    const reads = cases.filter((entry) => entry.accept);
    const precise = cases.filter((entry) => entry.refuse && entry.refuse !== "unparseable");
    cells.push(
      `${dialect}: reads ${reads.filter((entry) => parses(parse, entry.sql, dialect)).length}/${reads.length}, ` +
        `precise refusals ${precise.filter((entry) => parses(parse, entry.sql, dialect)).length}/${precise.length}`,
    );
  }
  const size = await bundleSize(candidate);
  const row: Row = { name: candidate.name, correctness: cells.join("; "), gzipKiB: size.gzipKiB, dynamicCode: size.dynamicCode, unclosedMs: unclosedMs(parse, candidate.dialects[0]!) };
  if (candidate.workerSource) {
    const dialect = candidate.dialects[0]!;
    row.cpuUsPerQuery = await workerdCpuUs(size.file, dialect, sqlCorpus(dialect).filter((entry) => entry.accept).map((entry) => entry.sql));
  }
  rows.push(row);
}

const chosen = rows[0]!;
console.log("| parser | corpus (parsed of the rule's reads; of refusals with a precise reason) | bundle, gzip | eval/new Function | CPU per query in workerd (postgres reads; ×chosen) | 12 unclosed `(` in Node |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const row of rows) {
  const cpu = row.cpuUsPerQuery === undefined ? "not run (WebAssembly)" : `${row.cpuUsPerQuery.toFixed(1)} µs (×${(row.cpuUsPerQuery / chosen.cpuUsPerQuery!).toFixed(2)})`;
  console.log(`| ${row.name} | ${row.correctness} | ${row.gzipKiB.toFixed(1)} KiB | ${row.dynamicCode ? "yes" : "no"} | ${cpu} | ${row.unclosedMs.toFixed(0)} ms |`);
}
let agree = 0;
let total = 0;
for (const dialect of SQL_DIALECTS) {
  for (const entry of sqlCorpus(dialect)) {
    const refusal = sqlRefusal(entry.sql, corpusRule(dialect));
    total++;
    if (entry.accept ? refusal === undefined : refusal?.reason === entry.refuse) agree++;
  }
}
console.log(`validator on sql-parser-cst: ${agree}/${total} corpus cases as expected (every refusal for its documented reason)`);
console.log(
  rows.map((row) => `${row.name.replace(/\W/g, "_")}_gzip_kib=${row.gzipKiB.toFixed(1)}${row.cpuUsPerQuery === undefined ? "" : ` ${row.name.replace(/\W/g, "_")}_cpu_us=${row.cpuUsPerQuery.toFixed(1)}`}`).join(" ") +
    ` validator_agreement=${agree}/${total}`,
);
