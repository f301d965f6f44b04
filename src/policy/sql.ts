// The `sql` argument validator: parses the caller's SQL with sql-parser-cst (a full parser per dialect,
// never a regular expression over the text) and refuses what the rule does not allow: more statements
// than `maxStatements`; comments and quoting the database could read differently from the parser;
// under `readOnly`, anything but one SELECT / WITH … SELECT / VALUES / TABLE or an EXPLAIN of one, a
// statement nested in a read (data-modifying CTE), SELECT … INTO, locking clauses and functions on the
// dialect's deny list; under `tables`, any table outside the list, in joins, subqueries and CTE bodies
// alike (a CTE's own name, in scope, is no table). What the parser cannot parse is refused. Pure once
// the parser is loaded (loadSqlParser); each refusal carries a documented reason code.

import type { DialectName, ParserOptions, parse as Parse } from "sql-parser-cst";
import type { CompiledArgumentRule, CompiledPolicy, CompiledSqlRule, SqlDialect } from "./types.js";

let parse: typeof Parse | undefined;

/**
 * Loads the parser (about 1 MB of JavaScript) on first need, so that a Worker starts without
 * evaluating it (startup CPU 62–78 ms when it was evaluated at startup, 35–37 ms now). The policy stage
 * awaits this before deciding a message with arguments when the policy has an `sql` rule.
 */
export async function loadSqlParser(): Promise<void> {
  parse ??= (await import("sql-parser-cst")).parse;
}

const usesSql = (rule: CompiledArgumentRule): boolean =>
  rule.sql !== undefined || Object.values(rule.properties ?? {}).some(usesSql) || (rule.items !== undefined && usesSql(rule.items));

/** Whether any rule of the policy checks an argument as SQL (the build leaves the parser out otherwise). */
export function policyUsesSql(policy: CompiledPolicy): boolean {
  return policy.rules.some((rule) => Object.values(rule.arguments).some(usesSql));
}

/** Why SQL was refused; README "SQL arguments" documents each. */
export type SqlReason = "unparseable" | "statements" | "statement" | "nested-statement" | "into" | "locking" | "function" | "table" | "comment" | "quoting";

export type SqlRefusal = { reason: SqlReason; detail: string };

const PARSER_DIALECT: Record<SqlDialect, DialectName> = { postgres: "postgresql", mysql: "mysql", sqlite: "sqlite" };

/** The placeholder syntaxes each database itself accepts. */
export const PARAM_TYPES: Record<SqlDialect, NonNullable<ParserOptions["paramTypes"]>> = {
  postgres: ["$nr"],
  mysql: ["?"],
  sqlite: ["?", "?nr", ":name", "@name", "$name"],
};

/**
 * Functions that sleep, read or write files, open connections, touch large objects, take locks, change
 * settings or sequences, or run SQL given as a string. Matched on the function's own name (any schema),
 * case-insensitively; an entry ending in `*` is a prefix.
 */
export const SQL_DENIED_FUNCTIONS: Record<SqlDialect, readonly string[]> = {
  postgres: [
    "pg_sleep*", "pg_read_*", "pg_ls_*", "pg_stat_file", "pg_file_*", "lo_*", "loread", "lowrite", "dblink*",
    "pg_advisory_*", "pg_try_advisory_*", "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf",
    "pg_rotate_logfile", "pg_promote", "pg_switch_wal", "pg_create_restore_point", "pg_backup_*", "pg_logical_*",
    "pg_replication_*", "pg_create_*", "pg_drop_*", "pg_notify", "pg_stat_reset*", "pg_import_system_collations",
    "set_config", "nextval", "setval", "txid_current", "pg_current_xact_id", "query_to_xml*", "cursor_to_xml*",
    "table_to_xml*", "schema_to_xml*", "database_to_xml*", "query_to_xmlschema", "ts_stat", "ts_rewrite", "xpath_table",
    "crosstab*", "connectby", "pg_stat_statements_reset", "pg_export_snapshot", "pg_log_backend_memory_contexts",
    "pg_wal_replay_*", "pg_truncate_visibility_map", "pg_prewarm", "binary_upgrade_*",
  ],
  mysql: [
    "sleep", "benchmark", "load_file", "get_lock", "release_lock", "release_all_locks", "is_used_lock", "is_free_lock",
    "master_pos_wait", "source_pos_wait", "wait_for_executed_gtid_set", "wait_until_sql_thread_after_gtids",
    "sys_exec", "sys_eval", "nextval", "setval", "lastval",
  ],
  sqlite: ["load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "fsdir", "zipfile*", "pragma_*", "sqlar_*", "lsmode"],
};

function denied(dialect: SqlDialect, name: string): boolean {
  const lower = name.toLowerCase();
  return SQL_DENIED_FUNCTIONS[dialect].some((entry) => (entry.endsWith("*") ? lower.startsWith(entry.slice(0, -1)) : lower === entry));
}

type Node = { type: string; [key: string]: unknown };
const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as Node).type === "string";

