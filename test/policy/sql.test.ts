// The `sql` argument validator (src/policy/sql.ts) over the corpus (test/fixtures/sql-corpus/): every
// accepted query passes and every refused one is refused for its documented reason, per dialect; then
// the rule's options (readOnly off, maxStatements, no table list), how a refusal reads, and the guard
// in front of the parser: where each dialect's strings, quoted names, comments and dollar quotes end.

import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser, policyUsesSql, sqlRefusal } from "../../src/policy/sql.js";
import { argumentsProblem } from "../../src/policy/arguments.js";
import { corpusRule, sqlCorpus, SQL_DIALECTS } from "../support/sql-corpus.js";

beforeAll(loadSqlParser);

describe.each(SQL_DIALECTS)("the %s corpus", (dialect) => {
  const cases = sqlCorpus(dialect);
  it("has at least 150 queries, allowed and refused", () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    expect(cases.filter((entry) => entry.accept).length).toBeGreaterThan(50);
  });
  it.each(cases.map((entry) => [entry.accept ? "accept" : `refuse (${entry.refuse})`, entry.sql] as const))("%s: %s", (expected, sql) => {
    const refusal = sqlRefusal(sql, corpusRule(dialect));
    expect(refusal ? `refuse (${refusal.reason})` : "accept").toBe(expected);
  });
});

describe("the rule's options", () => {
  const base = { dialect: "postgres", readOnly: true, maxStatements: 1 } as const;
  it("without a table list, any table may be read, but only reads", () => {
    expect(sqlRefusal("SELECT * FROM secrets", base)).toBeUndefined();
    expect(sqlRefusal("DELETE FROM secrets", base)?.reason).toBe("statement");
  });
  it("readOnly: false allows any statement the parser reads, up to maxStatements", () => {
    const write = { ...base, readOnly: false, maxStatements: 2 };
    expect(sqlRefusal("DELETE FROM users; INSERT INTO users (id) VALUES (1)", write)).toBeUndefined();
    expect(sqlRefusal("SELECT 1; SELECT 2; SELECT 3", write)).toEqual({ reason: "statements", detail: "contains 3 statements; at most 2 allowed" });
    expect(sqlRefusal("DELET FROM users", write)?.reason).toBe("unparseable");
  });
  it("readOnly: false still refuses what the database would read differently", () => {
    expect(sqlRefusal("SELECT 1 /*! ; DROP TABLE users */", { dialect: "mysql", readOnly: false, maxStatements: 5 })?.reason).toBe("comment");
    expect(sqlRefusal("SELECT 'a\\b'", { ...base, readOnly: false })?.reason).toBe("quoting");
  });
  it("readOnly: false still refuses what reaches the database host's files and settings", () => {
    const sqlite = { dialect: "sqlite", readOnly: false, maxStatements: 1 } as const;
    expect(sqlRefusal("VACUUM INTO '/tmp/x.db'", sqlite)?.reason).toBe("statement");
    expect(sqlRefusal("ATTACH '/tmp/y.db' AS y", sqlite)?.reason).toBe("statement");
    expect(sqlRefusal("DETACH y", sqlite)?.reason).toBe("statement");
    expect(sqlRefusal("PRAGMA writable_schema = 1", sqlite)?.reason).toBe("statement");
    expect(sqlRefusal("SELECT load_extension('/tmp/evil.so')", sqlite)?.reason).toBe("function");
    expect(sqlRefusal("INSERT INTO users (name) VALUES (readfile('/etc/passwd'))", sqlite)?.reason).toBe("function");
    expect(sqlRefusal("SELECT * FROM users INTO OUTFILE '/tmp/x'", { dialect: "mysql", readOnly: false, maxStatements: 1 })?.reason).toBe("into");
    expect(sqlRefusal("SELECT pg_sleep(10)", { ...base, readOnly: false })?.reason).toBe("function");
    expect(sqlRefusal("VACUUM", sqlite)).toBeUndefined();
    expect(sqlRefusal("PRAGMA table_info", sqlite)).toBeUndefined();
    expect(sqlRefusal("UPDATE users SET name = 'x' WHERE id = 1", sqlite)).toBeUndefined();
  });
});

