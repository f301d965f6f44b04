import { describe, expect, it } from "vitest";
import { fitListing, mergeCapabilities, mergeInitialize, mergeListing, mergedCacheHints, outward } from "../../src/virtual/merge.js";
import { ServerNames } from "../../src/virtual/names.js";

const names = new ServerNames({
  listTimeoutMs: 1000,
  origins: [
    { origin: "a", namespace: "a", prefix: "a__", rename: { add: "sum" } },
    { origin: "b", namespace: "b", prefix: "b__", rename: {} },
  ],
});

describe("merging origins' answers", () => {
  it("merges listings in server order, renamed, dropping a name an earlier item took", () => {
    const merged = mergeListing("tools/list", [
      { origin: "a", result: { tools: [{ name: "add" }, { name: "echo" }, { name: "echo" }] } },
      { origin: "b", result: { tools: [{ name: "echo", description: "b" }] } },
    ], names);
    expect(merged).toEqual({ items: [{ name: "sum" }, { name: "a__echo" }, { name: "b__echo", description: "b" }], dropped: 1 });
    expect(mergeListing("resources/templates/list", [{ origin: "b", result: { resourceTemplates: [{ uriTemplate: "x://{id}" }] } }], names).items).toEqual([{ uriTemplate: "mcpw:b:x://{id}" }]);
    expect(mergeListing("tasks/list", [{ origin: "b", result: { tasks: [{ taskId: "t1" }] } }], names).items).toEqual([{ taskId: "b~t1" }]);
  });

  it("fits a merged listing into the answer limit by leaving whole later origins for the next page", () => {
    const pages = [
      { origin: "a", result: { tools: [{ name: "echo", description: "x".repeat(300) }] } },
      { origin: "b", result: { tools: [{ name: "echo", description: "y".repeat(300) }] } },
    ];
    const both = JSON.stringify(mergeListing("tools/list", pages, names).items).length;
    expect(fitListing("tools/list", pages, names, both)).toEqual({ ...mergeListing("tools/list", pages, names), deferred: [] });
    const first = fitListing("tools/list", pages, names, both - 1)!;
    expect(first.items).toEqual([{ name: "a__echo", description: "x".repeat(300) }]);
    expect(first.deferred).toEqual([pages[1]]);
    // Bytes, not characters: three-byte characters count three times.
    const wide = [{ origin: "a", result: { tools: [{ name: "echo", description: "€".repeat(100) }] } }];
    expect(fitListing("tools/list", wide, names, JSON.stringify(mergeListing("tools/list", wide, names).items).length + 100)).toBeUndefined();
    expect(fitListing("tools/list", [], names, 10)).toEqual({ items: [], dropped: 0, deferred: [] });
  });

  it("lists an item only under a name that routes back to it", () => {
    // The compiler refuses this server (a rename without a namespace); the listing holds anyway.
    const bare = new ServerNames({ listTimeoutMs: 1000, origins: [{ origin: "a", namespace: "", prefix: "", rename: { "delete-all": "echo" } }] });
    const merged = mergeListing("tools/list", [{ origin: "a", result: { tools: [{ name: "echo", description: "harmless" }, { name: "delete-all", description: "Deletes everything" }] } }], bare);
    expect(merged).toEqual({ items: [{ name: "echo", description: "Deletes everything" }], dropped: 1 });
    expect(bare.nameIn("tool", "echo")).toEqual({ origin: "a", name: "delete-all" });
  });

  it("merges caching hints conservatively: private, the shortest ttl, none given counting as 0", () => {
    expect(mergedCacheHints([{ ttlMs: 5000, cacheScope: "private" }, { ttlMs: 1000, cacheScope: "private" }])).toEqual({ ttlMs: 1000, cacheScope: "private" });
    expect(mergedCacheHints([{ ttlMs: 5000, cacheScope: "private" }, {}])).toEqual({ ttlMs: 0, cacheScope: "private" });
    expect(mergedCacheHints([{}, {}])).toEqual({});
  });

  it("merges capabilities: objects key by key, a flag true where any origin's is", () => {
    expect(mergeCapabilities([{ tools: { listChanged: false } }, { tools: { listChanged: true }, logging: {} }, { resources: { subscribe: true } }])).toEqual({
      tools: { listChanged: true },
      logging: {},
      resources: { subscribe: true },
    });
  });

  it("merges initialize answers under the server's own serverInfo, instructions labelled by origin", () => {
    const result = mergeInitialize("all", "v1", [
      { origin: "a", result: { protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "a" }, instructions: "use a" } },
      { origin: "b", result: { protocolVersion: "2025-11-25", capabilities: { prompts: {} }, serverInfo: { name: "b" } } },
    ]);
    expect(result).toEqual({ protocolVersion: "2025-11-25", capabilities: { tools: {}, prompts: {} }, serverInfo: { name: "mcp-warden:all", version: "v1" }, instructions: "[a]\nuse a" });
  });

  it("maps what an origin sends outward: server-request ids, task ids, resource URIs", () => {
    expect(outward({ kind: "request", message: { jsonrpc: "2.0", id: "mcpw-r2.x", method: "sampling/createMessage" } }, "a", names).message).toMatchObject({ id: "a~mcpw-r2.x" });
    expect(outward({ kind: "notification", message: { jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "x://1" } } }, "b", names).message).toMatchObject({ params: { uri: "mcpw:b:x://1" } });
    const created = outward({ kind: "response", message: { jsonrpc: "2.0", id: 1, result: { task: { taskId: "t" }, content: [{ type: "resource_link", uri: "x://2" }] } } }, "b", names);
    expect(created.message).toMatchObject({ result: { task: { taskId: "b~t" }, content: [{ type: "resource_link", uri: "mcpw:b:x://2" }] } });
    const read = outward({ kind: "response", message: { jsonrpc: "2.0", id: 1, result: { contents: [{ uri: "x://3", text: "t" }] } } }, "a", names);
    expect(read.message).toMatchObject({ result: { contents: [{ uri: "mcpw:a:x://3" }] } });
  });
});
