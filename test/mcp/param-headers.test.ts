// 2026-07-28 parameter headers: which headers a tool's schema declares (and which declarations are
// invalid), and the check of a call's headers against its arguments.

import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors.js";
import { checkParamHeaders, paramHeadersOf } from "../../src/mcp/param-headers.js";

const tool = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name: "t", inputSchema: { type: "object", properties, ...extra } }) as never;

describe("paramHeadersOf", () => {
  it("reads headers of primitive properties reachable through properties alone, nested ones included", () => {
    expect(paramHeadersOf(tool({ region: { type: "string", "x-mcp-header": "Region" }, opts: { type: "object", properties: { dry: { type: "boolean", "x-mcp-header": "Dry-Run" } } } }))).toEqual([
      { name: "Region", path: ["region"], type: "string" },
      { name: "Dry-Run", path: ["opts", "dry"], type: "boolean" },
    ]);
    expect(paramHeadersOf(tool({ plain: { type: "string" } }))).toEqual([]);
  });

  it("refuses invalid declarations: number type, objects, non-token names, duplicates in any case, annotations under items or oneOf", () => {
    for (const invalid of [
      tool({ a: { type: "number", "x-mcp-header": "A" } }),
      tool({ a: { type: "object", "x-mcp-header": "A" } }),
      tool({ a: { type: "string", "x-mcp-header": "bad name" } }),
      tool({ a: { type: "string", "x-mcp-header": "" } }),
      tool({ a: { type: "string", "x-mcp-header": "X" }, b: { type: "string", "x-mcp-header": "x" } }),
      tool({ list: { type: "array", items: { type: "string", "x-mcp-header": "Item" } } }),
      tool({ choice: { oneOf: [{ type: "string", "x-mcp-header": "C" }] } }),
    ]) {
      expect(paramHeadersOf(invalid)).toBeUndefined();
    }
  });
});

describe("paramHeadersOf at its edges", () => {
  it("reads integer headers, skips properties that are no schema, and refuses a header on the root or with a name that is no string", () => {
    expect(paramHeadersOf(tool({ n: { type: "integer", "x-mcp-header": "N" }, empty: null, text: "a string" }))).toEqual([{ name: "N", path: ["n"], type: "integer" }]);
    expect(paramHeadersOf(tool({}, { "x-mcp-header": "Root" }))).toBeUndefined();
    // On a root of a primitive type too: the header names no argument.
    expect(paramHeadersOf({ name: "t", inputSchema: { type: "string", "x-mcp-header": "Root" } } as never)).toBeUndefined();
    expect(paramHeadersOf(tool({ a: { type: "string", "x-mcp-header": 5 } }))).toBeUndefined();
  });
});

describe("checkParamHeaders", () => {
  const params = [
    { name: "Region", path: ["region"], type: "string" as const },
    { name: "Count", path: ["count"], type: "integer" as const },
  ];
  const check = (args: Record<string, unknown>, headers: Record<string, string>) => checkParamHeaders(new Headers(headers), args as never, params);

  it("accepts matching headers and returns the headers to forward, computed from the body", () => {
    expect(check({ region: "us-west1", count: 7 }, { "Mcp-Param-Region": "us-west1", "mcp-param-count": "7" })).toEqual({ "mcp-param-region": "us-west1", "mcp-param-count": "7" });
    expect(check({ region: " padded " }, { "mcp-param-region": "=?base64?IHBhZGRlZCA=?=" })).toEqual({ "mcp-param-region": "=?base64?IHBhZGRlZCA=?=" });
    expect(check({ count: 42 }, { "mcp-param-count": "42.0" })).toEqual({ "mcp-param-count": "42" });
    expect(check({ region: null }, {})).toEqual({});
  });

  it("refuses a missing header, a mismatch, a header without a body value, a bad encoding, a value of the wrong type", () => {
    for (const [args, headers] of [
      [{ region: "a" }, {}],
      [{ region: "a" }, { "mcp-param-region": "b" }],
      [{}, { "mcp-param-region": "a" }],
      [{ region: "Hello" }, { "mcp-param-region": "=?base64?SGVsbG8?=" }],
      [{ region: 5 }, { "mcp-param-region": "5" }],
      [{ count: 1.5 }, { "mcp-param-count": "1.5" }],
      [{ count: 2 }, { "mcp-param-count": "" }],
      [{ region: "Hello" }, { "mcp-param-region": "=?BASE64?SGVsbG8=?=" }],
    ] as [Record<string, unknown>, Record<string, string>][]) {
      expect(() => check(args, headers)).toThrow(GatewayError);
    }
  });
});

describe("checkParamHeaders at its edges", () => {
  const params = [
    { name: "Dry-Run", path: ["opts", "dry"], type: "boolean" as const },
    { name: "Count", path: ["count"], type: "integer" as const },
    { name: "Region", path: ["region"], type: "string" as const },
  ];
  const check = (args: Record<string, unknown>, headers: Record<string, string>) => checkParamHeaders(new Headers(headers), args as never, params);
  const kindOf = (args: Record<string, unknown>, headers: Record<string, string>) => {
    try {
      check(args, headers);
      return "accepted";
    } catch (error) {
      return (error as GatewayError).kind;
    }
  };

  it("compares a boolean, an integer and a nested value with the body, forwarding lower-case names", () => {
    expect(check({ opts: { dry: true }, count: 7, region: "eu" }, { "mcp-param-dry-run": "true", "mcp-param-count": " 7", "mcp-param-region": "eu" })).toEqual({ "mcp-param-dry-run": "true", "mcp-param-count": "7", "mcp-param-region": "eu" });
    expect(check({ opts: { dry: false } }, { "mcp-param-dry-run": "false" })).toEqual({ "mcp-param-dry-run": "false" });
  });

  it("refuses every header that does not say what the body says", () => {
    const cases: [Record<string, unknown>, Record<string, string>][] = [
      [{ opts: { dry: true } }, { "mcp-param-dry-run": "false" }],
      [{ opts: { dry: true } }, { "mcp-param-dry-run": "1" }],
      [{ opts: { dry: "true" } }, { "mcp-param-dry-run": "true" }],
      [{ opts: { dry: true } }, {}],
      [{ count: 7 }, { "mcp-param-count": "8" }],
      [{ count: 7 }, { "mcp-param-count": "   " }],
      [{ count: 7 }, { "mcp-param-count": "=?base64?!!!?=" }],
      [{ count: "7" }, { "mcp-param-count": "7" }],
      [{ region: "eu" }, { "mcp-param-region": "EU" }],
      [{ opts: "flat" }, { "mcp-param-dry-run": "true" }],
      [{ opts: [true] }, { "mcp-param-dry-run": "true" }],
      [{ region: true }, { "mcp-param-region": "true" }],
      [{ count: 7 }, {}],
      [{ count: 0 }, { "mcp-param-count": "" }],
      [{ count: 0 }, { "mcp-param-count": "  " }],
      // Headers trims a literal value; base64 carries the blanks through.
      [{ count: 0 }, { "mcp-param-count": "=?base64?ICA=?=" }],
    ];
    for (const [args, headers] of cases) expect({ args, headers, kind: kindOf(args, headers) }).toEqual({ args, headers, kind: "headerMismatch" });
    expect(check({ count: 0 }, { "mcp-param-count": "0" })).toEqual({ "mcp-param-count": "0" });
    try {
      check({ count: 7 }, { "mcp-param-count": "8" });
      expect.unreachable();
    } catch (error) {
      expect((error as GatewayError).toJsonRpcError().message).toContain("Mcp-Param-Count must equal the argument it mirrors");
    }
  });
});
