// SQL arguments end to end: the demo policy's `query` rules (policies/sql.yaml) through the gateway in
// workerd to the real SQLite origin (demo/sql.ts), with the MCP SDK client and raw HTTP. A viewer's
// reads of the listed tables reach the database; writes, a second statement, the secrets table,
// file functions and unparseable text are refused like every argument rule (403, -32032, the reason in the message) and never reach it (the database is
// unchanged), and the audit event names the reason. An admin may write.

import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAuditEvents } from "../../cli/audit.js";
import { startSqlOrigin, type SqlOrigin } from "../../demo/sql.js";
import type { AuditEvent } from "../../src/audit/schema.js";
import { startGateway, type Gateway } from "../support/gateway.js";
import { connect, post } from "../support/mcp-client.js";
import { PORTS } from "../support/ports.js";

let origin: SqlOrigin;
let gateway: Gateway;
const tokens: Record<string, string> = {};
const url = () => `${gateway.url}/mcp/sql`;

beforeAll(async () => {
  origin = await startSqlOrigin(PORTS.sql);
  gateway = await startGateway();
  for (const role of ["viewer", "admin"]) tokens[role] = await gateway.mint([role]);
});

afterAll(async () => {
  await gateway?.close();
  await origin?.close();
});

async function query(role: string, sql: string) {
  const authorization = `Bearer ${tokens[role]}`;
  const opened = await post(url(), JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } }), { authorization });
  await opened.text();
  const session = opened.headers.get("mcp-session-id");
  const response = await post(url(), JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "query", arguments: { sql } } }), {
    authorization,
    ...(session ? { "mcp-session-id": session } : {}),
    "mcp-protocol-version": "2025-11-25",
  });
  const text = await response.text();
  const data = text.startsWith("{") ? JSON.parse(text) : JSON.parse(text.split("\n").filter((line) => line.startsWith("data: {")).at(-1)!.slice(6));
  return { status: response.status, data };
}

const count = (table: string) => (origin.database.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

/** Whether a deny of `query` whose reason contains `text` reached the audit bucket (events are batched). */
async function auditedDenial(text: string): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const events: AuditEvent[] = await readAuditEvents((await gateway.mf.getR2Bucket("AUDIT_BUCKET")) as unknown as R2Bucket);
    if (events.some((event) => event.decision === "deny" && event.target === "query" && event.reason?.includes(text))) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe("a viewer's SQL", () => {
  it("reads the listed tables through the MCP SDK client", async () => {
    const { client } = await connect(url(), tokens.viewer!);
    const result = await client.callTool({
      name: "query",
      arguments: { sql: "SELECT c.name, SUM(o.quantity) AS items FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY c.name" },
    });
    await client.close();
    expect(result.isError).toBeFalsy();
    expect(JSON.parse((result.content as { text: string }[])[0]!.text)).toEqual([
      { name: "Ada", items: 5 },
      { name: "Grace", items: 2 },
      { name: "Linus", items: 10 },
    ]);
  });

  it.each([
    ["DELETE FROM orders", "statement"],
    ["SELECT * FROM customers; DELETE FROM orders", "statements"],
    ["SELECT * FROM secrets", "table"],
    ["SELECT name FROM customers UNION SELECT value FROM secrets", "table"],
    ["SELECT * FROM customers WHERE id IN (SELECT id FROM secrets)", "table"],
    ["SELECT count(*) AS hit FROM customers WHERE (1, 'payroll-db-password', 'hunter2-but-longer') IN secrets", "table"],
    ["SELECT * FROM customers WHERE id NOT IN main.secrets", "table"],
    ["SELECT readfile('/etc/passwd')", "function"],
    ["ATTACH DATABASE '/tmp/evil.db' AS evil", "statement"],
    ["SELECT * FROM customers #; DELETE FROM orders", "comment"],
    ["SELEC * FROM customers", "unparseable"],
  ])("refuses %s (%s) before the origin sees it", async (sql, reason) => {
    const before = count("orders");
    const { status, data } = await query("viewer", sql);
    expect(status).toBe(403);
    expect(data.error.code).toBe(-32032);
    expect(data.error.message).toMatch(new RegExp(`^Denied by policy: argument "sql" is refused SQL \\(${reason}\\): it .+ \\(rule viewer-query\\)$`));
    expect(count("orders")).toBe(before);
    expect(await auditedDenial(`argument "sql" is refused SQL (${reason}): it`)).toBe(true);
  });
});

describe("an admin's SQL", () => {
  it("may write, one parsed statement at a time", async () => {
    const before = count("products");
    const { status, data } = await query("admin", "INSERT INTO products (name, price) VALUES ('mouse', 19)");
    expect(status).toBe(200);
    expect(data.result.isError).toBeFalsy();
    expect(count("products")).toBe(before + 1);
    const stacked = await query("admin", "SELECT 1; DROP TABLE products");
    expect(stacked.data.error).toEqual({ code: -32032, message: 'Denied by policy: argument "sql" is refused SQL (statements): it contains 2 statements; at most 1 allowed (rule viewer-query)' });
    expect(count("products")).toBe(before + 1);
  });

  it.each([
    ["VACUUM INTO '/tmp/warden-p2-vacuum.db'", "statement"],
    ["ATTACH '/tmp/warden-p2-attach.db' AS y", "statement"],
    ["PRAGMA writable_schema = 1", "statement"],
    ["SELECT load_extension('/tmp/evil.so')", "function"],
  ])("may not reach the database host's files: %s (%s)", async (sql, reason) => {
    const { status, data } = await query("admin", sql);
    expect(status).toBe(403);
    expect(data.error.message).toMatch(new RegExp(`^Denied by policy: argument "sql" is refused SQL \\(${reason}\\): it .+ \\(rule [a-z-]+\\)$`));
    expect(existsSync("/tmp/warden-p2-vacuum.db") || existsSync("/tmp/warden-p2-attach.db")).toBe(false);
  });
});
