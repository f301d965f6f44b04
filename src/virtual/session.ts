// What a virtual server hands its clients to echo instead of keeping state: the session id, which
// seals (sealed.ts) the negotiated revision and, per origin that joined at initialize, the gateway's
// own session id at that origin's endpoint (itself sealed, mcp/session.ts) — bound to the server and
// the principal; and listing cursors, which seal where each origin's listing goes on. Size: about
// 60 + 170·N characters for N origins (README, "Virtual servers").

import { GatewayError } from "../errors.js";
import { seal, unseal, type Sealing } from "../sealed.js";
import { isSupportedVersion, type ProtocolVersion } from "../mcp/transport.js";

/** Origin → the gateway's session id at that origin's endpoint ("" when the origin keeps no sessions). */
export type VirtualSession = { version: ProtocolVersion; origins: Record<string, string> };
export type VirtualBinding = { server: string; principal: string };

const sessions = (secret: string): Sealing => ({ secret, purpose: "virtual-session", prefix: "w2v." });
const cursors = (secret: string): Sealing => ({ secret, purpose: "virtual-cursor", prefix: "mcpw-c1." });
const MAX_SESSION_ID = 16 * 1024;

export function wrapVirtualSession(secret: string, binding: VirtualBinding, session: VirtualSession): Promise<string> {
  return seal(sessions(secret), [binding.server, binding.principal], [session.version, session.origins]);
}

export async function unwrapVirtualSession(secret: string, binding: VirtualBinding, id: string): Promise<VirtualSession> {
  const opened = await unseal(sessions(secret), [binding.server, binding.principal], id, MAX_SESSION_ID);
  const [version, origins] = Array.isArray(opened) && opened.length === 2 ? (opened as unknown[]) : [];
  if (typeof version !== "string" || !isSupportedVersion(version) || typeof origins !== "object" || origins === null || Array.isArray(origins) || !Object.values(origins).every((inner) => typeof inner === "string")) {
    throw new GatewayError("sessionNotFound", "session id does not open for this server and principal", { forged: true });
  }
  return { version, origins: origins as Record<string, string> };
}

/** A listing cursor: where each origin's listing goes on, for this caller and method only. */
export function sealCursor(secret: string, binding: VirtualBinding, method: string, next: Record<string, string>): Promise<string> {
  return seal(cursors(secret), [binding.server, binding.principal, method], next);
}

export async function openCursor(secret: string, binding: VirtualBinding, method: string, cursor: string): Promise<Record<string, string>> {
  const opened = await unseal(cursors(secret), [binding.server, binding.principal, method], cursor, MAX_SESSION_ID);
  if (typeof opened !== "object" || opened === null || Array.isArray(opened) || !Object.values(opened).every((value) => typeof value === "string")) {
    throw new GatewayError("invalidParams", "cursor not issued by this gateway for this listing", { detail: "cursor must be the nextCursor this server gave you, unchanged", forged: true });
  }
  return opened as Record<string, string>;
}
