// What an isolate knows of an origin's tool schemas for 2026-07-28 parameter headers
// (src/integrity/tool-schemas.ts): learned from relayed listings, fetched page by page from a real
// node:http origin on 127.0.0.1 (an ephemeral port) when a call names a tool not known, refreshed
// after REFRESH_MS, re-asked at most every REFETCH_MS for a tool the listing lacks. Each test uses its
// own origin name: the knowledge is per isolate (module state).

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { learnTools, paramHeadersFor } from "../../src/integrity/tool-schemas.js";
import type { CompiledOrigin } from "../../src/policy/types.js";

let server: Server;
let base: string;
const bodies: { method: string; params: { cursor?: string; _meta?: object } }[] = [];
let pages: object[];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      bodies.push(body);
      const index = body.params.cursor === undefined ? 0 : Number(body.params.cursor);
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ jsonrpc: "2.0", id: body.id, result: pages[index] ?? { tools: [] } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  bodies.length = 0;
  pages = [];
});

const origin = (): CompiledOrigin => ({ url: `${base}/mcp`, timeoutMs: 5_000, scrub: { families: [], action: "redact", allow: [] }, integrity: { drift: "block", poisoning: "hide" } }) as CompiledOrigin;
const headed = (name: string, header: string) => ({ name, inputSchema: { type: "object", properties: { region: { type: "string", "x-mcp-header": header } } } });
const REGION = (header: string) => [{ name: header, path: ["region"], type: "string" }];
const now = 1_000_000;

describe("tool schemas for parameter headers", () => {
  it("knows a tool from a relayed listing without asking the origin, and invalid annotations as none", async () => {
    learnTools("learned", [headed("deploy", "Region"), { name: "bad", inputSchema: { type: "object", properties: { x: { type: "number", "x-mcp-header": "X" } } } }, { name: 7 } as never], now);
    expect(await paramHeadersFor("learned", origin(), undefined, "deploy", 1 << 20, now + 1)).toEqual(REGION("Region"));
    expect(await paramHeadersFor("learned", origin(), undefined, "bad", 1 << 20, now + 1)).toEqual([]);
    expect(bodies).toEqual([]);
  });

  it("lists the origin page by page, in the stateless revision, when a call names a tool it does not know", async () => {
    pages = [{ tools: [headed("a", "A"), "not a tool"], nextCursor: "1" }, { tools: [headed("b", "B")], nextCursor: "2" }, { tools: [headed("c", "C")] }];
    expect(await paramHeadersFor("paged", origin(), undefined, "c", 1 << 20, now)).toEqual(REGION("C"));
    expect(bodies.map((body) => [body.method, body.params.cursor])).toEqual([["tools/list", undefined], ["tools/list", "1"], ["tools/list", "2"]]);
    expect(bodies[0]!.params._meta).toMatchObject({ "io.modelcontextprotocol/protocolVersion": expect.any(String) });
    expect(await paramHeadersFor("paged", origin(), undefined, "a", 1 << 20, now + 1)).toEqual(REGION("A"));
    expect(bodies).toHaveLength(3);
  });

  it("stops at ten pages, and at a page without a tools array", async () => {
    pages = Array.from({ length: 20 }, (_, i) => ({ tools: [headed(`t${i}`, `T${i}`)], nextCursor: String(i + 1) }));
    expect(await paramHeadersFor("endless", origin(), undefined, "t19", 1 << 20, now)).toEqual([]);
    expect(bodies).toHaveLength(10);
    bodies.length = 0;
    pages = [{ tools: [headed("x", "X")], nextCursor: "1" }, { nothing: true }, { tools: [headed("y", "Y")] }];
    expect(await paramHeadersFor("broken", origin(), undefined, "y", 1 << 20, now)).toEqual([]);
    expect(bodies).toHaveLength(2);
  });

  it("asks again for an unknown tool only after REFETCH_MS, and relearns everything after REFRESH_MS", async () => {
    pages = [{ tools: [headed("old", "Old")] }];
    expect(await paramHeadersFor("timed", origin(), undefined, "missing", 1 << 20, now)).toEqual([]);
    expect(await paramHeadersFor("timed", origin(), undefined, "missing", 1 << 20, now + 5_000)).toEqual([]);
    expect(bodies).toHaveLength(1);
    pages = [{ tools: [headed("missing", "Late")] }];
    expect(await paramHeadersFor("timed", origin(), undefined, "missing", 1 << 20, now + 5_001)).toEqual(REGION("Late"));
    expect(bodies).toHaveLength(2);
    // Known tools are served from memory until the knowledge is REFRESH_MS old, then the listing is asked again.
    pages = [{ tools: [headed("old", "New")] }];
    expect(await paramHeadersFor("timed", origin(), undefined, "old", 1 << 20, now + 59_999)).toEqual(REGION("Old"));
    expect(await paramHeadersFor("timed", origin(), undefined, "old", 1 << 20, now + 60_000)).toEqual(REGION("New"));
    expect(await paramHeadersFor("timed", origin(), undefined, "missing", 1 << 20, now + 60_001)).toEqual([]);
  });

  it("keeps at most 10 000 tools an origin", () => {
    const many = Array.from({ length: 10_001 }, (_, i) => headed(`m${i}`, "M"));
    learnTools("many", many, now);
    return Promise.all([paramHeadersFor("many", origin(), undefined, "m9999", 1 << 20, now + 1), paramHeadersFor("many", origin(), undefined, "m10000", 1 << 20, now + 1)]).then(([last, over]) => {
      expect(last).toEqual(REGION("M"));
      expect(over).toEqual([]);
    });
  });
});
