// Token management against Workers KV: create (the token is printed once and never stored), list
// (never shows a token or a whole hash), revoke and rotate. Records follow docs/storage-schema.md.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateToken, isWellFormedToken, tokenKey, TOKEN_KEY_PREFIX } from "../src/auth/token.js";
import { metadataOf, tokenRecordSchema, type TokenMetadata, type TokenRecord } from "../src/auth/record.js";
import { readDevVars, wrangler, type Target } from "./wrangler.js";

export type NewToken = { principal: string; name: string; roles: string[]; expiresInSeconds?: number; origins?: string[]; note?: string };

/**
 * The token pepper: for a deployed gateway WARDEN_TOKEN_PEPPER (the value of its TOKEN_PEPPER secret); locally
 * the dev secret in .dev.vars, unless WARDEN_TOKEN_PEPPER names another (a gateway run with its own secrets).
 */
export function pepperFor(target: Target): string {
  const pepper = target.remote ? process.env.WARDEN_TOKEN_PEPPER : (process.env.WARDEN_TOKEN_PEPPER ?? readDevVars().TOKEN_PEPPER);
  if (!pepper || pepper.length < 32) {
    throw new Error(
      target.remote
        ? "set WARDEN_TOKEN_PEPPER to the deployed gateway's TOKEN_PEPPER secret"
        : "no TOKEN_PEPPER in .dev.vars: run `npm start` once, or write one (at least 32 characters)",
    );
  }
  return pepper;
}

/** The short id `list` shows and `revoke`/`rotate` take: the first 12 hex digits of the stored hash. */
export const shortId = (key: string) => key.slice(TOKEN_KEY_PREFIX.length, TOKEN_KEY_PREFIX.length + 12);

function recordFor(spec: NewToken, now: number): TokenRecord {
  const record: TokenRecord = {
    v: 1,
    principal: spec.principal,
    name: spec.name,
    roles: spec.roles,
    createdAt: now,
    expiresAt: spec.expiresInSeconds ? now + spec.expiresInSeconds : null,
  };
  if (spec.origins) record.origins = spec.origins;
  if (spec.note) record.note = spec.note;
  return tokenRecordSchema.parse(record);
}

async function putRecords(entries: { token: string; record: TokenRecord }[], target: Target): Promise<void> {
  const pepper = pepperFor(target);
  const bulk = await Promise.all(
    entries.map(async ({ token, record }) => ({
      key: await tokenKey(pepper, token),
      value: JSON.stringify(record),
      metadata: metadataOf(record),
      // KV drops the key at expiry; the gateway checks expiresAt again in code.
      ...(record.expiresAt === null ? {} : { expiration: record.expiresAt }),
    })),
  );
  const file = join(mkdtempSync(join(tmpdir(), "mcp-warden-")), "tokens.json");
  writeFileSync(file, JSON.stringify(bulk), { mode: 0o600 });
  wrangler(["kv", "bulk", "put", file, "--binding", "TOKENS"], target);
}

export async function createTokens(specs: NewToken[], target: Target): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const entries = specs.map((spec) => ({ token: generateToken(), record: recordFor(spec, now) }));
  await putRecords(entries, target);
  return entries.map((entry) => entry.token);
}

export type ListedToken = { id: string; expiration?: number } & Partial<TokenMetadata>;

export function listTokens(target: Target): ListedToken[] {
  const output = wrangler(["kv", "key", "list", "--binding", "TOKENS", "--prefix", TOKEN_KEY_PREFIX], target);
  const keys = JSON.parse(output.slice(output.indexOf("["))) as { name: string; expiration?: number; metadata?: TokenMetadata }[];
  return keys.map((key) => ({ id: shortId(key.name), ...key.metadata, ...(key.expiration ? { expiration: key.expiration } : {}) }));
}

/** A token's KV key, from the token itself or from the short id `list` shows. */
async function resolveKey(tokenOrId: string, target: Target): Promise<string> {
  if (tokenOrId.startsWith("mcpw_")) {
    if (!isWellFormedToken(tokenOrId)) throw new Error("that is not a valid mcp-warden token (checksum mismatch)");
    return tokenKey(pepperFor(target), tokenOrId);
  }
  if (!/^[0-9a-f]{6,64}$/.test(tokenOrId)) throw new Error("give a token or the id shown by `token list`");
  const output = wrangler(["kv", "key", "list", "--binding", "TOKENS", "--prefix", TOKEN_KEY_PREFIX + tokenOrId], target);
  const keys = JSON.parse(output.slice(output.indexOf("["))) as { name: string }[];
  if (keys.length !== 1) throw new Error(keys.length === 0 ? `no token with id ${tokenOrId}` : `id ${tokenOrId} is ambiguous: give more digits`);
  return keys[0]!.name;
}

export async function revokeToken(tokenOrId: string, target: Target): Promise<string> {
  const key = await resolveKey(tokenOrId, target);
  wrangler(["kv", "key", "delete", key, "--binding", "TOKENS"], target);
  return shortId(key);
}

/** A new token with the same principal, roles and lifetime; the old one is revoked once the new one is stored. */
export async function rotateToken(tokenOrId: string, target: Target): Promise<{ token: string; revoked: string }> {
  const key = await resolveKey(tokenOrId, target);
  const output = wrangler(["kv", "key", "get", key, "--binding", "TOKENS", "--text"], target);
  const old = tokenRecordSchema.parse(JSON.parse(output.slice(output.indexOf("{"))));
  const now = Math.floor(Date.now() / 1000);
  const token = generateToken();
  const lifetime = old.expiresAt === null ? null : old.expiresAt - old.createdAt;
  await putRecords([{ token, record: { ...old, createdAt: now, expiresAt: lifetime === null ? null : now + lifetime } }], target);
  wrangler(["kv", "key", "delete", key, "--binding", "TOKENS"], target);
  return { token, revoked: shortId(key) };
}