/** Children of a node in source order (sql-parser-cst nodes are plain objects; comments ride along). */
function* children(node: Node): Generator<Node> {
  for (const [key, value] of Object.entries(node)) {
    if (key === "range") continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) yield item;
    } else if (isNode(value)) yield value;
  }
}

/** IN or NOT IN (the parser gives NOT IN as two keywords). */
const inOperator = (operator: unknown): boolean => {
  const last = Array.isArray(operator) ? operator.at(-1) : operator;
  return isNode(last) && String(last.name).toUpperCase() === "IN";
};

const READ_STATEMENTS = new Set(["select_stmt", "compound_select_stmt"]);
const INTO_CLAUSES = new Set(["into_table_clause", "into_outfile_clause", "into_dumpfile_clause", "into_variables_clause"]);
/** Statements refused even under `readOnly: false`: they open, detach or load files on the database host. */
const HOST_STATEMENTS = new Set(["attach_database_stmt", "detach_database_stmt", "load_data_stmt", "load_extension_stmt", "copy_stmt"]);
const LOCKING_CLAUSES = new Set(["for_clause", "lock_in_share_mode_clause"]);

class Refused extends Error {
  constructor(readonly refusal: SqlRefusal) {
    super(refusal.detail);
  }
}
const refuse = (reason: SqlReason, detail: string): never => {
  throw new Refused({ reason, detail });
};

/** A name as a refusal may quote it: identifier-like only, so no other request text reaches audit. */
const shown = (name: string) => (/^[A-Za-z0-9_.$]{1,64}$/.test(name) ? name : "(a name that is no plain identifier)");

