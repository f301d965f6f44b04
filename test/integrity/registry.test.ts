// The record of caught tools, against a real (Miniflare) KV namespace: what one isolate records,
// another isolate (a fresh module instance) refuses; records are per policy version; warnings and
// names that are no tool names are never stored.

import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { IntegrityFlag } from "../../src/integrity/review.js";

let mf: Miniflare;
let kv: KVNamespace;
beforeAll(async () => {
  mf = new Miniflare({ modules: true, script: "export default { fetch() { return new Response(null) } }", kvNamespaces: ["KV"] });
  kv = (await mf.getKVNamespace("KV")) as unknown as KVNamespace;
});
afterAll(() => mf?.dispose());

/** A fresh copy of the registry module: what a new isolate starts with. */
async function isolate() {
  vi.resetModules();
  return import("../../src/integrity/registry.js");
}

const drift: IntegrityFlag = { tool: "weather", reason: "drift", pinned: "a".repeat(64), seen: "b".repeat(64), action: "blocked" };

describe("integrity registry", () => {
  it("lets a second isolate refuse what the first one caught", async () => {
    const first = await isolate();
    const writes: Promise<unknown>[] = [];
    first.recordBlocked(kv, "v1", "toolbox", [drift, { ...drift, tool: "note", action: "warned" }, { ...drift, tool: "x".repeat(200) }], (work) => writes.push(work));
    expect(await first.blockedTool(kv, "v1", "toolbox", "weather", 0)).toEqual(drift);
    await Promise.all(writes);
    expect(writes).toHaveLength(1);

    const second = await isolate();
    expect(await second.blockedTool(kv, "v1", "toolbox", "weather", Date.now())).toEqual(drift);
    expect(await second.blockedTool(kv, "v1", "toolbox", "note", Date.now())).toBeUndefined();
    expect(await second.blockedTool(kv, "v2", "toolbox", "weather", Date.now())).toBeUndefined();
    expect(await second.blockedTool(kv, "v1", "other", "weather", Date.now())).toBeUndefined();
  });

  it("re-reads KV only after its refresh interval", async () => {
    const reader = await isolate();
    const now = Date.now();
    expect(await reader.blockedTool(kv, "v3", "toolbox", "weather", now)).toBeUndefined();
    await kv.put("integrity:v3:toolbox:weather", "{}", { metadata: drift });
    expect(await reader.blockedTool(kv, "v3", "toolbox", "weather", now + 1_000)).toBeUndefined();
    expect(await reader.blockedTool(kv, "v3", "toolbox", "weather", now + 31_000)).toEqual(drift);
  });
});

/** A KV namespace that lists the given keys in pages of `pageSize`, records list calls and puts. */
function pagedKv(entries: { name: string; metadata?: IntegrityFlag }[], pageSize: number, failPut = false) {
  const lists: { prefix?: string; cursor?: string }[] = [];
  const puts: string[] = [];
  const kv = {
    list: async (options: { prefix?: string; cursor?: string }) => {
      lists.push(options);
      const start = options.cursor ? Number(options.cursor) : 0;
      const keys = entries.slice(start, start + pageSize);
      const end = start + pageSize >= entries.length;
      return end ? { keys, list_complete: true } : { keys, list_complete: false, cursor: String(start + pageSize) };
    },
    put: async (key: string) => {
      puts.push(key);
      if (failPut) throw new Error("kv full");
    },
  } as unknown as KVNamespace;
  return { kv, lists, puts };
}

const flag = (tool: string, action: IntegrityFlag["action"] = "blocked", seen = "c".repeat(64)): IntegrityFlag => ({ tool, reason: "poisoned", seen, action });

describe("integrity registry, page by page", () => {
  it("reads every page by its cursor under the origin's prefix, up to ten pages", async () => {
    const registry = await isolate();
    const entries = Array.from({ length: 25 }, (_, i) => ({ name: `k${i}`, metadata: flag(`t${i}`) }));
    const { kv, lists } = pagedKv(entries, 2);
    expect(await registry.blockedTool(kv, "v1", "o", "t19", 0)).toEqual(flag("t19"));
    expect(lists).toHaveLength(10);
    expect(lists[0]).toEqual({ prefix: "integrity:v1:o:" });
    expect(lists[1]).toEqual({ prefix: "integrity:v1:o:", cursor: "2" });
    // Past ten pages nothing more is read.
    expect(await registry.blockedTool(kv, "v1", "o", "t20", 1)).toBeUndefined();
  });

  it("stops at the last page, skips keys without metadata, and returns only blocking records", async () => {
    const registry = await isolate();
    const { kv, lists } = pagedKv([{ name: "a" }, { name: "b", metadata: flag("warned", "warned") }, { name: "c", metadata: flag("blocked") }], 5);
    expect(await registry.blockedTool(kv, "v1", "o", "warned", 0)).toBeUndefined();
    expect(await registry.blockedTool(kv, "v1", "o", "blocked", 0)).toEqual(flag("blocked"));
    expect(await registry.blockedTool(kv, "v1", "o", "a", 0)).toBeUndefined();
    expect(lists).toHaveLength(1);
  });

  it("re-reads after the refresh interval, from the second it ends, and keeps what this isolate recorded", async () => {
    const registry = await isolate();
    const { kv, lists } = pagedKv([], 5);
    registry.recordBlocked(kv, "v1", "o", [flag("mine")], () => {});
    expect(await registry.blockedTool(kv, "v1", "o", "mine", 1_000)).toEqual(flag("mine"));
    expect(lists).toHaveLength(1);
    expect(await registry.blockedTool(kv, "v1", "o", "mine", 30_999)).toEqual(flag("mine"));
    expect(lists).toHaveLength(1);
    expect(await registry.blockedTool(kv, "v1", "o", "mine", 31_000)).toEqual(flag("mine"));
    expect(lists).toHaveLength(2);
  });

  it("keeps a listed record over this isolate's own for the same tool", async () => {
    const registry = await isolate();
    const listed = flag("tool", "blocked", "d".repeat(64));
    const { kv } = pagedKv([{ name: "k", metadata: listed }], 5);
    registry.recordBlocked(kv, "v1", "o", [flag("tool")], () => {});
    expect(await registry.blockedTool(kv, "v1", "o", "tool", 0)).toEqual(listed);
  });

  it("records each blocked tool once per definition, and logs a failed write", async () => {
    const registry = await isolate();
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const { kv, puts } = pagedKv([], 5, true);
      const work: Promise<unknown>[] = [];
      registry.recordBlocked(kv, "v1", "o", [flag("a"), flag("b", "warned")], (promise) => work.push(promise));
      registry.recordBlocked(kv, "v1", "o", [flag("a")], (promise) => work.push(promise));
      registry.recordBlocked(kv, "v1", "o", [flag("a", "blocked", "e".repeat(64))], (promise) => work.push(promise));
      registry.recordBlocked(kv, "v1", "o", [], (promise) => work.push(promise));
      await Promise.all(work);
      expect(puts).toEqual(["integrity:v1:o:a", "integrity:v1:o:a"]);
      expect(work).toHaveLength(2);
      expect(error).toHaveBeenCalledTimes(2);
      expect(JSON.parse(String(error.mock.calls[0]![0]))).toEqual({ error: "integrity record not stored: Error: kv full" });
    } finally {
      error.mockRestore();
    }
  });
});
