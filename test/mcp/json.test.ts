import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonSyntaxError, canonicalJson, parseJson, parseJsonBytes } from "../../src/mcp/json.js";

describe("strict JSON parser", () => {
  it.each([
    ['{"a":1,"b":[true,false,null],"c":"x\\ny\\u00e9\\ud83d\\ude00"}'],
    ["  [1, -2.5e3, 0, 1E+2]  "],
    ['"\\/\\b\\f\\n\\r\\t\\\\\\""'],
    ["{}"],
    ["[]"],
  ])("parses %s like JSON.parse", (text) => {
    expect(parseJson(text, 64)).toEqual(JSON.parse(text));
  });

  it.each([
    ['{"a":1,"a":2}', "duplicate key"],
    ['{"a":{"x":1,"x":1}}', "duplicate key"],
    ['{"__proto__":{"polluted":true}}', "forbidden key"],
    ['{"constructor":{"prototype":{}}}', "forbidden key"],
    ['{"a":"\\ud800"}', "lone surrogate"],
    ['{"a":"\\udc00x"}', "lone surrogate"],
    ["[1e400]", "number out of range"],
    ["[01]", "expected ',' or ']'"],
    ["[1,]", "unexpected character"],
    ["{'a':1}", "expected a string key"],
    ['{"a":1} {}', "unexpected data after the JSON value"],
    ['"tab\there"', "control character in string"],
    ['"\\x41"', "invalid escape"],
    ["[NaN]", "unexpected character"],
    ["", "unexpected end of input"],
    ['{"a":', "unexpected end of input"],
    ['"abc', "unterminated string"],
  ])("refuses %s (%s)", (text, reason) => {
    expect(() => parseJson(text, 64)).toThrow(JsonSyntaxError);
    try {
      parseJson(text, 64);
    } catch (error) {
      expect((error as JsonSyntaxError).reason).toContain(reason);
    }
  });

  it("refuses nesting beyond the limit and accepts it at the limit", () => {
    expect(() => parseJson("[".repeat(10) + "]".repeat(10), 10)).not.toThrow();
    expect(() => parseJson("[".repeat(11) + "]".repeat(11), 10)).toThrow("nesting too deep");
    expect(() => parseJson('{"a":'.repeat(11) + "1" + "}".repeat(11), 10)).toThrow("nesting too deep");
  });

  it("refuses invalid UTF-8 and a byte-order mark", () => {
    expect(() => parseJsonBytes(new Uint8Array([0x22, 0xc3, 0x28, 0x22]), 8)).toThrow("invalid UTF-8");
    expect(() => parseJsonBytes(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]), 8)).toThrow("invalid UTF-8");
    expect(() => parseJsonBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), 8)).toThrow(JsonSyntaxError);
    expect(parseJsonBytes(new TextEncoder().encode('{"é":"ü"}'), 8)).toEqual({ é: "ü" });
  });

  it("keeps __proto__ from changing the prototype even where JSON.parse would create the key", () => {
    expect(Object.getPrototypeOf(parseJson('{"a":{"b":1}}', 8))).toBe(Object.prototype);
  });

  it("round-trips any JSON value (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        const hasForbiddenKey = /"(__proto__|constructor|prototype)":/.test(text);
        if (hasForbiddenKey) return;
        expect(JSON.stringify(parseJson(text, 64))).toBe(JSON.stringify(JSON.parse(text)));
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it("never throws anything but JsonSyntaxError on arbitrary or mutated input (property)", () => {
    const base = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}';
    const mutated = fc.tuple(fc.nat(base.length), fc.nat(base.length), fc.string({ maxLength: 8 })).map(([at, cut, insert]) => base.slice(0, at) + insert + base.slice(Math.min(base.length, at + (cut % 6))));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 64 }), mutated), (text) => {
        try {
          const value = parseJson(text, 64);
          // Whatever was accepted is JSON that the platform parser reads the same way.
          expect(JSON.stringify(value)).toBe(JSON.stringify(JSON.parse(text)));
        } catch (error) {
          expect(error).toBeInstanceOf(JsonSyntaxError);
        }
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});

