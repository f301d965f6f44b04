// The threat model's table of client messages is the rendering of the method table: a method added,
// removed or governed differently without `npm run docs:messages` fails here.

import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { THREAT_MODEL, withMessageTable } from "../../cli/message-table.js";
import { METHODS } from "../../src/mcp/methods.js";

it("matches the method table (run `npm run docs:messages` after changing src/mcp/methods.ts)", () => {
  const document = readFileSync(THREAT_MODEL, "utf8");
  expect(withMessageTable(document)).toBe(document);
  for (const method of [...Object.keys(METHODS), "response", "GET stream", "DELETE session"]) expect(document).toContain(`| \`${method}\` |`);
});