/** One identifier's name as the database resolves it: unquoted names folded where the dialect folds them. */
function identifierName(dialect: SqlDialect, node: Node): string {
  const text = String(node.text);
  const name = String(node.name);
  const quoted = /^["`[]/.test(text);
  if (dialect === "sqlite") return name.toLowerCase();
  if (dialect === "postgres" && !quoted) return name.toLowerCase();
  return name;
}

/** `a`, `s.a`, `"s"."a"` → its parts; undefined for anything that is no plain name. */
function nameParts(dialect: SqlDialect, node: Node): string[] | undefined {
  if (node.type === "identifier") return [identifierName(dialect, node)];
  if (node.type === "member_expr" && isNode(node.object) && isNode(node.property) && node.property.type === "identifier") {
    const head = nameParts(dialect, node.object);
    return head && [...head, identifierName(dialect, node.property)];
  }
  return undefined;
}

class Walker {
  constructor(
    private readonly dialect: SqlDialect,
    private readonly rule: CompiledSqlRule,
  ) {}

  /** A top-level statement: a read, or EXPLAIN of a read. */
  statement(node: Node): void {
    if (!this.rule.readOnly) return this.unrestricted(node);
    let read = node;
    if (node.type === "explain_stmt" && isNode(node.statement)) read = node.statement;
    if (!READ_STATEMENTS.has(read.type)) refuse("statement", `is not a read-only statement (${shown(String(read.type).replace(/_stmt$/, ""))})`);
    this.visit(read, []);
  }

  /** Every node below a read; `scope` holds the CTE names visible here, innermost last. */
  private visit(node: Node, scope: Set<string>[]): void {
    if (node.type.endsWith("_stmt") && !READ_STATEMENTS.has(node.type)) {
      refuse("nested-statement", `contains a ${shown(node.type.replace(/_stmt$/, ""))} statement inside a read`);
    }
    if (INTO_CLAUSES.has(node.type)) refuse("into", "writes its result somewhere (SELECT … INTO)");
    if (LOCKING_CLAUSES.has(node.type)) refuse("locking", "takes row locks (FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE)");
    if (node.type === "func_call") this.functionCall(node);
    if (node.type === "binary_expr" && inOperator(node.operator) && isNode(node.right) && (node.right.type === "identifier" || node.right.type === "member_expr")) {
      // SQLite's `x IN table-name` (and `IN schema.table`) reads that table.
      if (isNode(node.left)) this.visit(node.left, scope);
      return this.tableName(node.right, scope);
    }
    if (node.type === "select_stmt") return this.select(node, scope);
    if (node.type === "compound_select_stmt") return this.compound(node, scope);
    if (node.type === "table_clause" && isNode(node.table)) return this.table(node.table, scope);
    for (const child of children(node)) this.visit(child, scope);
  }

  /**
   * Under `readOnly: false` any statement passes, but nothing that reaches the database host's files or
   * settings: ATTACH / DETACH, VACUUM INTO, PRAGMA assignments, SELECT … INTO OUTFILE / DUMPFILE, LOAD
   * DATA, and the dialect's function deny list.
   */
  private unrestricted(node: Node): void {
    if (HOST_STATEMENTS.has(node.type)) refuse("statement", `is a ${shown(node.type.replace(/_stmt$/, ""))} statement, which reaches the database host`);
    if (node.type === "vacuum_stmt" && isNode(node.intoKw)) refuse("statement", "writes a file on the database host (VACUUM INTO)");
    if (node.type === "pragma_stmt" && isNode(node.pragma) && node.pragma.type !== "identifier" && node.pragma.type !== "member_expr") {
      refuse("statement", "sets a PRAGMA");
    }
    if (node.type === "into_outfile_clause" || node.type === "into_dumpfile_clause") refuse("into", "writes a file on the database host (INTO OUTFILE / DUMPFILE)");
    if (node.type === "func_call") this.functionCall(node);
    for (const child of children(node)) this.unrestricted(child);
  }

  private functionCall(node: Node): void {
    const parts = isNode(node.name) ? nameParts(this.dialect, node.name) : undefined;
    if (!parts) return refuse("function", "calls a function by an expression the validator cannot name");
    const name = parts[parts.length - 1]!;
    if (denied(this.dialect, name)) refuse("function", `calls ${shown(name)}, which the ${this.dialect} deny list refuses`);
  }

  /** CTE names a WITH clause brings into scope, each CTE body visited with the names it can see. */
  private withClause(clause: Node, scope: Set<string>[]): Set<string> {
    const recursive = isNode(clause.recursiveKw);
    const items = isNode(clause.tables) && Array.isArray(clause.tables.items) ? (clause.tables.items as Node[]) : [];
    const names = items.map((cte) => (isNode(cte.table) ? identifierName(this.dialect, cte.table) : ""));
    items.forEach((cte, index) => {
      const visible = new Set(recursive ? names : names.slice(0, index));
      for (const child of children(cte)) if (child !== cte.table) this.visit(child, [...scope, visible]);
    });
    return new Set(names);
  }

  private select(node: Node, scope: Set<string>[]): void {
    const clauses = Array.isArray(node.clauses) ? (node.clauses as Node[]) : [];
    let inner = scope;
    for (const clause of clauses) {
      if (clause.type === "with_clause") {
        inner = [...scope, this.withClause(clause, scope)];
      } else if (clause.type === "from_clause" && isNode(clause.expr)) {
        this.table(clause.expr, inner);
      } else {
        this.visit(clause, inner);
      }
    }
  }

  /** `WITH … SELECT … UNION SELECT …`: the WITH, parsed into the leftmost SELECT, covers every branch. */
  private compound(node: Node, scope: Set<string>[]): void {
    let leftmost: unknown = node;
    while (isNode(leftmost) && leftmost.type === "compound_select_stmt") leftmost = leftmost.left;
    const withClause = isNode(leftmost) && Array.isArray(leftmost.clauses) ? (leftmost.clauses as Node[]).find((clause) => clause.type === "with_clause") : undefined;
    const inner = withClause ? [...scope, this.withClause(withClause, scope)] : scope;
    for (const child of children(node)) {
      if (child === leftmost) this.select({ ...child, clauses: (child.clauses as Node[]).filter((clause) => clause !== withClause) }, inner);
      else this.visit(child, inner);
    }
  }

  /** A table expression in FROM, JOIN or TABLE: every name in it must be a CTE in scope or a listed table. */
  private table(node: Node, scope: Set<string>[]): void {
    switch (node.type) {
      case "identifier":
      case "member_expr":
        return this.tableName(node, scope);
      case "alias":
        return isNode(node.expr) ? this.table(node.expr, scope) : undefined;
      case "join_expr":
        if (isNode(node.left)) this.table(node.left, scope);
        if (isNode(node.right)) this.table(node.right, scope);
        if (isNode(node.specification)) this.visit(node.specification, scope);
        return;
      case "paren_expr":
        if (!isNode(node.expr)) return;
        return READ_STATEMENTS.has(node.expr.type) ? this.visit(node.expr, scope) : this.table(node.expr, scope);
      case "table_with_inheritance":
      case "table_without_inheritance":
      case "indexed_table":
      case "not_indexed_table":
        return isNode(node.table) ? this.table(node.table, scope) : undefined;
      case "lateral_derived_table":
        return isNode(node.expr) ? this.table(node.expr, scope) : undefined;
      case "func_call":
      case "func_call_with_column_definitions":
      case "with_ordinality_expr":
      case "rows_from_expr":
      case "unnest_expr":
      case "values_clause":
        // Table functions: their calls go through the deny list, their arguments are expressions.
        return this.visit(node, scope);
      default:
        return refuse("table", `reads from a table expression the validator does not know (${shown(node.type)})`);
    }
  }

  private tableName(node: Node, scope: Set<string>[]): void {
    const parts = nameParts(this.dialect, node);
    if (!parts) return refuse("table", "names a table by an expression the validator cannot name");
    const name = parts.join(".");
    if (parts.length === 1 && scope.some((names) => names.has(name))) return;
    if (this.rule.tables && !this.rule.tables.includes(name)) refuse("table", `reads table ${shown(name)}, which the rule does not list`);
  }
}

/**
 * Text the parser and the database could read differently, found on the parsed tree: MySQL runs the
 * text of `/*! … *\/` and `/*M! … *\/` comments and reads `--` as a comment only before whitespace
 * (`1 --1` is `1 - -1`); SQLite has no `#` comments; a backslash in a plain string literal means an
 * escape or a backslash depending on server settings (MySQL's NO_BACKSLASH_ESCAPES, PostgreSQL's
 * standard_conforming_strings). Postgres E'…' strings always escape, so they pass.
 */
function differential(dialect: SqlDialect, node: Node): SqlRefusal | undefined {
  for (const key of ["leading", "trailing"]) {
    const comments = node[key];
    if (!Array.isArray(comments)) continue;
    for (const comment of comments) {
      const text = isNode(comment) ? String(comment.text) : "";
      if (dialect === "mysql" && /^\/\*M?!/.test(text)) return { reason: "comment", detail: "contains an executable comment (/*! … */), which MySQL runs as SQL" };
      if (dialect === "mysql" && /^--(?![ \t\n\r\f\v])/.test(text)) return { reason: "comment", detail: "contains '--' without a following space, which MySQL reads as two minus signs" };
      if (dialect === "sqlite" && text.startsWith("#")) return { reason: "comment", detail: "contains a '#' comment, which SQLite does not have" };
    }
  }
  if (node.type === "string_literal" && String(node.text).includes("\\")) {
    if (dialect === "mysql" || (dialect === "postgres" && String(node.text).startsWith("'"))) {
      return { reason: "quoting", detail: "contains a backslash in a string literal, which server settings read either as an escape or as a backslash" };
    }
  }
  for (const child of children(node)) {
    const found = differential(dialect, child);
    if (found) return found;
  }
  return undefined;
}

const UNICODE_IDENTIFIER: SqlRefusal = { reason: "quoting", detail: 'contains a U&"…" identifier, whose escapes PostgreSQL decodes and the validator does not' };

/** Deeper nesting of parentheses and brackets together than this is refused before parsing. */
export const MAX_SQL_NESTING = 32;
/** Deeper nesting of square brackets than this is refused: even balanced, `x[1[1[…]]]` parses in time exponential in the depth (16 deep: 0.9 s). */
export const MAX_SQL_BRACKET_NESTING = 8;
/** Longer text than this is refused before parsing, so no one parse does unbounded work. */
export const MAX_SQL_LENGTH = 20_000;

/**
 * Whether the text's parentheses — and, outside SQLite (where `[…]` quotes a name), its square
 * brackets — close in order and nest at most MAX_SQL_NESTING deep together, skipping strings, quoted
 * names and comments as the dialect writes them. A guard, not a validator: the parser (a PEG parser,
 * which backtracks) takes time exponential in the depth of unclosed parentheses — 22 unclosed took
 * 13 s — and of unclosed array subscripts (`SELECT x[1[1…`, 20 unclosed took 163 s), so unbalanced text
 * is refused before it reaches the parser; so are square brackets nested deeper than MAX_SQL_BRACKET_NESTING. It also refuses PostgreSQL's U&"…" identifiers (any case),
 * which the parser does not decode.
 */
function scanProblem(text: string, dialect: SqlDialect): "unbalanced" | "unicode" | undefined {
  /** The index after a quoted run that `open` started at `from`: doubled quotes stay inside; so do backslash escapes where they are escapes. */
  const afterQuoted = (from: number, close: string, backslash: boolean): number => {
    for (let at = from + 1; at < text.length; at++) {
      if (backslash && text[at] === "\\") at++;
      else if (text[at] === close) {
        if (text[at + 1] !== close) return at + 1;
        at++;
      }
    }
    return text.length;
  };
  const afterBlockComment = (from: number): number => {
    let nested = 0;
    for (let at = from; at < text.length - 1; at++) {
      if (text.startsWith("/*", at) && (nested === 0 || dialect === "postgres")) {
        nested++;
        at++;
      } else if (text.startsWith("*/", at)) {
        if (--nested === 0) return at + 2;
        at++;
      }
    }
    return text.length;
  };
  const closing: string[] = [];
  const opening: Record<string, string> = dialect === "sqlite" ? { "(": ")" } : { "(": ")", "[": "]" };
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    const dollarTag = char === "$" && dialect === "postgres" ? /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(index, index + 66))?.[0] : undefined;
    if (char === '"' && dialect === "postgres" && /(?:^|[^A-Za-z0-9_$])[uU]&$/.test(text.slice(Math.max(0, index - 3), index))) {
      // U&"…": PostgreSQL decodes its escapes (U&"pg\005fsleep" is pg_sleep); the parser leaves them, and reads u&"…" as `u & "…"`.
      return "unicode";
    }
    if (char === "'" || char === '"' || char === "`") {
      const escapes = dialect === "mysql" || (dialect === "postgres" && char === "'" && (text[index - 1] === "E" || text[index - 1] === "e"));
      index = afterQuoted(index, char, escapes);
    } else if (char === "[" && dialect === "sqlite") index = afterQuoted(index, "]", false);
    else if (text.startsWith("--", index) || (char === "#" && dialect !== "postgres")) {
      const newline = text.indexOf("\n", index);
      index = newline === -1 ? text.length : newline + 1;
    } else if (text.startsWith("/*", index)) index = afterBlockComment(index);
    else if (dollarTag) {
      const end = text.indexOf(dollarTag, index + dollarTag.length);
      index = end === -1 ? text.length : end + dollarTag.length;
    } else {
      const close = opening[char];
      if (close !== undefined && closing.push(close) > MAX_SQL_NESTING) return "unbalanced";
      if (char === "[" && dialect !== "sqlite" && closing.filter((open) => open === "]").length > MAX_SQL_BRACKET_NESTING) return "unbalanced";
      if ((char === ")" || (char === "]" && dialect !== "sqlite")) && closing.pop() !== char) return "unbalanced";
      index++;
    }
  }
  return closing.length === 0 ? undefined : "unbalanced";
}