describe("how a refusal reads", () => {
  const rule = {
    id: "r", effect: "allow" as const, roles: ["v"], origin: "o", kind: "tool" as const, patterns: ["query"], additionalArguments: false, source: "p.yaml#rules.0",
    arguments: { sql: { type: "string" as const, required: true, sql: corpusRule("postgres") } },
  };
  it("names the argument, the reason code and what was found", () => {
    expect(argumentsProblem({ sql: "SELECT pg_sleep(10)" }, rule)).toBe('argument "sql" is refused SQL (function): it calls pg_sleep, which the postgres deny list refuses');
    expect(argumentsProblem({ sql: "SELECT * FROM secrets" }, rule)).toBe('argument "sql" is refused SQL (table): it reads table secrets, which the rule does not list');
    expect(argumentsProblem({ sql: "SELECT id FROM users" }, rule)).toBeUndefined();
  });
  it("quotes no request text that is not a plain identifier", () => {
    const refusal = sqlRefusal('SELECT * FROM "a b; drop"', corpusRule("postgres"));
    expect(refusal).toEqual({ reason: "table", detail: "reads table (a name that is no plain identifier), which the rule does not list" });
  });
});

describe("the guard in front of the parser", () => {
  // The PEG parser backtracks exponentially on unclosed parentheses (22 took 13 s): such text is refused first.
  it.each([
    ["SELECT " + "(".repeat(40) + "1", "unclosed"],
    ["SELECT * FROM " + "(".repeat(40) + "users", "unclosed in FROM"],
    ["SELECT " + "(".repeat(40) + "1 /* " + ")".repeat(40) + " */", "closed only inside a comment"],
    ["SELECT " + "(".repeat(40) + "1 -- " + ")".repeat(40), "closed only inside a line comment"],
    ["SELECT " + "(".repeat(40) + "1, '" + ")".repeat(40) + "'", "closed only inside a string"],
    ["SELECT ')))' , " + "(".repeat(40) + "1", "closes inside a string before the opens"],
    ["SELECT " + "(".repeat(33) + "1" + ")".repeat(33), "nested deeper than 32"],
  ])("refuses %#: %s, at once", (sql) => {
    for (const dialect of SQL_DIALECTS) {
      expect(sqlRefusal(sql, { dialect, readOnly: true, maxStatements: 1 })).toEqual({ reason: "unparseable", detail: "has unbalanced parentheses or brackets or nests them deeper than 32 (brackets 8)" });
    }
  });
  it("reads parentheses inside strings, quoted names, comments and dollar quotes as text", () => {
    expect(sqlRefusal("SELECT ':(' AS face, \"a(\" FROM users /* ( */ -- (\n", corpusRule("postgres"))).toBeUndefined();
    expect(sqlRefusal("SELECT $x$ ( $x$, $$)$$, E'\\')', 'it''s ('", corpusRule("postgres"))).toBeUndefined();
    expect(sqlRefusal("SELECT `a(` , [b(] FROM users # (", { ...corpusRule("sqlite"), tables: undefined })?.reason).toBe("comment");
    expect(sqlRefusal("SELECT " + "(".repeat(32) + "1" + ")".repeat(32), corpusRule("mysql"))).toBeUndefined();
  });
  // Unclosed array subscripts backtrack the same way (review p2 F5: `SELECT x[1[1…`, 20 took 163 s).
  it.each([
    ["SELECT x" + "[1".repeat(20), "unclosed subscripts"],
    ["SELECT x" + "[1".repeat(20) + ")".repeat(20), "subscripts closed by parentheses"],
    ["SELECT " + "(".repeat(25) + "x" + "[1".repeat(8) + "]".repeat(8) + ")".repeat(25), "parentheses and brackets together deeper than 32"],
    ["SELECT x" + "[1".repeat(9) + "]".repeat(9), "balanced subscripts nested deeper than 8, which backtrack too"],
  ])("refuses %#: %s in postgres", (sql) => {
    expect(sqlRefusal(sql, corpusRule("postgres"))).toEqual({ reason: "unparseable", detail: "has unbalanced parentheses or brackets or nests them deeper than 32 (brackets 8)" });
  });
  it("parses subscripts nested up to 8 deep", () => {
    expect(sqlRefusal("SELECT x" + "[1".repeat(8) + "]".repeat(8) + " FROM users", corpusRule("postgres"))).toBeUndefined();
  });
  it("reads SQLite's [quoted names] as names, not brackets", () => {
    expect(sqlRefusal("SELECT [a[b] FROM users", corpusRule("sqlite"))).toBeUndefined();
  });
  it("refuses text longer than the parse budget before parsing", () => {
    expect(sqlRefusal("SELECT 1" + " ".repeat(20_000), corpusRule("postgres"))).toEqual({ reason: "unparseable", detail: "is longer than 20000 characters" });
  });
});

