// The names a virtual server's clients see, and the way back to the one origin behind each (pure).
// Tools and prompts are listed as `<namespace>__<name>` (or a tool's new name from `rename`),
// resources and resource templates as `mcpw:<namespace>:<origin uri>` (a server's one origin without
// a namespace keeps its own names and URIs); the compiler made sure no two
// origins' items can end up with one name (policy/build/compile.ts). Identifiers the gateway already
// sealed per origin (server-to-client request ids, task ids, SSE event ids) go out as `<origin>~<id>`:
// the origin prefix only routes the echo back, the inner seal, bound to that origin, still proves it.

import type { CompiledServer, CompiledServerOrigin } from "../policy/types.js";

export type Routed = { origin: string; name: string };

const URI_SCHEME = "mcpw:";
const ID_SEPARATOR = "~";

export class ServerNames {
  private readonly byNamespace = new Map<string, CompiledServerOrigin>();
  private readonly byOrigin = new Map<string, CompiledServerOrigin>();
  /** New tool name → the origin and its own name. */
  private readonly renamed = new Map<string, Routed>();
  /** The server's one origin, listed without a namespace. */
  private readonly bare: string | undefined;

  constructor(readonly server: CompiledServer) {
    for (const entry of server.origins) {
      this.byNamespace.set(entry.namespace, entry);
      this.byOrigin.set(entry.origin, entry);
      for (const [tool, newName] of Object.entries(entry.rename)) this.renamed.set(newName, { origin: entry.origin, name: tool });
    }
    if (server.origins.length === 1 && server.origins[0]!.namespace === "") this.bare = server.origins[0]!.origin;
  }

  get origins(): string[] {
    return this.server.origins.map((entry) => entry.origin);
  }

  private entry(origin: string): CompiledServerOrigin {
    return this.byOrigin.get(origin)!;
  }

  /** The name a client sees for an origin's tool (`kind` tool) or prompt. */
  nameOut(kind: "tool" | "prompt", origin: string, name: string): string {
    const entry = this.entry(origin);
    if (kind === "tool" && Object.hasOwn(entry.rename, name)) return entry.rename[name]!;
    return entry.prefix + name;
  }

  /** The origin and own name of a tool or prompt a client names, or undefined when no origin has that name. */
  nameIn(kind: "tool" | "prompt", name: string): Routed | undefined {
    if (kind === "tool" && this.renamed.has(name)) return this.renamed.get(name);
    for (const entry of this.server.origins) {
      if (!name.startsWith(entry.prefix) || name.length === entry.prefix.length) continue;
      const own = name.slice(entry.prefix.length);
      // A renamed tool is reached by its new name only.
      if (kind === "tool" && Object.hasOwn(entry.rename, own)) return undefined;
      return { origin: entry.origin, name: own };
    }
    return undefined;
  }

  uriOut(origin: string, uri: string): string {
    if (this.bare !== undefined) return uri;
    return `${URI_SCHEME}${this.entry(origin).namespace}:${uri}`;
  }

  uriIn(uri: string): Routed | undefined {
    if (this.bare !== undefined) return { origin: this.bare, name: uri };
    if (!uri.startsWith(URI_SCHEME)) return undefined;
    const rest = uri.slice(URI_SCHEME.length);
    const colon = rest.indexOf(":");
    if (colon <= 0) return undefined;
    const entry = this.byNamespace.get(rest.slice(0, colon));
    return entry && colon + 1 < rest.length ? { origin: entry.origin, name: rest.slice(colon + 1) } : undefined;
  }

  idOut(origin: string, id: string): string {
    return `${origin}${ID_SEPARATOR}${id}`;
  }

  /** The origin and its id inside an identifier a client echoes, or undefined when it names no origin of this server. */
  idIn(id: string): Routed | undefined {
    const at = id.indexOf(ID_SEPARATOR);
    if (at <= 0) return undefined;
    const origin = id.slice(0, at);
    return this.byOrigin.has(origin) ? { origin, name: id.slice(at + 1) } : undefined;
  }
}
