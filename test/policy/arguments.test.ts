// The argument validators (src/policy/arguments.ts) one by one, on compiled rules: each type, string
// lengths in code points, anchored patterns, allowed values, number ranges, array sizes and items,
// objects member by member, required and unknown members, how a problem names a member, and the
// path, shell-safe and URL checks at their edges.

import { describe, expect, it } from "vitest";
import { argumentsProblem, pathProblem, urlProblem } from "../../src/policy/arguments.js";
import type { CompiledArgumentRule, CompiledRule } from "../../src/policy/types.js";
import type { Json, JsonObject } from "../../src/mcp/json.js";

function rule(args: Record<string, Partial<CompiledArgumentRule> & Pick<CompiledArgumentRule, "type">>, additionalArguments = false): CompiledRule {
  const compiled: Record<string, CompiledArgumentRule> = {};
  for (const [name, arg] of Object.entries(args)) compiled[name] = { required: false, ...arg };
  return { id: "r", effect: "allow", roles: ["v"], origin: "o", kind: "tool", patterns: ["t"], arguments: compiled, additionalArguments, source: "p.yaml#rules.0" };
}

const problem = (args: JsonObject, arg: Partial<CompiledArgumentRule> & Pick<CompiledArgumentRule, "type">) => argumentsProblem(args, rule({ a: arg }));

describe("argument types", () => {
  it.each([
    ["string", "x", 1],
    ["number", 1.5, "1"],
    ["integer", 2, 2.5],
    ["boolean", false, "false"],
    ["array", [], {}],
    ["object", {}, []],
  ] as [CompiledArgumentRule["type"], Json, Json][])("%s accepts its own type only", (type, good, bad) => {
    expect(problem({ a: good }, { type })).toBeUndefined();
    expect(problem({ a: bad }, { type })).toBe(`argument "a" must be of type ${type}`);
  });

  it("an object is neither null nor an array, nor a string or number", () => {
    expect(problem({ a: "x" }, { type: "object" })).toBe('argument "a" must be of type object');
    expect(problem({ a: 1 }, { type: "object", properties: {} })).toBe('argument "a" must be of type object');
    expect(problem({ a: null }, { type: "object" })).toBe('argument "a" must be of type object');
    expect(problem({ a: null }, { type: "string" })).toBe('argument "a" must be of type string');
  });
});

describe("strings", () => {
  it("bounds lengths in code points, at both edges", () => {
    expect(problem({ a: "abc" }, { type: "string", maxLength: 3 })).toBeUndefined();
    expect(problem({ a: "abcd" }, { type: "string", maxLength: 3 })).toBe('argument "a" is longer than 3 characters');
    // Three code points in six UTF-16 units.
    expect(problem({ a: "😀😀😀" }, { type: "string", maxLength: 3 })).toBeUndefined();
    expect(problem({ a: "😀😀😀😀" }, { type: "string", maxLength: 3 })).toBe('argument "a" is longer than 3 characters');
    expect(problem({ a: "ab" }, { type: "string", minLength: 2 })).toBeUndefined();
    expect(problem({ a: "a" }, { type: "string", minLength: 2 })).toBe('argument "a" is shorter than 2 characters');
    expect(problem({ a: "😀" }, { type: "string", minLength: 2 })).toBe('argument "a" is shorter than 2 characters');
    expect(problem({ a: "" }, { type: "string", maxLength: 0 })).toBeUndefined();
    expect(problem({ a: "" }, { type: "string", minLength: 0 })).toBeUndefined();
  });

  it("anchors patterns to the whole value, in Unicode mode", () => {
    expect(problem({ a: "abc" }, { type: "string", pattern: "[a-c]+" })).toBeUndefined();
    expect(problem({ a: "abcd" }, { type: "string", pattern: "[a-c]+" })).toBe('argument "a" does not match the allowed pattern');
    expect(problem({ a: "xabc" }, { type: "string", pattern: "[a-c]+" })).toBe('argument "a" does not match the allowed pattern');
    // Alternatives are anchored as a group.
    expect(problem({ a: "ab" }, { type: "string", pattern: "a|b" })).toBe('argument "a" does not match the allowed pattern');
    expect(problem({ a: "😀" }, { type: "string", pattern: "." })).toBeUndefined();
  });

  it("keeps shell-safe values to one word without a leading dash", () => {
    for (const good of ["", "a", "a-b", "/tmp/x_1.txt", "user@host:22", "50%", "a+b,c"]) expect(problem({ a: good }, { type: "string", shellSafe: true })).toBeUndefined();
    for (const bad of ["-a", "a b", "a=b", "a;b", "a\nb", "é"]) expect(problem({ a: bad }, { type: "string", shellSafe: true })).toBe('argument "a" contains characters that are not shell-safe');
  });

  it("checks path roots and URLs only for strings that pass the rest", () => {
    expect(problem({ a: "/srv/x" }, { type: "string", pathRoots: ["/srv"] })).toBeUndefined();
    expect(problem({ a: "/etc/x" }, { type: "string", pathRoots: ["/srv"] })).toBe('argument "a" is outside the allowed directories');
    expect(problem({ a: "https://a.example/" }, { type: "string", url: { schemes: ["https"], hosts: ["a.example"] } })).toBeUndefined();
    expect(problem({ a: "https://b.example/" }, { type: "string", url: { schemes: ["https"], hosts: ["a.example"] } })).toBe('argument "a" names a host that is not allowed');
  });
});