describe("where the guard reads text as text", () => {
  const GUARD = { reason: "unparseable", detail: "has unbalanced parentheses or brackets or nests them deeper than 32 (brackets 8)" };
  const rule = (dialect: (typeof SQL_DIALECTS)[number]) => ({ dialect, readOnly: true, maxStatements: 1 }) as const;
  // Each holds parentheses (or brackets) that are text; after it, the guard must count again: one `(` left open is refused by it.
  const texts: Record<(typeof SQL_DIALECTS)[number], string[]> = {
    postgres: ["'a(b'", "'it''s ('", "E'\\'(('", "e'\\'(('", "\"a(b\"", "\"a\"\"(b\"", "$$ ( $$", "$t$ ( $ $t$", "$t_1$ ( $t_1$", "/* ( */", "/* /* ( */ ( */", "/*(*/", "-- (\n", "x[1]"],
    mysql: ["'a\\'('", "'it''s ('", "\"a\\\"(\"", "`a(`", "`a``(`", "/* ( */", "-- (\n", "# (\n", "x[1]"],
    sqlite: ["'a('", "'it''s ('", "\"a(\"", "`a(`", "[a(]", "[a[(]", "/* ( */", "-- (\n", "# (\n"],
  };
  for (const dialect of SQL_DIALECTS) {
    it.each(texts[dialect])(`${dialect}: counts the parentheses after %j, and none inside it`, (text) => {
      expect(sqlRefusal(`SELECT ${text} , (1`, rule(dialect))).toEqual(GUARD);
      expect(sqlRefusal(`SELECT ${text} , (1)`, rule(dialect))).not.toEqual(GUARD);
    });
  }

  it("ends a block comment at its first close outside PostgreSQL, which nests them", () => {
    // MySQL and SQLite: `/* /* */` is one whole comment, so the `(` after it is open.
    for (const dialect of ["mysql", "sqlite"] as const) expect(sqlRefusal("SELECT 1 /* /* */ , (1", rule(dialect))).toEqual(GUARD);
    // PostgreSQL: the comment is still open, and holds the rest.
    expect(sqlRefusal("SELECT 1 /* /* */ , (1", rule("postgres"))).not.toEqual(GUARD);
    expect(sqlRefusal("SELECT 1 /* /* */ */ , (1", rule("postgres"))).toEqual(GUARD);
  });

  it("reads # as a comment outside PostgreSQL only, and backslashes as escapes in MySQL and PostgreSQL's E'' strings only", () => {
    expect(sqlRefusal("SELECT 1 # (\n", rule("postgres"))).toEqual(GUARD);
    expect(sqlRefusal("SELECT 'a\\' , (1", rule("postgres"))).toEqual(GUARD);
    expect(sqlRefusal("SELECT 'a\\' , (1", rule("sqlite"))).toEqual(GUARD);
    expect(sqlRefusal("SELECT x'\\' , (1", rule("postgres"))).toEqual(GUARD);
  });

  it("reads a dollar quote only in PostgreSQL, only with its own tag, and to the end when it does not close", () => {
    expect(sqlRefusal("SELECT $a$ ) $b$ ( $a$ , (1", rule("postgres"))).toEqual(GUARD);
    expect(sqlRefusal("SELECT $a$ ( ", rule("postgres"))).not.toEqual(GUARD);
    expect(sqlRefusal("SELECT $1 , (1", rule("postgres"))).toEqual(GUARD);
    expect(sqlRefusal("SELECT $1a$ ( $1a$", rule("postgres"))).toEqual(GUARD);
    for (const dialect of ["mysql", "sqlite"] as const) expect(sqlRefusal("SELECT $$ ( $$", rule(dialect))).toEqual(GUARD);
  });

  it("reads square brackets as brackets outside SQLite, and nests at most 8 of them", () => {
    expect(sqlRefusal("SELECT x[1 , 2", rule("postgres"))).toEqual(GUARD);
    expect(sqlRefusal("SELECT x[(1] , 2", rule("postgres"))).toEqual(GUARD);
    expect(sqlRefusal("SELECT x(1] , 2", rule("postgres"))).toEqual(GUARD);
    expect(sqlRefusal("SELECT (1]", rule("sqlite"))).toEqual(GUARD);
    expect(sqlRefusal("SELECT (" + "[".repeat(9), rule("sqlite"))).toEqual(GUARD);
    expect(sqlRefusal("SELECT x" + "[1".repeat(8) + "]".repeat(8) + "[1]", rule("postgres"))).not.toEqual(GUARD);
    expect(sqlRefusal("SELECT " + "(".repeat(32) + "1" + ")".repeat(32), rule("postgres"))).not.toEqual(GUARD);
  });

  it("refuses U&\"…\" identifiers in PostgreSQL, in either case, and only where U& starts a token", () => {
    const UNICODE = { reason: "quoting", detail: 'contains a U&"…" identifier, whose escapes PostgreSQL decodes and the validator does not' };
    expect(sqlRefusal('SELECT u&"x" FROM users', rule("postgres"))).toEqual(UNICODE);
    expect(sqlRefusal('SELECT 1,U&"x" FROM users', rule("postgres"))).toEqual(UNICODE);
    expect(sqlRefusal('SELECT mu&"x" FROM users', rule("postgres"))).not.toEqual(UNICODE);
    expect(sqlRefusal('SELECT $u&"x" FROM users', rule("postgres"))).not.toEqual(UNICODE);
    expect(sqlRefusal('SELECT U&"x" FROM users', rule("mysql"))).not.toEqual(UNICODE);
    expect(sqlRefusal("SELECT 'U&\"x\"' FROM users", rule("postgres"))).toBeUndefined();
  });

  it("refuses a NUL character, and text of exactly the parse budget is parsed", () => {
    expect(sqlRefusal("SELECT 1\u0000", rule("postgres"))).toEqual({ reason: "quoting", detail: "contains a NUL character, where client libraries end the text" });
    expect(sqlRefusal("SELECT 1" + " ".repeat(20_000 - 8), rule("postgres"))).toBeUndefined();
  });
});

