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