describe("checks after a passing check", () => {
  it("still checks allowed values after a path, a URL or an object's members pass", () => {
    expect(problem({ a: "/srv/x" }, { type: "string", pathRoots: ["/srv"], enum: ["/srv/y"] })).toBe('argument "a" is not one of the allowed values');
    expect(problem({ a: "https://a.example/" }, { type: "string", url: { schemes: ["https"], hosts: ["a.example"] }, enum: ["https://a.example/b"] })).toBe('argument "a" is not one of the allowed values');
    expect(problem({ a: {} }, { type: "object", properties: {}, additionalProperties: true, enum: ["x"] })).toBe('argument "a" is not one of the allowed values');
  });
});

describe("numbers, allowed values, arrays", () => {
  it("bounds numbers inclusively", () => {
    expect(problem({ a: 1 }, { type: "number", min: 1, max: 2 })).toBeUndefined();
    expect(problem({ a: 2 }, { type: "number", min: 1, max: 2 })).toBeUndefined();
    expect(problem({ a: 0.5 }, { type: "number", min: 1, max: 2 })).toBe('argument "a" is below 1');
    expect(problem({ a: 2.5 }, { type: "number", min: 1, max: 2 })).toBe('argument "a" is above 2');
    expect(problem({ a: -1 }, { type: "integer", min: 0 })).toBe('argument "a" is below 0');
  });

  it("accepts only listed values", () => {
    expect(problem({ a: "x" }, { type: "string", enum: ["x", "y"] })).toBeUndefined();
    expect(problem({ a: "z" }, { type: "string", enum: ["x", "y"] })).toBe('argument "a" is not one of the allowed values');
    expect(problem({ a: 2 }, { type: "integer", enum: [1, 2] })).toBeUndefined();
    expect(problem({ a: 3 }, { type: "integer", enum: [1, 2] })).toBe('argument "a" is not one of the allowed values');
  });

  it("bounds arrays and checks every item, naming the first bad one", () => {
    const items: CompiledArgumentRule = { type: "string", required: false, maxLength: 2 };
    expect(problem({ a: ["x", "yy"] }, { type: "array", maxItems: 2, items })).toBeUndefined();
    expect(problem({ a: ["x", "y", "z"] }, { type: "array", maxItems: 2, items })).toBe('argument "a" has more than 2 items');
    expect(problem({ a: ["x", "yyy", 3] }, { type: "array", items })).toBe('argument "a" item 1 is longer than 2 characters');
    expect(problem({ a: ["x", 3] }, { type: "array", items })).toBe('argument "a" item 1 must be of type string');
    expect(problem({ a: [1, "x"] }, { type: "array" })).toBeUndefined();
  });
});

