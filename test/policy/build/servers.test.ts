// `servers:` in the compiler: namespaces and renames compiled, and every way two tools could end up
// with one name refused at build time.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { compilePolicy, type PolicySource } from "../../../src/policy/build/compile.js";
import { compileProblems } from "../../support/policy.js";
import { canonicalJson } from "../../../src/mcp/json.js";

const origins = { a: { url: "https://a.example/mcp" }, b: { url: "https://b.example/mcp" }, c: { url: "https://c.example/mcp" } };
const pinned = (origin: string, tools: string[]): PolicySource => ({ file: `pins/${origin}.yaml`, content: { origin, tools: Object.fromEntries(tools.map((name) => [name, pin(name)])) } });

function pin(name: string) {
  const definition = { name, description: `tool ${name}`, inputSchema: { type: "object" } };
  return { sha256: createHash("sha256").update(canonicalJson(definition)).digest("hex"), definition };
}

const problems = (servers: unknown, pins: PolicySource[] = []) => compileProblems([{ file: "p.yaml", content: { origins, servers } }], pins);

describe("virtual servers in policy", () => {
  it("compiles namespaces (the origin's name by default) and renames", () => {
    const policy = compilePolicy([{ file: "p.yaml", content: { origins, servers: { all: { origins: [{ origin: "a" }, { origin: "b", namespace: "bee", rename: { add: "sum" } }] } } } }]);
    expect(policy.servers.all).toEqual({
      listTimeoutMs: 5000,
      origins: [
        { origin: "a", namespace: "a", prefix: "a__", rename: {} },
        { origin: "b", namespace: "bee", prefix: "bee__", rename: { add: "sum" } },
      ],
    });
  });

  it("refuses a rename on an origin without a namespace (the new name could be one of its own tools)", () => {
    expect(problems({ solo: { origins: [{ origin: "a", namespace: "", rename: { "delete-all": "echo" } }] } })).toEqual([
      'p.yaml: servers.solo.origins.0.rename: an origin without a namespace keeps its own names; give it a namespace to rename its tools',
    ]);
  });

  it("refuses two renames to one name", () => {
    expect(problems({ all: { origins: [{ origin: "a", rename: { add: "sum" } }, { origin: "b", rename: { plus: "sum" } }] } })).toEqual([
      `p.yaml: servers.all.origins.1.rename.plus: "sum" is already the name of a's "add"`,
    ]);
  });

  it("refuses a new name that could be another origin's namespaced tool", () => {
    expect(problems({ all: { origins: [{ origin: "a", rename: { add: "b__add" } }, { origin: "b" }] } })).toEqual([
      `p.yaml: servers.all: the new name "b__add" of a's "add" begins with the namespace prefix "b__" and could collide with a tool of "b"`,
    ]);
  });

  it("refuses namespaces whose prefixes overlap, an origin listed twice, unknown origins and a server named like an origin", () => {
    expect(problems({ all: { origins: [{ origin: "a", namespace: "x" }, { origin: "b", namespace: "x__y" }] } })[0]).toMatch(/namespace: "x__y" and "x" could name one tool twice/);
    expect(problems({ all: { origins: [{ origin: "a" }, { origin: "b", namespace: "a" }] } })[0]).toMatch(/could name one tool twice/);
    expect(problems({ all: { origins: [{ origin: "a" }, { origin: "a", namespace: "z" }] } })).toContain(`p.yaml: servers.all.origins.1.origin: "a" is listed twice`);
    expect(problems({ all: { origins: [{ origin: "nope" }] } })).toContain(`p.yaml: servers.all.origins.0.origin: unknown origin "nope"`);
    expect(problems({ a: { origins: [{ origin: "b" }] } })).toContain("p.yaml: servers.a: an origin has this name; endpoints /mcp/<name> must be unique");
  });

  it("lets only a server's one origin go without a namespace", () => {
    expect(problems({ solo: { origins: [{ origin: "a", namespace: "" }] } })).toEqual([]);
    expect(problems({ all: { origins: [{ origin: "a", namespace: "" }, { origin: "b" }] } })).toContain("p.yaml: servers.all.origins.0.namespace: only a server's one origin may go without a namespace");
  });

  it("refuses renaming a tool a pinned origin's pins do not know", () => {
    expect(problems({ all: { origins: [{ origin: "a", rename: { ad: "sum" } }] } }, [pinned("a", ["add"])])).toEqual([`p.yaml: servers.all.origins.0.rename.ad: the pins of "a" know no such tool`]);
    expect(problems({ all: { origins: [{ origin: "a", rename: { add: "sum" } }] } }, [pinned("a", ["add"])])).toEqual([]);
  });
});