describe("every table a read reaches is checked", () => {
  const tables = (dialect: (typeof SQL_DIALECTS)[number]) => corpusRule(dialect);
  const refusedTable = (sql: string, dialect: (typeof SQL_DIALECTS)[number]) => sqlRefusal(sql, tables(dialect))?.reason;

  it("in the left side of SQLite's `x IN table`", () => {
    expect(refusedTable("SELECT * FROM users WHERE (SELECT id FROM secrets) IN orders", "sqlite")).toBe("table");
    expect(refusedTable("SELECT * FROM users WHERE id IN orders", "sqlite")).toBeUndefined();
  });

  it("in a join's condition", () => {
    for (const dialect of SQL_DIALECTS) {
      expect(refusedTable("SELECT * FROM users JOIN orders ON orders.user_id IN (SELECT id FROM secrets)", dialect)).toBe("table");
    }
  });

  it("in every branch of a compound read, with the WITH of its first branch in scope for all", () => {
    for (const dialect of SQL_DIALECTS) {
      expect(refusedTable("WITH t AS (SELECT id FROM users) SELECT id FROM t UNION SELECT id FROM t", dialect)).toBeUndefined();
      expect(refusedTable("WITH t AS (SELECT id FROM users) SELECT id FROM secrets UNION SELECT id FROM t", dialect)).toBe("table");
      expect(refusedTable("WITH t AS (SELECT id FROM secrets) SELECT id FROM t UNION SELECT id FROM users", dialect)).toBe("table");
    }
  });

  it("names a quoted CTE only by its one name, never a schema-qualified table", () => {
    expect(refusedTable('WITH "app.secrets" AS (SELECT 1 AS x) SELECT * FROM app.secrets', "postgres")).toBe("table");
    expect(refusedTable('WITH "t" AS (SELECT 1 AS x) SELECT * FROM t', "postgres")).toBeUndefined();
  });

  it("reads the table behind ONLY, `*`, NOT INDEXED and LATERAL, and table functions' arguments", () => {
    expect(refusedTable("SELECT * FROM ONLY users", "postgres")).toBeUndefined();
    expect(refusedTable("SELECT * FROM users *", "postgres")).toBeUndefined();
    expect(refusedTable("SELECT * FROM ONLY secrets", "postgres")).toBe("table");
    expect(refusedTable("SELECT * FROM users NOT INDEXED", "sqlite")).toBeUndefined();
    expect(refusedTable("SELECT * FROM secrets NOT INDEXED", "sqlite")).toBe("table");
    expect(refusedTable("SELECT * FROM users, LATERAL (SELECT * FROM orders WHERE orders.user_id = users.id) AS o", "postgres")).toBeUndefined();
    expect(refusedTable("SELECT * FROM users, LATERAL (SELECT * FROM secrets) AS o", "postgres")).toBe("table");
    expect(refusedTable("SELECT * FROM unnest(ARRAY[1, 2]) AS u", "postgres")).toBeUndefined();
    expect(refusedTable("SELECT * FROM generate_series(1, 3) WITH ORDINALITY AS g", "postgres")).toBeUndefined();
    expect(refusedTable("SELECT * FROM ROWS FROM (generate_series(1, 2)) AS r", "postgres")).toBeUndefined();
    expect(refusedTable("SELECT * FROM unnest(ARRAY(SELECT id FROM secrets)) AS u", "postgres")).toBe("table");
  });
});

