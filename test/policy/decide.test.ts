import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/policy/build/compile.js";
import { PolicyEngine } from "../../src/policy/decide.js";
import { pathProblem, urlProblem } from "../../src/policy/arguments.js";
import { filterListing } from "../../src/policy/filter.js";
import { METHODS } from "../../src/mcp/methods.js";
import type { TargetKind } from "../../src/policy/types.js";

const engine = new PolicyEngine(
  compilePolicy([
    {
      file: "p.yaml",
      content: {
        origins: { o: { url: "https://o.example/mcp" }, other: { url: "https://other.example/mcp" } },
        roles: { viewer: {}, ops: { inherits: ["viewer"] }, admin: { inherits: ["ops"] } },
        rules: [
          { id: "files", effect: "allow", roles: ["viewer"], origin: "o", tools: ["read_file"], arguments: { path: { type: "string", required: true, path: { roots: ["/srv/data"] } } } },
          { id: "fetch", effect: "allow", roles: ["viewer"], origin: "o", tools: ["fetch"], arguments: { url: { type: "string", url: { hosts: ["api.example.com", "*.docs.example.com"] } } } },
          { id: "shell", effect: "allow", roles: ["ops"], origin: "o", tools: ["run"], arguments: { cmd: { type: "string", shellSafe: true, maxLength: 100 }, count: { type: "integer", min: 1, max: 5 } } },
          { id: "db-read", effect: "allow", roles: ["ops"], origin: "o", tools: ["db_*"], arguments: { sql: { type: "string", pattern: "SELECT [a-z_, ]+ FROM [a-z_]+" } } },
          { id: "db-drop", effect: "deny", roles: ["ops"], origin: "o", tools: ["db_drop*"] },
          { id: "admin-all", effect: "allow", roles: ["admin"], origin: "o", tools: ["*"], additionalArguments: true },
          { id: "docs", effect: "allow", roles: ["viewer"], origin: "o", resources: ["docs://public/*"] },
        ],
      },
    },
  ]),
);
const roles = (...names: string[]) => engine.expandRoles(names);

