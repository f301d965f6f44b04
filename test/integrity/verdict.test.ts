// The integrity verdict for one tools/call (src/integrity/verdict.ts): names that are no tool names,
// unpinned tools on a pinned origin that blocks drift, tools a listing caught, and an unreadable
// registry, which fails closed.

import { describe, expect, it } from "vitest";
import type { GatewayError } from "../../src/errors.js";
import type { IntegrityFlag } from "../../src/integrity/review.js";
import { toolCallVerdict } from "../../src/integrity/verdict.js";

const block = { drift: "block", poisoning: "hide" } as const;
const warn = { drift: "warn", poisoning: "hide" } as const;
const caught: IntegrityFlag = { tool: "weather", reason: "drift", pinned: "a".repeat(64), seen: "b".repeat(64), action: "blocked" };

/** A KV namespace that lists the given flags as metadata, or fails. */
function kv(flags: IntegrityFlag[], fail = false): KVNamespace {
  return {
    list: async () => {
      if (fail) throw new Error("kv down");
      return { keys: flags.map((flag) => ({ name: flag.tool, metadata: flag })), list_complete: true, cacheStatus: null };
    },
  } as unknown as KVNamespace;
}

describe("tools/call integrity verdict", () => {
  it("refuses a name that is no tool name, bounded, without reading the registry", async () => {
    const name = `bad name ${"x".repeat(300)}`;
    expect(await toolCallVerdict(kv([], true), "v1", "o", block, undefined, name)).toEqual({ tool: name.slice(0, 128), reason: "poisoned", findings: ["tool-name"], action: "blocked" });
  });

  it("refuses an unpinned tool on a pinned origin that blocks drift, and only there", async () => {
    const pins = { weather: "a".repeat(64) };
    expect(await toolCallVerdict(kv([], true), "v1", "o", block, pins, "news")).toEqual({ tool: "news", reason: "unpinned", action: "blocked" });
    expect(await toolCallVerdict(kv([]), "v1", "o2", warn, pins, "news")).toBeUndefined();
    expect(await toolCallVerdict(kv([]), "v1", "o3", block, undefined, "news")).toBeUndefined();
    // A pin named like an Object.prototype member is no pin.
    expect(await toolCallVerdict(kv([], true), "v1", "o", block, pins, "toString")).toEqual({ tool: "toString", reason: "unpinned", action: "blocked" });
    expect(await toolCallVerdict(kv([]), "v1", "o4", block, pins, "weather")).toBeUndefined();
  });

  it("refuses a tool a listing caught", async () => {
    expect(await toolCallVerdict(kv([caught]), "v2", "o", block, undefined, "weather")).toEqual(caught);
  });

  it("fails closed when the registry cannot be read", async () => {
    const error = await toolCallVerdict(kv([], true), "v3", "o", block, undefined, "weather").catch((thrown: GatewayError) => thrown);
    expect(error).toMatchObject({ kind: "integrityStoreUnavailable" });
    expect((error as GatewayError).reason).toContain("integrity records unreadable: Error: kv down");
  });

  it("bounds the store's error in the reason", async () => {
    const failing = { list: async () => Promise.reject(new Error("x".repeat(500))) } as unknown as KVNamespace;
    const error = (await toolCallVerdict(failing, "v4", "o", block, undefined, "weather").catch((thrown: GatewayError) => thrown)) as GatewayError;
    expect(error.reason).toBe(`integrity records unreadable: ${`Error: ${"x".repeat(500)}`.slice(0, 200)}`);
  });
});