describe("statements under readOnly", () => {
  it("takes only EXPLAIN of a read, not another statement that holds one", () => {
    expect(sqlRefusal("CREATE VIEW v AS SELECT * FROM users", corpusRule("postgres"))).toEqual({ reason: "statement", detail: "is not a read-only statement (create_view)" });
    expect(sqlRefusal("EXPLAIN SELECT * FROM users", corpusRule("postgres"))).toBeUndefined();
  });
});

describe("comments and quoting the database reads differently, and only there", () => {
  it("refuses MySQL's executable comments and `--x` only in MySQL, and only at a comment's start", () => {
    for (const dialect of ["postgres", "sqlite"] as const) expect(sqlRefusal("SELECT 1 /*! 2 */", corpusRule(dialect))).toBeUndefined();
    expect(sqlRefusal("SELECT 1 /* see /*! here */", corpusRule("mysql"))).toBeUndefined();
    expect(sqlRefusal("SELECT 1 -- a--b\n", corpusRule("mysql"))).toBeUndefined();
    expect(sqlRefusal("SELECT 1 /*! 2 */", corpusRule("mysql"))).toEqual({ reason: "comment", detail: "contains an executable comment (/*! … */), which MySQL runs as SQL" });
    expect(sqlRefusal("SELECT 1 --2\n", corpusRule("mysql"))).toEqual({ reason: "comment", detail: "contains '--' without a following space, which MySQL reads as two minus signs" });
    expect(sqlRefusal("SELECT 1 # x\n", corpusRule("sqlite"))).toEqual({ reason: "comment", detail: "contains a '#' comment, which SQLite does not have" });
  });

  it("refuses a backslash in a string literal, not in a quoted name", () => {
    expect(sqlRefusal("SELECT 1 AS `a\\b`", corpusRule("mysql"))).toBeUndefined();
    expect(sqlRefusal("SELECT 'a\\b'", corpusRule("mysql"))).toEqual({ reason: "quoting", detail: "contains a backslash in a string literal, which server settings read either as an escape or as a backslash" });
  });
});