describe("policy decisions", () => {
  it("denies by default, and denies what is not named", () => {
    expect(engine.decide("o", "tool", "unknown", roles("viewer"), {})).toMatchObject({ effect: "deny", rule: "default-deny" });
    expect(engine.decide("other", "tool", "read_file", roles("admin"), { path: "/srv/data/x" })).toMatchObject({ effect: "deny", rule: "default-deny" });
    expect(engine.decide("o", "tool", "read_file", roles("nobody"), { path: "/srv/data/x" })).toMatchObject({ effect: "deny", rule: "default-deny" });
  });

  it("lets a deny win over any allow, including a wildcard and an exact prefix match", () => {
    expect(engine.decide("o", "tool", "db_query", roles("ops"), { sql: "SELECT a FROM t" })).toMatchObject({ effect: "allow", rule: "db-read" });
    expect(engine.decide("o", "tool", "db_drop_table", roles("ops"), { sql: "SELECT a FROM t" })).toMatchObject({ effect: "deny", rule: "db-drop" });
    expect(engine.decide("o", "tool", "db_drop_table", roles("admin"), {})).toMatchObject({ effect: "deny", rule: "db-drop" });
  });

  it("allows through another allow rule when the most specific one rejects the arguments", () => {
    expect(engine.decide("o", "tool", "run", roles("ops"), { cmd: "ls; rm -rf /" })).toMatchObject({ effect: "deny", rule: "shell" });
    expect(engine.decide("o", "tool", "run", roles("admin"), { cmd: "ls; rm -rf /" })).toMatchObject({ effect: "allow", rule: "admin-all" });
  });

  it.each([
    [{ path: "/srv/data/report.txt" }, "allow"],
    [{ path: "/srv/data" }, "allow"],
    [{ path: "/srv/data/./a//b" }, "allow"],
    [{ path: "/srv/data/../etc/passwd" }, "deny"],
    [{ path: "/srv/database/x" }, "deny"],
    [{ path: "/srv/data/%2e%2e/etc" }, "deny"],
    [{ path: "/srv/data\\..\\etc" }, "deny"],
    [{ path: "srv/data/x" }, "deny"],
    [{ path: "/srv/data/x\u0000.txt" }, "deny"],
    [{}, "deny"],
    [{ path: "/srv/data/x", mode: "w" }, "deny"],
    [{ path: 42 }, "deny"],
  ])("checks paths: %j → %s", (args, effect) => {
    expect(engine.decide("o", "tool", "read_file", roles("viewer"), args as never).effect).toBe(effect);
  });

  it.each([
    ["https://api.example.com/v1", "allow"],
    ["https://v2.docs.example.com/x", "allow"],
    ["https://docs.example.com/x", "deny"],
    ["http://api.example.com/v1", "deny"],
    ["https://api.example.com.evil.net/", "deny"],
    ["https://user:pw@api.example.com/", "deny"],
    ["https://169.254.169.254/latest/meta-data", "deny"],
    ["https://127.0.0.1/", "deny"],
    ["https://[::1]/", "deny"],
    ["https://0x7f.1/", "deny"],
    ["file:///etc/passwd", "deny"],
    ["not a url", "deny"],
  ])("checks URLs: %s → %s", (url, effect) => {
    expect(engine.decide("o", "tool", "fetch", roles("viewer"), { url }).effect).toBe(effect);
  });

  it.each([
    [{ cmd: "/tmp/report.txt", count: 2 }, "allow"],
    [{ cmd: "ls -la /tmp" }, "deny"],
    [{ cmd: "--checkpoint-action=exec=sh" }, "deny"],
    [{ cmd: "-oProxyCommand=nc" }, "deny"],
    [{ cmd: "--upload-pack=touch" }, "deny"],
    [{ cmd: "a=b" }, "deny"],
    [{ cmd: "ls `id`" }, "deny"],
    [{ cmd: "ls $(id)" }, "deny"],
    [{ cmd: "ls | sh" }, "deny"],
    [{ cmd: "ls\nid" }, "deny"],
    [{ cmd: "ls", count: 6 }, "deny"],
    [{ cmd: "ls", count: 2.5 }, "deny"],
    [{ cmd: "x".repeat(101) }, "deny"],
  ])("checks shell-safe strings, ranges and lengths: %j → %s", (args, effect) => {
    expect(engine.decide("o", "tool", "run", roles("ops"), args).effect).toBe(effect);
  });

  it("anchors patterns to the whole value", () => {
    expect(engine.decide("o", "tool", "db_query", roles("ops"), { sql: "SELECT a FROM t; DROP TABLE t" }).effect).toBe("deny");
  });

  it("explains a decision rule by rule", () => {
    const trace: string[] = [];
    engine.decide("o", "tool", "run", roles("admin"), { cmd: "a;b" }, trace);
    expect(trace).toEqual([expect.stringContaining("shell (p.yaml#rules.2): allow rejected: argument \"cmd\""), expect.stringContaining("admin-all (p.yaml#rules.5): allow matches")]);
  });

  it("matches resources by prefix and keeps listings to what the caller may use", () => {
    expect(engine.decide("o", "resource", "docs://public/a.md", roles("viewer")).effect).toBe("allow");
    expect(engine.decide("o", "resource", "docs://private/a.md", roles("viewer")).effect).toBe("deny");
    const visible = (kind: TargetKind, name: string) => engine.isVisible("o", kind, name, roles("ops"));
    const { result, removed } = filterListing(METHODS["tools/list"]!.listing!, { tools: [{ name: "run" }, { name: "db_drop_all" }, { name: "get_secret" }, { notAName: 1 }, "junk"], nextCursor: "c2" }, visible);
    expect(result).toEqual({ tools: [{ name: "run" }], nextCursor: "c2" });
    expect(removed).toBe(4);
  });

  it("takes the same time whatever the policy size (index, not scan)", () => {
    // Behavioural stand-in for the benchmark: a decision touches only rules that name the target.
    const rules = Array.from({ length: 5000 }, (_, i) => ({ id: `r${i}`, effect: "allow", roles: ["viewer"], origin: "o", tools: [`tool_${i}`] }));
    const big = new PolicyEngine(compilePolicy([{ file: "big.yaml", content: { origins: { o: { url: "https://o.example/mcp" } }, roles: { viewer: {} }, rules } }]));
    const trace: string[] = [];
    expect(big.decide("o", "tool", "tool_4321", big.expandRoles(["viewer"]), {}, trace)).toEqual({ effect: "allow", rule: "r4321" });
    expect(trace).toHaveLength(1);
  });
});

describe("argument validators", () => {
  it("contain paths in roots", () => {
    expect(pathProblem("/a/b", ["/"])).toBeUndefined();
    expect(pathProblem("/ab", ["/a"])).toBe("is outside the allowed directories");
  });
  it("refuse URL tricks: only a URL written as every parser reads it passes", () => {
    const api = { schemes: ["https", "http"], hosts: ["api.example.com", "*.example.com"] };
    expect(urlProblem("https://api.example.com/v1?q=1", api)).toBeUndefined();
    expect(urlProblem("https://api.example.com", api)).toBeUndefined();
    for (const trick of [
      "https://API.EXAMPLE.COM/",
      "https://api.example.com@evil.net/",
      "http://api.example.com\\@169.254.169.254/",
      "http://api.example.com\\@169.254.169.254/latest",
      "https://api.example.com/a/../../etc",
      "https://api.example.com/%2e%2e/x",
      "https://api.example.com\t/",
      " https://api.example.com/",
      "https://api.example.com./",
      "https://evilexample.com/",
      "https://example.com.evil.net/",
      "http://2130706433/",
      "http://0x7f.0.0.1/",
      "http://0177.0.0.1/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:a9fe:a9fe]/",
    ]) {
      expect({ trick, problem: urlProblem(trick, api) }).toEqual({ trick, problem: expect.any(String) });
    }
    expect(urlProblem("https://a.b.example.com/", api)).toBeUndefined();
  });
});

