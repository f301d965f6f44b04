// A tool definition's identity: the SHA-256 of its canonical JSON (mcp/json.ts: keys sorted at every
// level, no whitespace). The pin CLI (Node) and the Worker compute it with the same code, so a pin
// written at review time matches the definition the origin lists at run time byte for byte.

import { toHex } from "../hmac.js";
import { canonicalJson, type Json } from "../mcp/json.js";

const encoder = new TextEncoder();

/** Lower-case hex SHA-256 of the definition's canonical JSON. */
export async function definitionHash(definition: Json): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(canonicalJson(definition)))));
}