describe("what each refusal says", () => {
  const postgres = corpusRule("postgres");
  it("under readOnly", () => {
    expect(sqlRefusal("SELECT * INTO t FROM users", postgres)).toEqual({ reason: "into", detail: "writes its result somewhere (SELECT … INTO)" });
    expect(sqlRefusal("SELECT * FROM users FOR UPDATE", postgres)).toEqual({ reason: "locking", detail: "takes row locks (FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE)" });
    expect(sqlRefusal("WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d", postgres)).toEqual({ reason: "nested-statement", detail: "contains a delete statement inside a read" });
    expect(sqlRefusal(";", postgres)).toEqual({ reason: "statements", detail: "contains no SQL statement" });
    expect(sqlRefusal("DELET FROM users", postgres)).toEqual({ reason: "unparseable", detail: "is not SQL the postgres parser can read" });
    expect(sqlRefusal("PREPARE p AS SELECT * FROM users", postgres)?.reason).toBe("statement");
  });
  it("under readOnly: false", () => {
    const sqlite = { dialect: "sqlite", readOnly: false, maxStatements: 1 } as const;
    const mysql = { dialect: "mysql", readOnly: false, maxStatements: 1 } as const;
    expect(sqlRefusal("ATTACH '/tmp/y.db' AS y", sqlite)).toEqual({ reason: "statement", detail: "is a attach_database statement, which reaches the database host" });
    expect(sqlRefusal("VACUUM INTO '/tmp/x.db'", sqlite)).toEqual({ reason: "statement", detail: "writes a file on the database host (VACUUM INTO)" });
    expect(sqlRefusal("PRAGMA writable_schema = 1", sqlite)).toEqual({ reason: "statement", detail: "sets a PRAGMA" });
    expect(sqlRefusal("SELECT * FROM users INTO OUTFILE '/tmp/x'", mysql)).toEqual({ reason: "into", detail: "writes a file on the database host (INTO OUTFILE / DUMPFILE)" });
    expect(sqlRefusal("SELECT * FROM users INTO DUMPFILE '/tmp/x'", mysql)).toEqual({ reason: "into", detail: "writes a file on the database host (INTO OUTFILE / DUMPFILE)" });
  });
});

describe("policyUsesSql", () => {
  const policyWith = (argument: Record<string, unknown>) => ({ rules: [{ arguments: {} }, { arguments: { other: { type: "string" }, q: argument } }] }) as unknown as Parameters<typeof policyUsesSql>[0];
  const sql = corpusRule("postgres");
  it("finds an sql rule on an argument, in an object's properties and in an array's items, at any depth", () => {
    expect(policyUsesSql(policyWith({ type: "string", sql }))).toBe(true);
    expect(policyUsesSql(policyWith({ type: "object", properties: { a: { type: "string" }, b: { type: "string", sql } } }))).toBe(true);
    expect(policyUsesSql(policyWith({ type: "array", items: { type: "object", properties: { c: { type: "string", sql } } } }))).toBe(true);
  });
  it("finds none where no argument is checked as SQL", () => {
    expect(policyUsesSql(policyWith({ type: "string" }))).toBe(false);
    expect(policyUsesSql(policyWith({ type: "object", properties: { a: { type: "string" } } }))).toBe(false);
    expect(policyUsesSql(policyWith({ type: "array", items: { type: "string" } }))).toBe(false);
    expect(policyUsesSql({ rules: [] } as unknown as Parameters<typeof policyUsesSql>[0])).toBe(false);
  });
});