describe("strict JSON parser, reasons and offsets", () => {
  const failure = (text: string, maxDepth = 64) => {
    try {
      parseJson(text, maxDepth);
    } catch (error) {
      return { reason: (error as JsonSyntaxError).reason, offset: (error as JsonSyntaxError).offset, message: (error as JsonSyntaxError).message };
    }
    return "accepted";
  };

  it.each([
    ['{"a":1,"a":2}', "duplicate key", 7],
    ['{"prototype":1}', 'forbidden key "prototype"', 1],
    ['{"__proto__":1}', 'forbidden key "__proto__"', 1],
    ["[tru]", "invalid literal", 1],
    ["[nul]", "invalid literal", 1],
    ["[fals]", "invalid literal", 1],
    ["[-]", "invalid number", 1],
    ["[-x]", "invalid number", 1],
    ['"\\u12G4"', "invalid unicode escape", 1],
    ['"\\u12"', "invalid unicode escape", 1],
    ['"ab\\', "invalid escape", 3],
    ['{"a" 1}', "expected ':'", 5],
    ['{"a":1 "b":2}', "expected ',' or '}'", 7],
    ["[1 2]", "expected ',' or ']'", 3],
    ["{,}", "expected a string key", 1],
    ['{"a":1,}', "expected a string key", 7],
    ["[1] x", "unexpected data after the JSON value", 4],
    ["x", "unexpected character", 0],
    ["[", "unexpected end of input", 1],
    ["[1e999]", "number out of range", 1],
  ])("refuses %s: %s at offset %i", (text, reason, offset) => {
    expect(failure(text)).toEqual({ reason, offset, message: `${reason} at offset ${offset}` });
  });

  it("reads every JSON whitespace character, and nothing else as whitespace", () => {
    expect(parseJson(" \t\r\n[ \t\r\n1 \t\r\n, \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n2 \t\r\n} \t\r\n] \t\r\n", 8)).toEqual([1, { a: 2 }]);
    expect(failure("[1,\u00a02]")).toMatchObject({ reason: "unexpected character" });
    expect(failure("\u000b1")).toMatchObject({ reason: "unexpected character" });
    expect(failure("1\f")).toMatchObject({ reason: "unexpected data after the JSON value" });
  });

  it("parses numbers, escapes and literals exactly", () => {
    expect(parseJson("[0, -0.5, 12.25e-1, 3E2, true, false, null]", 8)).toEqual([0, -0.5, 1.225, 300, true, false, null]);
    expect(parseJson('"\\u0041\\u00e9\\uD83D\\uDE00x"', 8)).toBe("A\u00e9\u{1F600}x");
    expect(parseJson('"a\\"b"', 8)).toBe('a"b');
    expect(parseJson('{"a":[],"b":{}}', 8)).toEqual({ a: [], b: {} });
    expect(parseJson("[ ]", 8)).toEqual([]);
    expect(parseJson("{ }", 8)).toEqual({});
  });

  it("counts depth for objects and arrays alike", () => {
    expect(parseJson('{"a":[{"b":1}]}', 3)).toEqual({ a: [{ b: 1 }] });
    expect(failure('{"a":[{"b":1}]}', 2)).toMatchObject({ reason: "nesting too deep", offset: 6 });
    expect(failure("[[1]]", 1)).toMatchObject({ reason: "nesting too deep", offset: 1 });
    expect(parseJson("1", 0)).toBe(1);
    expect(failure("[]", 0)).toMatchObject({ reason: "nesting too deep", offset: 0 });
    expect(failure("{}", 0)).toMatchObject({ reason: "nesting too deep", offset: 0 });
  });

  it("reports invalid UTF-8 at offset 0", () => {
    try {
      parseJsonBytes(new Uint8Array([0xff]), 8);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ reason: "invalid UTF-8", offset: 0 });
    }
  });
});

describe("canonical JSON", () => {
  it("sorts keys at every level, keeps array order and leaves no whitespace", () => {
    expect(canonicalJson({ b: 1, a: [3, { d: null, c: "x" }], "": true })).toBe('{"":true,"a":[3,{"c":"x","d":null}],"b":1}');
    expect(canonicalJson([])).toBe("[]");
    expect(canonicalJson({})).toBe("{}");
    expect(canonicalJson("q\"")).toBe('"q\\""');
    expect(canonicalJson(null)).toBe("null");
    expect(canonicalJson(1.5)).toBe("1.5");
  });
});
