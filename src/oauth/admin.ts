// How `mcp-warden grant revoke` reaches a grant's Durable Object, which only the Worker can call: a
// POST to /oauth/grants/revoke signed with a key derived from the token pepper (the secret the CLI
// already needs for --remote), over the grant id and the time. The pepper itself never crosses the
// wire, a signature is good for five minutes either side of the gateway's clock, and revoking is
// idempotent, so a replayed request within that window changes nothing.

import { hmacSha256, timingSafeEqualText, toBase64Url, toHex } from "../hmac.js";
import { GRANT_ID } from "./grant-index.js";

export const REVOKE_PATH = "/oauth/grants/revoke";
export const SIGNATURE_SCHEME = "Warden-Grant-Admin";
const WINDOW_SECONDS = 300;

async function adminKey(pepper: string): Promise<string> {
  return toHex(await hmacSha256(pepper, "mcp-warden grant admin v1"));
}

async function signature(pepper: string, grant: string, time: number): Promise<string> {
  return toBase64Url(await hmacSha256(await adminKey(pepper), `POST ${REVOKE_PATH}\n${grant}\n${time}`));
}

/** The Authorization header value for revoking `grant` at `time` (seconds since the epoch). */
export async function revokeAuthorization(pepper: string, grant: string, time: number): Promise<string> {
  return `${SIGNATURE_SCHEME} t=${time}, sig=${await signature(pepper, grant, time)}`;
}

/** Why a revoke request's signature is refused, or undefined when it is good. */
export async function revokeSignatureProblem(pepper: string, header: string | undefined, grant: string, now: number): Promise<string | undefined> {
  if (!GRANT_ID.test(grant)) return "the grant id is not 32 hex digits";
  const match = new RegExp(`^${SIGNATURE_SCHEME} t=(\\d{1,12}), sig=([A-Za-z0-9_-]{43})$`).exec(header ?? "");
  if (!match) return "no grant-admin signature";
  const time = Number(match[1]);
  if (Math.abs(now - time) > WINDOW_SECONDS) return "the signature's time is more than five minutes from the gateway's";
  return timingSafeEqualText(match[2]!, await signature(pepper, grant, time)) ? undefined : "the signature does not match";
}
