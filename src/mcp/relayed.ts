// Server-to-client requests the gateway relayed, remembered without a table: before a request from
// an origin reaches the client, its id is replaced by a sealed one that names the method and the
// origin's own id, bound under an HMAC (SESSION_SECRET) to the origin, the principal and the origin
// session, and dated. A client's response is forwarded only when its id opens under the same binding
// within REPLY_WINDOW_S, and then with the origin's own id restored: a client can answer only what it
// was asked, in its own session. Format: `mcpw-r1.<base64url JSON [method, id, issued]>.<base64url mac>`.

import { fromBase64Url, hmacSha256, hmacVerify, toBase64Url } from "../hmac.js";
import type { JsonRpcId } from "./jsonrpc.js";

/** How long a relayed request may wait for its answer (an elicitation waits on a person). */
export const REPLY_WINDOW_S = 3600;
const PREFIX = "mcpw-r1.";

export type RelayBinding = { origin: string; principal: string; originSession: string | undefined };
export type RelayedRequest = { method: string; id: JsonRpcId };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function macInput(binding: RelayBinding, payload: string): string {
  return ["r1", binding.origin, binding.principal, binding.originSession ?? "", payload].join("\n");
}

export async function sealRelayedId(secret: string, binding: RelayBinding, request: RelayedRequest, nowSeconds: number): Promise<string> {
  const payload = toBase64Url(encoder.encode(JSON.stringify([request.method, request.id, nowSeconds])));
  return `${PREFIX}${payload}.${toBase64Url(await hmacSha256(secret, macInput(binding, payload)))}`;
}

/** The relayed request a client's response id names, or undefined when it is not one the gateway sealed for this binding, or too old. */
export async function openRelayedId(secret: string, binding: RelayBinding, id: JsonRpcId | null, nowSeconds: number): Promise<RelayedRequest | undefined> {
  if (typeof id !== "string" || !id.startsWith(PREFIX) || id.length > 4096) return undefined;
  const [payload, encodedMac, ...rest] = id.slice(PREFIX.length).split(".");
  const mac = encodedMac === undefined ? undefined : fromBase64Url(encodedMac);
  const bytes = payload === undefined ? undefined : fromBase64Url(payload);
  if (rest.length || !mac || mac.length !== 32 || !bytes) return undefined;
  if (!(await hmacVerify(secret, macInput(binding, payload!), mac))) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
  if (!Array.isArray(decoded) || decoded.length !== 3) return undefined;
  const [method, originalId, issued] = decoded as unknown[];
  if (typeof method !== "string" || !(typeof originalId === "string" || Number.isSafeInteger(originalId)) || typeof issued !== "number") return undefined;
  if (nowSeconds < issued || nowSeconds - issued > REPLY_WINDOW_S) return undefined;
  return { method, id: originalId as JsonRpcId };
}
