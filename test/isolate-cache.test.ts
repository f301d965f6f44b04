import { describe, expect, it } from "vitest";
import { IsolateCache } from "../src/isolate-cache.js";

describe("IsolateCache", () => {
  it("holds at most its limit, dropping the oldest entry first", () => {
    const cache = new IsolateCache<string, number>(3);
    for (const [index, key] of ["a", "b", "c", "d"].entries()) cache.set(key, index);
    expect(cache.get("a")).toBeUndefined();
    expect([cache.get("b"), cache.get("c"), cache.get("d")]).toEqual([1, 2, 3]);
  });

  it("counts a key set again as new, so a refreshed entry outlives older ones", () => {
    const cache = new IsolateCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("a", 3);
    cache.set("c", 4);
    expect(cache.get("b")).toBeUndefined();
    expect([cache.get("a"), cache.get("c")]).toEqual([3, 4]);
  });

  it("forgets a deleted key", () => {
    const cache = new IsolateCache<string, number>(2);
    cache.set("a", 1);
    cache.delete("a");
    expect(cache.get("a")).toBeUndefined();
  });
});
