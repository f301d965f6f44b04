// The benchmark's second baseline: a Worker that forwards every request to the origin and does the same
// platform I/O as the gateway per call (a KV read when its isolate's copy of the token record is older
// than the gateway policy's tokenCacheSeconds, given as TOKEN_CACHE_MS, one Upstash REST round trip,
// its audit message batched into the queue with the isolate's others of the same 20 ms, written to R2
// by its consumer one batch per object) but checks nothing. The gateway's CPU minus this Worker's is
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
    toQueue(env, ctx, { v: 1, time: new Date().toISOString(), requestId: crypto.randomUUID() });
    return response;
  },
  async queue(batch, env) {
    const lines = batch.messages.map((message) => JSON.stringify(message.body)).join("\n");
    await env.AUDIT_BUCKET.put(`audit/${batch.messages[0].body.requestId}.ndjson`, `${lines}\n`);
    batch.ackAll();
  },
};
