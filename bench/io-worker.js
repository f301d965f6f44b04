// The benchmark's second baseline: a Worker that forwards every request to the origin and does the same
// platform I/O as the gateway per call (a KV read when its isolate's copy of the token record is older
// than the gateway policy's tokenCacheSeconds, given as TOKEN_CACHE_MS, one Upstash REST round trip,
// its audit event, of the gateway's shape and size, written as one line to the Workers log and batched
// into the queue with the isolate's others of the same 20 ms, written to R2 by its consumer one batch
// per object) but checks nothing. The gateway's CPU minus this Worker's is
// what the gateway's own checks cost; under Miniflare, KV, Queues and R2 run inside the same workerd.
let tokenReadAt = -Infinity;
const waiting = [];
let batchWindow;

function toQueue(env, ctx, event) {
  waiting.push(event);
  if (batchWindow) return;
  batchWindow = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (;;) {
      if (waiting.length === 0) {
        batchWindow = undefined;
        return;
      }
      await env.AUDIT_QUEUE.sendBatch(waiting.splice(0, 100).map((body) => ({ body, contentType: "json" })));
    }
  })();
  ctx.waitUntil(batchWindow);
}

export default {
  async fetch(request, env, ctx) {
    const body = await request.text();
    if (Date.now() - tokenReadAt >= Number(env.TOKEN_CACHE_MS)) {
      await env.TOKENS.get("token:bench", "json");
      tokenReadAt = Date.now();
    }
    const limiter = await fetch(`${env.UPSTASH_REDIS_REST_URL}/pipeline`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify([["EVAL", "return redis.call('INCR', KEYS[1])", "1", "bench"], ["GET", "cooldown"]]),
    });
    await limiter.text();
    const response = await fetch(env.ORIGIN, { method: "POST", headers: request.headers, body });
    const event = {
      v: 1,
      time: new Date().toISOString(),
      requestId: crypto.randomUUID(),
      policyVersion: "0000000000000000",
      httpMethod: "POST",
      decision: "allow",
      origin: "bench",
      principal: "user-1-viewer",
      roles: ["viewer"],
      method: "tools/call",
      target: "echo",
      rule: "bench-echo",
      argumentsDigest: "00000000000000000000000000000000",
      argumentSizes: { message: 19 },
      rateLimitStore: "upstash",
      originMs: 0,
      status: response.status,
      gatewayMs: 0,
      responseBytes: 0,
    };
    console.log(JSON.stringify({ audit: event }));
    toQueue(env, ctx, event);
    return response;
  },
  async queue(batch, env) {
    const lines = batch.messages.map((message) => JSON.stringify(message.body)).join("\n");
    await env.AUDIT_BUCKET.put(`audit/${batch.messages[0].body.requestId}.ndjson`, `${lines}\n`);
    batch.ackAll();
  },
};
