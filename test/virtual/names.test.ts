import { beforeEach, describe, expect, it } from "vitest";
import { ServerNames } from "../../src/virtual/names.js";

// Built inside each test, so that a mutant of the constructor counts against the tests that use it.
let names: ServerNames;
beforeEach(() => {
  names = new ServerNames({
    listTimeoutMs: 1000,
    origins: [
      { origin: "everything", namespace: "everything", prefix: "everything__", rename: {} },
      { origin: "toolbox", namespace: "tb", prefix: "tb__", rename: { add: "sum" } },
    ],
  });
});

describe("virtual server names", () => {
  it("lists its origins in server order", () => {
    expect(names.origins).toEqual(["everything", "toolbox"]);
  });

  it("maps tool and prompt names both ways, renames first", () => {
    expect(names.nameOut("tool", "everything", "echo")).toBe("everything__echo");
    expect(names.nameOut("tool", "toolbox", "add")).toBe("sum");
    expect(names.nameOut("prompt", "toolbox", "add")).toBe("tb__add");
    expect(names.nameIn("tool", "sum")).toEqual({ origin: "toolbox", name: "add" });
    expect(names.nameIn("tool", "tb__weather")).toEqual({ origin: "toolbox", name: "weather" });
    expect(names.nameIn("tool", "everything__a__b")).toEqual({ origin: "everything", name: "a__b" });
    expect(names.nameIn("prompt", "tb__add")).toEqual({ origin: "toolbox", name: "add" });
  });

  it("reaches a renamed tool by its new name only, and knows no name without an origin", () => {
    expect(names.nameIn("tool", "tb__add")).toBeUndefined();
    expect(names.nameIn("tool", "tb__")).toBeUndefined();
    expect(names.nameIn("tool", "echo")).toBeUndefined();
    expect(names.nameIn("prompt", "sum")).toBeUndefined();
  });

  it("maps resource URIs under the mcpw scheme and routes them back", () => {
    expect(names.uriOut("toolbox", "file:///a/b")).toBe("mcpw:tb:file:///a/b");
    expect(names.uriIn("mcpw:tb:file:///a/b")).toEqual({ origin: "toolbox", name: "file:///a/b" });
    expect(names.uriIn("mcpw:everything:demo://x/{id}")).toEqual({ origin: "everything", name: "demo://x/{id}" });
    for (const uri of ["file:///a", "mcpw:toolbox:file:///a", "mcpw:tb:", "mcpw::x", "abcd:tb:file:///a", "tb:file:///a", "mcpw:tbX"]) expect(names.uriIn(uri)).toBeUndefined();
  });

  it("routes echoed ids by their origin prefix", () => {
    expect(names.idIn(names.idOut("toolbox", "mcpw-r2.abc~d"))).toEqual({ origin: "toolbox", name: "mcpw-r2.abc~d" });
    expect(names.idIn("nobody~x")).toBeUndefined();
    expect(names.idIn("~x")).toBeUndefined();
    expect(names.idIn("toolboxZ")).toBeUndefined();
    expect(names.idIn("toolbox")).toBeUndefined();
  });
});

describe("a server's one origin without a namespace", () => {
  it("keeps the origin's own names and URIs", () => {
    const bare = new ServerNames({ listTimeoutMs: 1000, origins: [{ origin: "solo", namespace: "", prefix: "", rename: {} }] });
    expect(bare.nameOut("tool", "solo", "echo")).toBe("echo");
    expect(bare.nameIn("tool", "echo")).toEqual({ origin: "solo", name: "echo" });
    expect(bare.uriOut("solo", "test://a")).toBe("test://a");
    expect(bare.uriIn("test://a")).toEqual({ origin: "solo", name: "test://a" });
  });
});

describe("a server's one origin with a namespace", () => {
  it("lists its names and URIs under that namespace", () => {
    const single = new ServerNames({ listTimeoutMs: 1000, origins: [{ origin: "solo", namespace: "s", prefix: "s__", rename: {} }] });
    expect(single.uriOut("solo", "test://a")).toBe("mcpw:s:test://a");
    expect(single.uriIn("mcpw:s:test://a")).toEqual({ origin: "solo", name: "test://a" });
    expect(single.uriIn("test://a")).toBeUndefined();
  });
});
