// Stateless gateway sessions. The id the client holds seals the origin's session id and the protocol
// version negotiated at initialize (AES-GCM, sealed.ts), bound to the origin and the principal: no
// session table, the origin's id never travels in clear, and an id is only good for the caller it was
// issued to. Format: `w2.<base64url sealed>`. An isolate remembers the ids it opened (for their
// binding) so a session's later requests skip the decryption.

import { GatewayError } from "../errors.js";
import { IsolateCache } from "../isolate-cache.js";
import { seal, unseal, type Sealing } from "../sealed.js";
import type { JsonRpcMessage } from "./jsonrpc.js";
import { STATELESS_VERSION, isSupportedVersion, type ProtocolVersion } from "./transport.js";

export type SessionBinding = { origin: string; principal: string };
export type Session = { originSessionId: string; version: ProtocolVersion };

const sealing = (secret: string): Sealing => ({ secret, purpose: "session", prefix: "w2." });
const bound = (binding: SessionBinding) => [binding.origin, binding.principal];

/** Origin session ids are visible ASCII per the spec; anything else from an origin is refused. */
export function isValidOriginSessionId(id: string): boolean {
  return /^[\x21-\x7e]{1,1024}$/.test(id);
}

export async function wrapSession(secret: string, binding: SessionBinding, session: Session): Promise<string> {
  return seal(sealing(secret), bound(binding), [session.version, session.originSessionId]);
}

/** Ids this isolate opened, per secret, by their binding and id. */
const verifiedBySecret = new Map<string, IsolateCache<string, Session>>();

/** The session inside a client's id, or a 404 GatewayError when it is malformed, forged or someone else's. */
export async function unwrapSession(secret: string, binding: SessionBinding, clientId: string): Promise<Session> {
  let verified = verifiedBySecret.get(secret);
  if (!verified) verifiedBySecret.set(secret, (verified = new IsolateCache(10_000)));
  const known = JSON.stringify([binding.origin, binding.principal, clientId]);
  const cached = verified.get(known);
  if (cached) return cached;
  const opened = await unseal(sealing(secret), bound(binding), clientId);
  if (!Array.isArray(opened) || opened.length !== 2) throw new GatewayError("sessionNotFound", "session id does not open for this origin and principal", { forged: true });
  const [version, originSessionId] = opened as unknown[];
  if (typeof version !== "string" || !isSupportedVersion(version) || typeof originSessionId !== "string" || !isValidOriginSessionId(originSessionId)) {
    throw new GatewayError("sessionNotFound", "session id holds no valid session");
  }
  const session = { originSessionId, version };
  verified.set(known, session);
  return session;
}

/**
 * The gateway's session id for the origin session an initialize answer opened, bound to this origin and
 * principal; none when the origin keeps no sessions. An unsupported revision or an invalid origin id is
 * the origin's fault.
 */
export async function sessionFromInitialize(secret: string, binding: SessionBinding, originSessionId: string | null, answer: JsonRpcMessage | undefined): Promise<string | undefined> {
  if (originSessionId === null || !answer || answer.kind !== "response" || !("result" in answer.message)) return undefined;
  const version = answer.message.result.protocolVersion;
  if (typeof version !== "string" || !isSupportedVersion(version) || version === STATELESS_VERSION) {
    throw new GatewayError("originInvalidAnswer", "origin negotiated an unsupported protocol version");
  }
  if (!isValidOriginSessionId(originSessionId)) throw new GatewayError("originInvalidAnswer", "origin sent an invalid session id");
  return wrapSession(secret, binding, { originSessionId, version });
}
