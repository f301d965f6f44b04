// Applies the scrubber to a JSON-RPC message in place of its strings: results and errors (message and
// data), notifications (log messages, progress), tool descriptions in listings — every string value
// at any depth, so the JSON stays valid and its shape unchanged. Server-to-client requests (sampling,
// elicitation) are gated by policy instead: redacting their schemas and defaults breaks them. Base64 blobs
// (image and audio `data`, resource `blob`) are binary and passed as they are when they are base64
// (see README). Copies only the branches that change.

import type { Json, JsonObject } from "../mcp/json.js";
import type { JsonRpcMessage } from "../mcp/jsonrpc.js";
import { scrubText, type Counts, type ScrubSettings } from "./scrub.js";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Image and audio `data` and a resource's `blob` are passed unread only when they are what they claim
 * to be: base64. Any other text in such a field (say `password=…` in a `data` field) is scrubbed.
 */
function isBinaryField(parent: JsonObject, key: string, value: Json): boolean {
  const binary = (key === "data" && (parent.type === "image" || parent.type === "audio")) || (key === "blob" && typeof parent.uri === "string");
  return binary && typeof value === "string" && BASE64.test(value);
}

function walk(value: Json, settings: ScrubSettings, counts: Counts): Json {
  if (typeof value === "string") return scrubText(value, settings, counts);
  if (Array.isArray(value)) {
    let copy: Json[] | undefined;
    value.forEach((item, index) => {
      const scrubbed = walk(item, settings, counts);
      if (scrubbed !== item) (copy ??= [...value])[index] = scrubbed;
    });
    return copy ?? value;
  }
  if (value !== null && typeof value === "object") {
    let copy: JsonObject | undefined;
    for (const [key, item] of Object.entries(value)) {
      if (isBinaryField(value, key, item)) continue;
      const scrubbed = walk(item, settings, counts);
      if (scrubbed !== item) (copy ??= { ...value })[key] = scrubbed;
    }
    return copy ?? value;
  }
  return value;
}

/** The message with every secret in its payload redacted; `counts` receives the redactions by kind. */
export function scrubMessage(message: JsonRpcMessage, settings: ScrubSettings, counts: Counts): JsonRpcMessage {
  if (message.kind === "request") return message;
  const payload = message.message as unknown as JsonObject;
  let changed: JsonObject | undefined;
  for (const field of ["result", "error", "params"] as const) {
    if (!(field in payload)) continue;
    const scrubbed = walk(payload[field]!, settings, counts);
    if (scrubbed !== payload[field]) (changed ??= { ...payload })[field] = scrubbed;
  }
  return changed ? ({ kind: message.kind, message: changed } as unknown as JsonRpcMessage) : message;
}
