// The SQL corpus (test/fixtures/sql-corpus/): shared cases and each dialect's own, with the rule they
// run under. Read by the validator's tests and by bench/sql.ts, which compares parsers on it.

import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { SqlReason } from "../../src/policy/sql.js";
import type { CompiledSqlRule, SqlDialect } from "../../src/policy/types.js";

export type SqlCase = { sql: string; accept?: true; refuse?: SqlReason; dialects?: SqlDialect[] };

export const SQL_DIALECTS: SqlDialect[] = ["postgres", "mysql", "sqlite"];

export const corpusRule = (dialect: SqlDialect): CompiledSqlRule => ({ dialect, readOnly: true, maxStatements: 1, tables: ["users", "orders", "products", "app.events"] });

const load = (name: string): SqlCase[] => parse(readFileSync(new URL(`../fixtures/sql-corpus/${name}.yaml`, import.meta.url), "utf8")) as SqlCase[];

export function sqlCorpus(dialect: SqlDialect): SqlCase[] {
  return [...load("common").filter((entry) => !entry.dialects || entry.dialects.includes(dialect)), ...load(dialect)];
}
