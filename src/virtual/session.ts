// What a virtual server hands its clients to echo instead of keeping state: the session id, which
// seals (sealed.ts) the negotiated revision and, per origin that joined at initialize, the gateway's
// own session id at that origin's endpoint (itself sealed, mcp/session.ts) — bound to the server and
// the principal; and listing cursors, which seal where each origin's listing goes on. Size: about
// 60 + 170·N characters for N origins (README, "Virtual servers").

import { GatewayError } from "../errors.js";
import { IsolateCache } from "../isolate-cache.js";
import { seal, unseal, type Sealing } from "../sealed.js";
import { isSupportedVersion, type ProtocolVersion } from "../mcp/transport.js";

/** Origin → the gateway's session id at that origin's endpoint ("" when the origin keeps no sessions). */
export type VirtualSession = { version: ProtocolVersion; origins: Record<string, string> };
export type VirtualBinding = { server: string; principal: string };

const sessions = (secret: string): Sealing => ({ secret, purpose: "virtual-session", prefix: "w2v." });
const cursors = (secret: string): Sealing => ({ secret, purpose: "virtual-cursor", prefix: "mcpw-c1." });
/** The longest session id or cursor this gateway issues or opens (16 KiB). */
export const MAX_SEALED_LENGTH = 16 * 1024;

export function wrapVirtualSession(secret: string, binding: VirtualBinding, session: VirtualSession): Promise<string> {
  return seal(sessions(secret), [binding.server, binding.principal], [session.version, session.origins]);
}

/** Session ids this isolate opened, per secret, by their binding and id (as mcp/session.ts keeps origin sessions'). */
const verifiedBySecret = new Map<string, IsolateCache<string, VirtualSession>>();

export async function unwrapVirtualSession(secret: string, binding: VirtualBinding, id: string): Promise<VirtualSession> {
  if (id.length > MAX_SEALED_LENGTH) throw new GatewayError("sessionNotFound", `session id of ${id.length} characters`, { detail: `Mcp-Session-Id is longer than ${MAX_SEALED_LENGTH} characters: not one this gateway issued`, forged: true });
  let verified = verifiedBySecret.get(secret);
  if (!verified) verifiedBySecret.set(secret, (verified = new IsolateCache(10_000)));
  const known = JSON.stringify([binding.server, binding.principal, id]);
  const cached = verified.get(known);
  if (cached) return cached;
  const opened = await unseal(sessions(secret), [binding.server, binding.principal], id, MAX_SEALED_LENGTH);
  const [version, origins] = Array.isArray(opened) && opened.length === 2 ? (opened as unknown[]) : [];
  if (typeof version !== "string" || !isSupportedVersion(version) || typeof origins !== "object" || origins === null || Array.isArray(origins) || !Object.values(origins).every((inner) => typeof inner === "string")) {
    throw new GatewayError("sessionNotFound", "session id does not open for this server and principal", { forged: true });
  }
  const session = { version, origins: origins as Record<string, string> };
  verified.set(known, session);
  return session;
}

/** A listing cursor: where each origin's listing goes on (null: from its start), for this caller and method only. */
export async function sealCursor(secret: string, binding: VirtualBinding, method: string, next: Record<string, string | null>): Promise<string> {
  const cursor = await seal(cursors(secret), [binding.server, binding.principal, method], next);
  if (cursor.length > MAX_SEALED_LENGTH) throw new GatewayError("originInvalidAnswer", `merged cursor of ${cursor.length} characters`, { detail: `the origins' cursors together are longer than ${MAX_SEALED_LENGTH} characters` });
  return cursor;
}

export async function openCursor(secret: string, binding: VirtualBinding, method: string, cursor: string): Promise<Record<string, string | null>> {
  if (cursor.length > MAX_SEALED_LENGTH) throw new GatewayError("invalidParams", `cursor of ${cursor.length} characters`, { detail: `cursor is longer than ${MAX_SEALED_LENGTH} characters: not one this gateway issued`, forged: true });
  const opened = await unseal(cursors(secret), [binding.server, binding.principal, method], cursor, MAX_SEALED_LENGTH);
  if (typeof opened !== "object" || opened === null || Array.isArray(opened) || !Object.values(opened).every((value) => typeof value === "string" || value === null)) {
    throw new GatewayError("invalidParams", "cursor not issued by this gateway for this listing", { detail: "cursor must be the nextCursor this server gave you, unchanged", forged: true });
  }
  return opened as Record<string, string | null>;
}