/** Why this SQL breaks the rule, or undefined when it passes. */
export function sqlRefusal(text: string, rule: CompiledSqlRule): SqlRefusal | undefined {
  const dialect = rule.dialect;
  if (text.includes("\u0000")) return { reason: "quoting", detail: "contains a NUL character, where client libraries end the text" };
  if (text.length > MAX_SQL_LENGTH) return { reason: "unparseable", detail: `is longer than ${MAX_SQL_LENGTH} characters` };
  const problem = scanProblem(text, dialect);
  if (problem === "unbalanced") return { reason: "unparseable", detail: `has unbalanced parentheses or brackets or nests them deeper than ${MAX_SQL_NESTING} (brackets ${MAX_SQL_BRACKET_NESTING})` };
  if (problem === "unicode") return UNICODE_IDENTIFIER;
  if (!parse) throw new Error("sqlRefusal before loadSqlParser()");
  let program: Node;
  try {
    program = parse(text, { dialect: PARSER_DIALECT[dialect], includeComments: true, paramTypes: PARAM_TYPES[dialect] }) as unknown as Node;
  } catch {
    return { reason: "unparseable", detail: `is not SQL the ${dialect} parser can read` };
  }
  try {
    const ambiguous = differential(dialect, program);
    if (ambiguous) return ambiguous;
    const statements = (Array.isArray(program.statements) ? (program.statements as Node[]) : []).filter((statement) => statement.type !== "empty");
    if (statements.length === 0) refuse("statements", "contains no SQL statement");
    if (statements.length > rule.maxStatements) refuse("statements", `contains ${statements.length} statements; at most ${rule.maxStatements} allowed`);
    const walker = new Walker(dialect, rule);
    for (const statement of statements) walker.statement(statement);
    return undefined;
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    throw error;
  }
}
