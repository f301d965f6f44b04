// `servers:` in the compiler: namespaces and renames compiled, and every way two tools could end up
// with one name refused at build time.

import { spawnSync } from "node:child_process";
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

describe("rules naming tools by a virtual server's names", () => {
  const roles = { viewer: {} };
  const servers = { all: { origins: [{ origin: "a" }, { origin: "b", namespace: "bee", rename: { add: "sum" } }] } };
  const withRule = (rule: Record<string, unknown>, pins: PolicySource[] = []): [PolicySource[], PolicySource[]] => [[{ file: "p.yaml", content: { origins, roles, servers, rules: [{ id: "r", effect: "allow", roles: ["viewer"], ...rule }] } }], pins];
  const compiledRules = (rule: Record<string, unknown>, pins: PolicySource[] = []) => compilePolicy(...withRule(rule, pins)).rules.map(({ origin, kind, patterns }) => ({ origin, kind, patterns }));
  const ruleProblems = (rule: Record<string, unknown>, pins: PolicySource[] = []) => compileProblems(...withRule(rule, pins));

  it("compiles into rules of the origins the names reach, in the origins' own names", () => {
    expect(compiledRules({ server: "all", tools: ["a__echo", "sum", "bee__*"], prompts: ["a__greet"], resources: ["mcpw:bee:file:///*"] })).toEqual([
      { origin: "a", kind: "tool", patterns: ["echo"] },
      { origin: "a", kind: "prompt", patterns: ["greet"] },
      { origin: "b", kind: "tool", patterns: ["add", "*"] },
      { origin: "b", kind: "resource", patterns: ["file:///*"] },
    ]);
    // A server's one origin without a namespace keeps its own names.
    const solo = compilePolicy([{ file: "p.yaml", content: { origins, roles, servers: { solo: { origins: [{ origin: "c", namespace: "" }] } }, rules: [{ id: "r", effect: "allow", roles: ["viewer"], server: "solo", tools: ["echo"] }] } }]);
    expect(solo.rules.map(({ origin, patterns }) => ({ origin, patterns }))).toEqual([{ origin: "c", patterns: ["echo"] }]);
  });

  it("refuses names that reach no origin, patterns that could reach several, and a renamed tool by its old name", () => {
    expect(ruleProblems({ server: "all", tools: ["echo", "*", "bee__add", "c__echo"], resources: ["file:///x"] })).toEqual([
      'p.yaml: rules.0.tools: "echo" names no tool of server "all": begin it with a namespace prefix ("a__", "bee__") or use a tool\'s new name',
      'p.yaml: rules.0.tools: "*" could name tools of several origins of server "all": begin it with one namespace prefix ("a__", "bee__")',
      'p.yaml: rules.0.tools: "bee__add": server "all" lists b\'s "add" as "sum" only; name it so',
      'p.yaml: rules.0.tools: "c__echo" names no tool of server "all": begin it with a namespace prefix ("a__", "bee__") or use a tool\'s new name',
      'p.yaml: rules.0.resources: "file:///x" names no resource of server "all": begin it with "mcpw:<namespace>:" (a, bee)',
    ]);
  });

  it("refuses a tool a pinned origin does not have, an unknown server, and a rule naming both or neither", () => {
    expect(ruleProblems({ server: "all", tools: ["a__echo", "a__gone"] }, [pinned("a", ["echo"])])).toEqual(['p.yaml: rules.0.tools: "a__gone": the pins of "a" know no tool "gone"']);
    expect(ruleProblems({ server: "nowhere", tools: ["a__echo"] })).toEqual(['p.yaml: rules.0.server: unknown server "nowhere"']);
    expect(ruleProblems({ server: "all", origin: "a", tools: ["echo"] })).toEqual(["p.yaml: rules.0.origin: a rule names either an origin or a virtual server"]);
    expect(ruleProblems({ tools: ["echo"] })).toEqual(["p.yaml: rules.0.origin: a rule names either an origin or a virtual server"]);
    expect(ruleProblems({ server: "all", methods: ["ping"] })).toEqual(["p.yaml: rules.0.server: a rule under server: names tools, prompts and resources; rule serverRequests and methods per origin"]);
  });
});

describe("policy explain on a virtual server", () => {
  const cli = (...args: string[]) => spawnSync("node_modules/.bin/tsx", ["cli/main.ts", "policy", "explain", ...args], { encoding: "utf8" });

  it("routes the name as the server lists it to its origin's tool, then explains that origin's decision", () => {
    const renamed = cli("--role", "viewer", "--origin", "all", "--tool", "add-numbers", "--args", '{"a":1,"b":2}');
    expect(renamed.stdout).toContain("server all: tool add-numbers is toolbox's add");
    expect(renamed.stdout).toContain("ALLOW by viewer-add");
    const unknown = cli("--role", "viewer", "--origin", "all", "--tool", "toolbox__add");
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain("server all has no tool named toolbox__add");
  }, 30_000);
});
