// The mcp-warden bearer token: `mcpw_` + 32 base62 characters of randomness (190 bits) + a 6-character
// base62 CRC32 of them. The prefix lets secret scanners (ours included) recognise a leaked token, the
// checksum refuses a mistyped or invented one without a KV read. Only HMAC-SHA256(pepper, token) is
// ever stored. Shared by the Worker and the CLI.

import { hmacSha256, toHex } from "../hmac.js";

export const TOKEN_PREFIX = "mcpw_";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_CHARS = 32;
const CHECKSUM_CHARS = 6;
export const TOKEN_PATTERN = /^mcpw_[0-9A-Za-z]{38}$/;
/** Prefix of the KV keys that hold token records. */
export const TOKEN_KEY_PREFIX = "token:";

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function base62(value: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export function generateToken(): string {
  let random = "";
  // Rejection sampling keeps every character uniform: 248 = 4 × 62.
  while (random.length < RANDOM_CHARS) {
    for (const byte of crypto.getRandomValues(new Uint8Array(48))) {
      if (byte < 248 && random.length < RANDOM_CHARS) random += BASE62[byte % 62];
    }
  }
  return `${TOKEN_PREFIX}${random}${base62(crc32(random), CHECKSUM_CHARS)}`;
}

/** Shape and checksum only: true says nothing about whether the token was ever issued. */
export function isWellFormedToken(token: string): boolean {
  if (!TOKEN_PATTERN.test(token)) return false;
  const random = token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + RANDOM_CHARS);
  return token.slice(TOKEN_PREFIX.length + RANDOM_CHARS) === base62(crc32(random), CHECKSUM_CHARS);
}

/** The KV key of a token's record: the prefix and the hex HMAC-SHA256 of the token under the pepper. */
export async function tokenKey(pepper: string, token: string): Promise<string> {
  return TOKEN_KEY_PREFIX + toHex(await hmacSha256(pepper, token));
}
