// The Worker's run-time configuration: its bindings and secrets, checked before they are used. A
// missing or weak secret is a configuration error (500, precise reason in the log), never a crash
// and never a silently weaker gateway.

import { GatewayError } from "./errors.js";
import type { CompiledOrigin } from "./policy/types.js";
import type { AuditStorageEnv } from "./audit/consumer.js";
import type { AuditEvent } from "./audit/schema.js";
import type { RateLimitEnv } from "./ratelimit/store.js";

export type Env = RateLimitEnv &
  AuditStorageEnv & {
  TOKENS: KVNamespace;
  AUDIT_QUEUE?: Queue<AuditEvent>;
  SESSION_SECRET?: string;
  TOKEN_PEPPER?: string;
  [secret: string]: unknown;
};

const MIN_SECRET_LENGTH = 32;

function secret(env: Env, name: string): string {
  const value = env[name];
  if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) {
    throw new GatewayError("misconfigured", `secret ${name} is missing or shorter than ${MIN_SECRET_LENGTH} characters`);
  }
  return value;
}

export type GatewaySecrets = { sessionSecret: string; pepper: string; tokens: KVNamespace };

const checkedSecrets = new WeakMap<Env, GatewaySecrets>();

/** The gateway's own secrets and token store, checked once per env (an isolate's bindings do not change). */
export function gatewaySecrets(env: Env): GatewaySecrets {
  let checked = checkedSecrets.get(env);
  if (!checked) {
    if (typeof env.TOKENS?.get !== "function") throw new GatewayError("misconfigured", "KV binding TOKENS is missing");
    checked = { sessionSecret: secret(env, "SESSION_SECRET"), pepper: secret(env, "TOKEN_PEPPER"), tokens: env.TOKENS };
    checkedSecrets.set(env, checked);
  }
  return checked;
}

/** The origin's own credential, from the Worker secret its policy names. */
export function originCredential(env: Env, origin: CompiledOrigin): string | undefined {
  if (!origin.credential) return undefined;
  const value = env[origin.credential.secret];
  if (typeof value !== "string" || value === "" || /[\r\n]/.test(value)) {
    throw new GatewayError("misconfigured", `origin credential secret ${origin.credential.secret} is missing or invalid`);
  }
  return value;
}

const knownSecrets = new WeakMap<Env, string[]>();

/** Every secret value the gateway holds, for the scrubber's known-secrets list; computed once per env. */
export function knownSecretValues(env: Env, origins: Record<string, CompiledOrigin>): string[] {
  const cached = knownSecrets.get(env);
  if (cached) return cached;
  const names = ["SESSION_SECRET", "TOKEN_PEPPER", "UPSTASH_REDIS_REST_TOKEN", ...Object.values(origins).flatMap((origin) => (origin.credential ? [origin.credential.secret] : []))];
  const values = names.map((name) => env[name]).filter((value): value is string => typeof value === "string" && value.length >= 8);
  knownSecrets.set(env, values);
  return values;
}
