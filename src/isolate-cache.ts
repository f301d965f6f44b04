// What an isolate remembers between requests (token records read from KV, verified session ids): a
// map of at most `limit` entries that drops its oldest entry to make room, so no caller can grow it
// without bound. Shared by auth/ and mcp/.

export class IsolateCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose value matches. */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, value] of this.entries) if (matches(value)) this.entries.delete(key);
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    // Map order is insertion order: the first key is the oldest.
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, value);
  }
}
