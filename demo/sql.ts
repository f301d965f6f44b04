// The demo's SQL origin, and the SQL end-to-end tests' origin: a small MCP server (the SDK's own,
// stateless Streamable HTTP) with one `query` tool that runs whatever SQL it is given against an
// in-memory SQLite database (node:sqlite) of customers, orders, products and a `secrets` table. The
// server trusts its caller completely, as many database tools do: the gateway's `sql` rule is what
// keeps a viewer to one read of the listed tables (policies/sql.yaml).

import type { Server } from "node:http";
import { DatabaseSync } from "node:sqlite";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { serveStatelessMcp } from "./stateless-http.js";

export type SqlOrigin = { url: string; server: Server; database: DatabaseSync; close(): Promise<void> };

const SEED = `
  CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL);
  CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL);
  CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, product_id INTEGER NOT NULL, quantity INTEGER NOT NULL);
  CREATE TABLE secrets (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value TEXT NOT NULL);
  INSERT INTO customers VALUES (1, 'Ada', 'London'), (2, 'Grace', 'New York'), (3, 'Linus', 'Helsinki');
  INSERT INTO products VALUES (1, 'keyboard', 49.5), (2, 'monitor', 199), (3, 'cable', 5.25);
  INSERT INTO orders VALUES (1, 1, 2, 1), (2, 1, 3, 4), (3, 2, 1, 2), (4, 3, 3, 10);
  INSERT INTO secrets VALUES (1, 'payroll-db-password', 'hunter2-but-longer');
`;

export async function startSqlOrigin(port: number): Promise<SqlOrigin> {
  const database = new DatabaseSync(":memory:");
  database.exec(SEED);
  const mcpServer = () => {
    const server = new McpServer({ name: "sql", version: "1.0.0" });
    server.registerTool(
      "query",
      { title: "Query", description: "Run one SQLite statement against the shop database and return its rows as JSON.", inputSchema: { sql: z.string().max(10_000) } },
      ({ sql }) => {
        try {
          const rows = database.prepare(sql).all();
          return { content: [{ type: "text", text: JSON.stringify(rows) }] };
        } catch (error) {
          return { isError: true, content: [{ type: "text", text: `SQLite: ${(error as Error).message}` }] };
        }
      },
    );
    return server;
  };
  const http = await serveStatelessMcp(port, mcpServer);
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    server: http,
    database,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => {
          database.close();
          resolve();
        });
      }),
  };
}
