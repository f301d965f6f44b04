// An Upstash-REST-compatible bridge over a real redis-server, for tests and benchmarks: single
// commands (POST /), /pipeline and /multi-exec, bearer auth, the `Upstash-Encoding: base64` response
// encoding. Stock Redis refuses the `#!lua flags=…` first line of @upstash/ratelimit's scripts, so the
// bridge strips it and maps the client's script hash to the stripped script. It counts the HTTP
// requests it serves (one per round trip) and can be slowed down on purpose.

import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { Redis } from "ioredis";

export type Bridge = {
  url: string;
  token: string;
  /** HTTP requests served so far: one per Redis round trip of the gateway. */
  requests: number;
  /** Added to every answer, in milliseconds. */
  delayMs: number;
  flushAll(): Promise<void>;
  close(): Promise<void>;
};

export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("redis-server did not start")), 10_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("error", reject);
  });
  return child;
}

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
const stripFlags = (script: string) => (script.startsWith("#!lua") ? script.slice(script.indexOf("\n") + 1) : script);

function encode(value: unknown): unknown {
  if (typeof value === "string") return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(encode);
  return value;
}

export async function startBridge(options: { port: number; redisPort: number; token?: string }): Promise<Bridge> {
  const redis = new Redis({ port: options.redisPort, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 200 });
  redis.on("error", () => {});
  await redis.connect();
  const token = options.token ?? "bridge-token-0123456789abcdef";
  /** The hash the client knows → the script Redis runs, and that script's own hash. */
  const scripts = new Map<string, { script: string; sha: string }>();
  const remember = (original: string) => {
    const script = stripFlags(original);
    scripts.set(sha1(original), { script, sha: sha1(script) });
    return script;
  };

  async function run(command: unknown[]): Promise<{ result: unknown } | { error: string }> {
    const [name, ...args] = command.map((part) => (typeof part === "number" ? String(part) : part)) as string[];
    let verb = String(name).toLowerCase();
    try {
      if (verb === "script" && String(args[0]).toLowerCase() === "load") {
        const original = String(args[1]);
        await redis.call("script", "load", remember(original));
        return { result: sha1(original) };
      }
      if (verb === "eval") args[0] = remember(String(args[0]));
      const known = verb === "evalsha" ? scripts.get(String(args[0])) : undefined;
      if (known) {
        // Redis caches the stripped script under its own hash; EVAL it once if Redis lost it.
        try {
          return { result: await redis.call("evalsha", known.sha, ...args.slice(1)) };
        } catch (error) {
          if (!String((error as Error).message).startsWith("NOSCRIPT")) throw error;
          verb = "eval";
          args[0] = known.script;
        }
      }
      return { result: await redis.call(verb, ...args) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  const bridge: Bridge = {
    url: `http://127.0.0.1:${options.port}`,
    token,
    requests: 0,
    delayMs: 0,
    flushAll: async () => {
      await redis.flushall();
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      redis.disconnect();
    },
  };

  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    bridge.requests++;
    if (bridge.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, bridge.delayMs));
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401, { "content-type": "application/json" });
      return void response.end(JSON.stringify({ error: "Unauthorized" }));
    }
    const base64 = String(request.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const shape = (answer: { result: unknown } | { error: string }) => ("result" in answer && base64 ? { result: encode(answer.result) } : answer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      response.writeHead(400, { "content-type": "application/json" });
      return void response.end(JSON.stringify({ error: "invalid JSON" }));
    }
    const path = (request.url ?? "/").split("?")[0];
    let answer: unknown;
    if (path === "/pipeline" || path === "/multi-exec") {
      // Sent together on the one Redis connection, so they run in order, as Upstash runs a pipeline.
      answer = (await Promise.all((body as unknown[][]).map(run))).map(shape);
    } else {
      const single = await run(body as unknown[]);
      response.writeHead("error" in single ? 400 : 200, { "content-type": "application/json" });
      return void response.end(JSON.stringify(shape(single)));
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(options.port, "127.0.0.1", resolve));
  return bridge;
}