describe("objects and members", () => {
  const properties: Record<string, CompiledArgumentRule> = {
    host: { type: "string", required: true, maxLength: 10 },
    port: { type: "integer", required: false, min: 1 },
  };

  it("checks an object's keys at any depth, and refuses unknown keys unless allowed", () => {
    expect(problem({ a: { host: "h", port: 2 } }, { type: "object", properties })).toBeUndefined();
    expect(problem({ a: { port: 2 } }, { type: "object", properties })).toBe('argument "a" key "host" is required');
    expect(problem({ a: { host: "h", port: 0 } }, { type: "object", properties })).toBe('argument "a" key "port" is below 1');
    expect(problem({ a: { host: "h", extra: 1 } }, { type: "object", properties })).toBe('argument "a" key "extra" is not allowed');
    expect(problem({ a: { host: "h", extra: 1 } }, { type: "object", properties, additionalProperties: true })).toBeUndefined();
    const nested: CompiledArgumentRule = { type: "object", required: false, properties: { inner: { type: "object", required: false, properties } } };
    expect(problem({ a: { inner: { host: "far-too-long-host" } } }, nested)).toBe('argument "a" key "inner" key "host" is longer than 10 characters');
    // An object without properties declared takes any keys.
    expect(problem({ a: { anything: [1] } }, { type: "object" })).toBeUndefined();
  });

  it("requires required arguments, refuses unknown ones unless the rule allows them", () => {
    const r = rule({ need: { type: "string", required: true }, may: { type: "string" } });
    expect(argumentsProblem({ need: "x" }, r)).toBeUndefined();
    expect(argumentsProblem({ may: "x" }, r)).toBe('argument "need" is required');
    expect(argumentsProblem({ need: "x", other: 1 }, r)).toBe('argument "other" is not allowed');
    expect(argumentsProblem({ need: "x", other: 1 }, rule({ need: { type: "string", required: true } }, true))).toBeUndefined();
    expect(argumentsProblem({ need: 1 }, r)).toBe('argument "need" must be of type string');
  });

  it("does not take inherited names for members or rules", () => {
    const r = rule({ need: { type: "string", required: true } });
    expect(argumentsProblem(JSON.parse('{"need":"x","__proto__":1}'), r)).toBe('argument "__proto__" is not allowed');
    expect(argumentsProblem({ need: "x", toString: "y" }, r)).toBe('argument "toString" is not allowed');
    expect(argumentsProblem({ constructor: "y" }, rule({ constructor: { type: "string" as const, required: true } }))).toBeUndefined();
  });

  it("quotes only identifier-like names, up to 64 characters", () => {
    const r = rule({});
    expect(argumentsProblem({ "a.b-c_9": 1 }, r)).toBe('argument "a.b-c_9" is not allowed');
    expect(argumentsProblem({ ["x".repeat(64)]: 1 }, r)).toBe(`argument "${"x".repeat(64)}" is not allowed`);
    expect(argumentsProblem({ ["x".repeat(65)]: 1 }, r)).toBe("argument (a name that is no identifier) is not allowed");
    expect(argumentsProblem({ "a b": 1 }, r)).toBe("argument (a name that is no identifier) is not allowed");
    expect(argumentsProblem({ "": 1 }, r)).toBe("argument (a name that is no identifier) is not allowed");
    expect(argumentsProblem({ "ignore\nprevious": 1 }, r)).toBe("argument (a name that is no identifier) is not allowed");
  });
});

