// What the gateway hands a client to echo back instead of keeping a table: the session id, the ids of
// server-to-client requests it relayed, SSE event ids and task ids. Each is sealed with AES-256-GCM
// under a key derived from SESSION_SECRET for its purpose, with what it is bound to (origin, principal,
// session; JSON-encoded, so no part can run into the next) as additional data: the client can neither
// read what is inside (an origin's session id never travels in clear) nor change it, nor use it under
// another binding. Format: prefix +
// base64url(12-byte random IV ‖ ciphertext ‖ 16-byte tag).

import { fromBase64Url, toBase64Url } from "./hmac.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const keys = new Map<string, Promise<CryptoKey>>();

/** One AES key per secret and purpose: SHA-256 of both, so a value sealed for one purpose opens for no other. */
function keyFor(secret: string, purpose: string): Promise<CryptoKey> {
  const id = `${purpose}\n${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = crypto.subtle
      .digest("SHA-256", encoder.encode(`mcp-warden seal ${purpose}\n${secret}`))
      .then((raw) => crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]));
    keys.set(id, key);
  }
  return key;
}

export type Sealing = { secret: string; purpose: string; prefix: string };

export async function seal(sealing: Sealing, binding: readonly string[], value: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(JSON.stringify(binding)) },
    await keyFor(sealing.secret, sealing.purpose),
    encoder.encode(JSON.stringify(value)),
  );
  const out = new Uint8Array(12 + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), 12);
  return sealing.prefix + toBase64Url(out);
}

/** The value inside, or undefined when the text is not one this sealing made for this binding. */
export async function unseal(sealing: Sealing, binding: readonly string[], text: string, maxLength = 4096): Promise<unknown> {
  if (!text.startsWith(sealing.prefix) || text.length > maxLength) return undefined;
  const bytes = fromBase64Url(text.slice(sealing.prefix.length));
  if (!bytes || bytes.length < 12 + 16) return undefined;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: encoder.encode(JSON.stringify(binding)) },
      await keyFor(sealing.secret, sealing.purpose),
      bytes.subarray(12),
    );
    return JSON.parse(decoder.decode(plain));
  } catch {
    return undefined;
  }
}
