// Picks the rate-limit store from the Worker's configuration, once per isolate: Upstash when both
// UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are set, otherwise the embedded Durable Object.

import { GatewayError } from "../errors.js";
import type { LimitBackend } from "./backend.js";
import { embeddedBackend, type RateLimitStore } from "./embedded.js";
import { upstashBackend } from "./upstash.js";

export type RateLimitEnv = {
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  RATE_LIMITS?: DurableObjectNamespace<RateLimitStore>;
};

let cached: { key: unknown; backend: LimitBackend } | undefined;

export function limitBackend(env: RateLimitEnv): LimitBackend {
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token, RATE_LIMITS: namespace } = env;
  const key = url && token ? `${url}\n${token}` : namespace;
  if (cached && cached.key === key) return cached.backend;
  let backend: LimitBackend;
  if (url && token) backend = upstashBackend(url, token);
  else if (namespace) backend = embeddedBackend(namespace);
  else throw new GatewayError("misconfigured", "policy declares rate limits but neither Upstash secrets nor the RATE_LIMITS binding are configured");
  cached = { key, backend };
  return backend;
}
