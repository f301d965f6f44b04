// The token record stored in Workers KV under `token:<hex HMAC>` (see docs/storage-schema.md): a CLI
// token's, or an OAuth access token's (written by its grant, src/oauth/grant.ts).
// Validated with zod on every read, so a hand-edited or corrupt record never grants anything.

import * as z from "zod/mini";
import { parseRange } from "../policy/conditions.js";

export const tokenRecordSchema = z.object({
  v: z.literal(1),
  principal: z.string().check(z.minLength(1), z.maxLength(128)),
  name: z.string().check(z.maxLength(256)),
  roles: z.array(z.string().check(z.minLength(1), z.maxLength(64))),
  /** Seconds since the epoch. */
  createdAt: z.number(),
  /** Seconds since the epoch; null for a token that does not expire. */
  expiresAt: z.nullable(z.number()),
  /** When present, the only origins this token may reach. */
  origins: z.optional(z.array(z.string())),
  /** When present, the only address ranges (CIDR, IPv4 or IPv6) the token may be used from. */
  addresses: z.optional(z.array(z.string().check(z.refine((text) => parseRange(text) !== undefined, "a CIDR range"))).check(z.minLength(1), z.maxLength(64))),
  note: z.optional(z.string().check(z.maxLength(1024))),
  /** An OAuth access token: the grant that issued it (src/oauth/grant.ts) and the client it was issued to. */
  grant: z.optional(z.string().check(z.regex(/^[0-9a-f]{32}$/))),
  client: z.optional(z.string().check(z.maxLength(2000))),
});

export type TokenRecord = z.infer<typeof tokenRecordSchema>;

/** What `token list` shows without reading each value: stored as the KV key's metadata. */
export type TokenMetadata = Pick<TokenRecord, "principal" | "name" | "roles" | "createdAt" | "expiresAt">;

export function metadataOf(record: TokenRecord): TokenMetadata {
  const { principal, name, roles, createdAt, expiresAt } = record;
  return { principal, name, roles, createdAt, expiresAt };
}