describe("the corners the guard and the walk must still get right", () => {
  const GUARD = { reason: "unparseable", detail: "has unbalanced parentheses or brackets or nests them deeper than 32 (brackets 8)" };
  it("checks the select list of a compound read's first branch when there is no WITH", () => {
    for (const dialect of SQL_DIALECTS) expect(sqlRefusal("SELECT (SELECT id FROM secrets) UNION SELECT id FROM users", corpusRule(dialect))?.reason).toBe("table");
  });
  it("reads backslashes as text where no escape is: after E before a quoted name, after e in SQLite, inside SQLite's [names]", () => {
    expect(sqlRefusal('SELECT E"a\\" , (1', { dialect: "postgres", readOnly: true, maxStatements: 1 })).toEqual(GUARD);
    expect(sqlRefusal("SELECT e'a\\' , (1", { dialect: "sqlite", readOnly: true, maxStatements: 1 })).toEqual(GUARD);
    expect(sqlRefusal("SELECT [a\\] , (1", { dialect: "sqlite", readOnly: true, maxStatements: 1 })).toEqual(GUARD);
  });
});

describe("what the walk cannot name or does not know is refused, never passed", () => {
  it("a function called through an expression rather than by its name", () => {
    const refusal = { reason: "function", detail: "calls a function by an expression the validator cannot name" };
    expect(sqlRefusal("SELECT (x).f() FROM users", corpusRule("postgres"))).toEqual(refusal);
    expect(sqlRefusal("SELECT f()() FROM users", corpusRule("postgres"))).toEqual(refusal);
    // The same calls by their names pass, so the refusal is the name's, not the shape's.
    expect(sqlRefusal("SELECT x.f() FROM users", corpusRule("postgres"))).toBeUndefined();
  });

  it("a table named through an expression (SQLite's `x IN f().t`)", () => {
    expect(sqlRefusal("SELECT * FROM users WHERE id IN f().orders", corpusRule("sqlite"))).toEqual({ reason: "table", detail: "names a table by an expression the validator cannot name" });
    expect(sqlRefusal("SELECT * FROM users WHERE id IN main.orders", { ...corpusRule("sqlite"), tables: ["users", "main.orders"] })).toBeUndefined();
  });

  it("a table expression the walk has no case for (TABLESAMPLE, MySQL's PARTITION), even over a listed table", () => {
    expect(sqlRefusal("SELECT * FROM users TABLESAMPLE SYSTEM (10)", corpusRule("postgres"))).toEqual({ reason: "table", detail: "reads from a table expression the validator does not know (tablesample_expr)" });
    expect(sqlRefusal("SELECT * FROM users PARTITION (p1)", corpusRule("mysql"))).toEqual({ reason: "table", detail: "reads from a table expression the validator does not know (partitioned_table)" });
  });

  it("names the statement a refused one is, not the statement it holds (a labeled block is no EXPLAIN)", () => {
    expect(sqlRefusal("lbl: BEGIN SELECT 1; END", corpusRule("mysql"))).toEqual({ reason: "statement", detail: "is not a read-only statement (labeled)" });
    expect(sqlRefusal("lbl: LOOP SELECT 1; END LOOP", corpusRule("mysql"))).toEqual({ reason: "statement", detail: "is not a read-only statement (labeled)" });
  });
});
