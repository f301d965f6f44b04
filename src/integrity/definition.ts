// A tool definition's identity: its canonical JSON (keys sorted at every level, no whitespace) and the
// SHA-256 of that text. The pin CLI (Node) and the Worker compute it with the same code, so a pin
// written at review time matches the definition the origin lists at run time byte for byte.

import type { Json } from "../mcp/json.js";

export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(",")}}`;
}

const encoder = new TextEncoder();

/** Lower-case hex SHA-256 of the definition's canonical JSON. */
export async function definitionHash(definition: Json): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(canonicalJson(definition))));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
