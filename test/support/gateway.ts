// Runs the built gateway Worker in workerd through Miniflare, with a real KV namespace for tokens,
// and mints tokens straight into that KV the same way the CLI does.

import { Miniflare } from "miniflare";
import { generateToken, tokenKey } from "../../src/auth/token.js";
import { metadataOf, type TokenRecord } from "../../src/auth/record.js";

export const TEST_SECRETS = {
  SESSION_SECRET: "test-session-secret-0123456789abcdef0123456789",
  TOKEN_PEPPER: "test-token-pepper-0123456789abcdef0123456789ab",
  RECORDER_TOKEN: "origin-credential-for-the-recorder-7f3a9c",
};

export const TEST_WORKER = ".warden/test/worker.js";

export type Gateway = {
  url: string;
  mf: Miniflare;
  mint(roles: string[], options?: Partial<TokenRecord>): Promise<string>;
  revoke(token: string): Promise<void>;
  logs: string[];
  close(): Promise<void>;
};

/** A KV namespace that is down: every call through the binding throws, as KV does in an outage. */
const UNAVAILABLE_KV = `import { WorkerEntrypoint } from "cloudflare:workers";
export class UnavailableKv extends WorkerEntrypoint {
  get() { throw new Error("KV GET failed: 503 Service Unavailable"); }
  list() { throw new Error("KV LIST failed: 503 Service Unavailable"); }
  put() { throw new Error("KV PUT failed: 503 Service Unavailable"); }
}
export default { fetch() { return new Response(null, { status: 503 }); } };`;

export type GatewayOptions = {
  bindings?: Record<string, string>;
  scriptPath?: string;
  /** KV down: every KV call throws. */
  tokensUnavailable?: boolean;
  /** Serve the Worker's own socket, without Miniflare's entry worker in front (benchmarks). */
  directSocket?: boolean;
  /** A fixed port instead of any free one (OAuth tests: the OpenID provider must know the callback URL). */
  port?: number;
  /** Serve workerd's inspector on this port (benchmarks profile the isolate). */
  inspectorPort?: number;
  /** Keep KV on disk here, laid out as wrangler's `--persist-to` store, so the CLI can read it (`mcp-warden grant list --persist-to`). */
  kvPersistTo?: string;
};

/** The TOKENS namespace id of wrangler.toml's local setup: the CLI's wrangler finds the gateway's records under it. */
const LOCAL_TOKENS_NAMESPACE = "mcp-warden-dev-tokens";

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const bindings = options.bindings ?? TEST_SECRETS;
  const logs: string[] = [];
  const gatewayWorker = {
    name: "gateway",
    modules: true,
    scriptPath: options.scriptPath ?? TEST_WORKER,
    compatibilityDate: "2026-07-01",
    ...(options.tokensUnavailable
      ? { serviceBindings: { TOKENS: { name: "unavailable-kv", entrypoint: "UnavailableKv" } } }
      : options.kvPersistTo
        ? { kvNamespaces: { TOKENS: LOCAL_TOKENS_NAMESPACE } }
        : { kvNamespaces: ["TOKENS"] }),
    durableObjects: { RATE_LIMITS: "RateLimitStore", OAUTH_GRANTS: "OAuthGrant" },
    queueProducers: { AUDIT_QUEUE: { queueName: "audit" } },
    queueConsumers: { audit: { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 3 } },
    r2Buckets: ["AUDIT_BUCKET"],
    bindings,
    ...(options.directSocket ? { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] } : {}),
  };
  const mf = new Miniflare({
    workers: options.tokensUnavailable ? [gatewayWorker, { name: "unavailable-kv", modules: true, script: UNAVAILABLE_KV, compatibilityDate: "2026-07-01" }] : [gatewayWorker],
    host: "127.0.0.1",
    port: options.port ?? 0,
    ...(options.kvPersistTo ? { kvPersist: `${options.kvPersistTo}/v3/kv` } : {}),
    ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      for (const stream of [stdout, stderr]) stream.on("data", (chunk: Buffer) => logs.push(...chunk.toString().split("\n").filter(Boolean)));
    },
  });
  const ready = await mf.ready;
  const url = (options.directSocket ? await mf.unsafeGetDirectURL("gateway") : ready).href.replace(/\/$/, "");
  const kv = options.tokensUnavailable ? undefined : await mf.getKVNamespace("TOKENS");
  const pepper = bindings.TOKEN_PEPPER ?? TEST_SECRETS.TOKEN_PEPPER;
  let serial = 0;
  return {
    url,
    mf,
    logs,
    async mint(roles, options = {}) {
      const token = generateToken();
      const record: TokenRecord = {
        v: 1,
        principal: `user-${++serial}-${roles.join("+")}`,
        name: "test",
        roles,
        createdAt: Math.floor(Date.now() / 1000),
        expiresAt: null,
        ...options,
      };
      await kv?.put(await tokenKey(pepper, token), JSON.stringify(record), { metadata: metadataOf(record) });
      return token;
    },
    async revoke(token) {
      await kv?.delete(await tokenKey(pepper, token));
    },
    close: () => mf.dispose(),
  };
}
