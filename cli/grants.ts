// OAuth grant management: `list` reads the grant index from Workers KV the way `token list` reads
// tokens (wrangler, local store or --remote), by subject or by client; `revoke` asks the gateway itself,
// since only the Worker can reach a grant's Durable Object: a POST to /oauth/grants/revoke signed with
// a key derived from the token pepper (src/oauth/admin.ts). The grant object then refuses its refresh
// token and deletes every live access token it issued from KV, and the index records with them.

import { revokeAuthorization, REVOKE_PATH } from "../src/oauth/admin.js";
import { GRANT_ID, GRANT_INDEX_PREFIX, grantIndexPrefix, type GrantIndexEntry } from "../src/oauth/grant-index.js";
import { pepperFor } from "./tokens.js";
import { wrangler, type Target } from "./wrangler.js";

export type GrantFilter = { subject?: string; client?: string };

/** The live grants of a subject or a client (both: those of the subject at that client; neither: all). */
export async function listGrants(filter: GrantFilter, target: Target): Promise<GrantIndexEntry[]> {
  const prefix = filter.subject !== undefined ? await grantIndexPrefix("subject", filter.subject) : filter.client !== undefined ? await grantIndexPrefix("client", filter.client) : `${GRANT_INDEX_PREFIX}subject:`;
  const output = wrangler(["kv", "key", "list", "--binding", "TOKENS", "--prefix", prefix], target);
  const keys = JSON.parse(output.slice(output.indexOf("["))) as { name: string; metadata?: GrantIndexEntry }[];
  return keys
    .map((key) => key.metadata)
    .filter((entry): entry is GrantIndexEntry => entry !== undefined && GRANT_ID.test(entry.grant))
    .filter((entry) => filter.client === undefined || filter.subject === undefined || filter.client.startsWith(entry.client));
}

/** Revokes one grant through the gateway at `gatewayUrl`; true if it was live. */
export async function revokeGrant(grant: string, gatewayUrl: string, target: Target): Promise<boolean> {
  if (!GRANT_ID.test(grant)) throw new Error("a grant id is the 32 hex digits `grant list` shows");
  const authorization = await revokeAuthorization(pepperFor(target), grant, Math.floor(Date.now() / 1000));
  let response: Response;
  try {
    response = await fetch(new URL(REVOKE_PATH, gatewayUrl), { method: "POST", headers: { "content-type": "application/json", authorization }, body: JSON.stringify({ grant }) });
  } catch (error) {
    throw new Error(`could not reach the gateway at ${gatewayUrl} (${(error as Error).message}): is it running, and is --url right?`);
  }
  const answer = (await response.json().catch(() => ({}))) as { revoked?: boolean; error_description?: string };
  if (response.status !== 200) throw new Error(`the gateway refused: ${response.status} ${answer.error_description ?? ""}`.trim());
  return answer.revoked === true;
}