describe("rule precedence among allows, and listings' shapes", () => {
  // Built inside each test, so that mutation testing sees the index construction covered by them.
  const build = () => new PolicyEngine(
    compilePolicy([
      {
        file: "layers.yaml",
        content: {
          origins: { o: { url: "https://o.example/mcp" } },
          roles: { viewer: {} },
          rules: [
            { id: "any", effect: "allow", roles: ["viewer"], origin: "o", tools: ["*"] },
            { id: "short", effect: "allow", roles: ["viewer"], origin: "o", tools: ["d*"] },
            { id: "mid", effect: "allow", roles: ["viewer"], origin: "o", tools: ["db_*"] },
            { id: "long", effect: "allow", roles: ["viewer"], origin: "o", tools: ["db_query*"] },
            { id: "exact", effect: "allow", roles: ["viewer"], origin: "o", tools: ["db_query_all"] },
            { id: "scrubbed", effect: "allow", roles: ["viewer"], origin: "o", prompts: ["p"], scrub: { families: ["credentials"], action: "refuse" } },
            { id: "no-x", effect: "deny", roles: ["viewer"], origin: "o", resources: ["x://*"] },
          ],
        },
      },
    ]),
  );
  const viewer = build().expandRoles(["viewer"]);

  it("takes the exact name, then the longest prefix, then the wildcard, whatever the order written", () => {
    const layered = build();
    expect(layered.decide("o", "tool", "db_query_all", viewer, {})).toEqual({ effect: "allow", rule: "exact" });
    expect(layered.decide("o", "tool", "db_query_one", viewer, {})).toEqual({ effect: "allow", rule: "long" });
    expect(layered.decide("o", "tool", "db_x", viewer, {})).toEqual({ effect: "allow", rule: "mid" });
    expect(layered.decide("o", "tool", "dx", viewer, {})).toEqual({ effect: "allow", rule: "short" });
    expect(layered.decide("o", "tool", "x", viewer, {})).toEqual({ effect: "allow", rule: "any" });
    const trace: string[] = [];
    layered.decide("o", "tool", "db_query_all", viewer, undefined, trace);
    expect(trace).toHaveLength(1);
  });

  it("gives an allowing rule's scrub settings with its verdict, and explains denies", () => {
    const layered = build();
    expect(layered.decide("o", "prompt", "p", viewer, {})).toEqual({ effect: "allow", rule: "scrubbed", scrub: { families: ["credentials"], action: "refuse", allow: [] } });
    const trace: string[] = [];
    expect(layered.decide("o", "resource", "x://a", viewer, undefined, trace)).toEqual({ effect: "deny", rule: "no-x", reason: "denied by rule no-x" });
    expect(trace).toEqual(["no-x (layers.yaml#rules.6): deny matches"]);
    const none: string[] = [];
    expect(layered.decide("o", "resource", "y://a", viewer, undefined, none)).toEqual({ effect: "deny", rule: "default-deny", reason: "no rule allows this resource" });
    expect(none).toEqual(['default-deny: no rule allows resource "y://a" for these roles']);
  });

  it("empties a listing whose field is not an array, and drops items that are no objects or have no string name", () => {
    const visible = () => true;
    const listing = METHODS["tools/list"]!.listing!;
    expect(filterListing(listing, { tools: "x", nextCursor: "c" }, visible)).toEqual({ result: { tools: [], nextCursor: "c" }, removed: 0 });
    expect(filterListing(listing, {}, visible)).toEqual({ result: { tools: [] }, removed: 0 });
    expect(filterListing(listing, { tools: [null, 1, "a", [{ name: "x" }], { name: 5 }, { name: "ok" }] }, visible)).toEqual({ result: { tools: [{ name: "ok" }] }, removed: 5 });
    const byUri = METHODS["resources/list"]!.listing!;
    expect(filterListing(byUri, { resources: [{ uri: "a://x", name: "n" }, { name: "a://x" }] }, (kind, name) => kind === "resource" && name === "a://x")).toEqual({ result: { resources: [{ uri: "a://x", name: "n" }] }, removed: 1 });
  });
});