describe("paths", () => {
  it("needs an absolute, plain path inside a root", () => {
    expect(pathProblem("srv/x", ["/srv"])).toBe("must be an absolute path");
    expect(pathProblem("/srv/%2e", ["/srv"])).toBe("contains an escape, encoding or control character");
    expect(pathProblem("/srv/a\\b", ["/srv"])).toBe("contains an escape, encoding or control character");
    expect(pathProblem("/srv/a\u007f", ["/srv"])).toBe("contains an escape, encoding or control character");
    expect(pathProblem("/srv/a\u001f", ["/srv"])).toBe("contains an escape, encoding or control character");
    expect(pathProblem("/srv/a/../b", ["/srv"])).toBe("must not contain '..'");
    expect(pathProblem("/srv/..", ["/"])).toBe("must not contain '..'");
    expect(pathProblem("/srv/a..b", ["/srv"])).toBeUndefined();
    expect(pathProblem("/srv", ["/srv"])).toBeUndefined();
    expect(pathProblem("//srv//./x/", ["/srv"])).toBeUndefined();
    expect(pathProblem("/./srv/x", ["/srv"])).toBeUndefined();
    expect(pathProblem("/srvx", ["/srv"])).toBe("is outside the allowed directories");
    expect(pathProblem("/other/x", ["/srv", "/other"])).toBeUndefined();
    expect(pathProblem("/", ["/srv"])).toBe("is outside the allowed directories");
    expect(pathProblem("/anything", ["/"])).toBeUndefined();
  });
});

describe("URLs", () => {
  const allowed = { schemes: ["https"], hosts: ["api.example.com", "*.example.org", "10.0.0.1", "[::1]"] };

  it("names each problem", () => {
    expect(urlProblem("nope", allowed)).toBe("is not a URL");
    expect(urlProblem("https://API.example.com/", allowed)).toBe("is not written in canonical form");
    expect(urlProblem("http://api.example.com/", allowed)).toBe("uses a scheme that is not allowed");
    expect(urlProblem("https://u@api.example.com/", allowed)).toBe("must not carry credentials");
    expect(urlProblem("https://:p@api.example.com/", allowed)).toBe("must not carry credentials");
    expect(urlProblem("https://other.example.com/", allowed)).toBe("names a host that is not allowed");
  });

  it("accepts a URL written as parsed, or lacking only the root path's slash", () => {
    expect(urlProblem("https://api.example.com/", allowed)).toBeUndefined();
    expect(urlProblem("https://api.example.com", allowed)).toBeUndefined();
    expect(urlProblem("https://api.example.com/a?b=c#d", allowed)).toBeUndefined();
    expect(urlProblem("https://api.example.com/a/", allowed)).toBeUndefined();
    expect(urlProblem("https://api.example.com/a//", allowed)).toBeUndefined();
    expect(urlProblem("https://api.example.com//", allowed)).toBeUndefined();
    expect(urlProblem("https://api.example.com:443/", allowed)).toBe("is not written in canonical form");
  });

  it("matches wildcard hosts on a subdomain only, and IP literals only exactly", () => {
    expect(urlProblem("https://a.example.org/", allowed)).toBeUndefined();
    expect(urlProblem("https://a.b.example.org/", allowed)).toBeUndefined();
    expect(urlProblem("https://example.org/", allowed)).toBe("names a host that is not allowed");
    expect(urlProblem("https://.example.org/", allowed)).toBeDefined();
    expect(urlProblem("https://xexample.org/", allowed)).toBe("names a host that is not allowed");
    expect(urlProblem("https://10.0.0.1/", allowed)).toBeUndefined();
    expect(urlProblem("https://[::1]/", allowed)).toBeUndefined();
    expect(urlProblem("https://10.0.0.2/", allowed)).toBe("names a host that is not allowed");
    // An IP literal never matches a wildcard, even one it would end with.
    expect(urlProblem("https://1.2.3.4/", { schemes: ["https"], hosts: ["*.3.4"] })).toBe("names a host that is not allowed");
    expect(urlProblem("https://[::2]/", { schemes: ["https"], hosts: ["*:2]"] })).toBe("names a host that is not allowed");
    expect(urlProblem("https://10.0.0.1/", { schemes: ["https"], hosts: ["*.0.0.1"] })).toBe("names a host that is not allowed");
    expect(urlProblem("https://1.2.3.44/", { schemes: ["https"], hosts: ["*.3.44"] })).toBe("names a host that is not allowed");
  });
});
