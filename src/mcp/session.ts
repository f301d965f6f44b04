// Stateless gateway sessions. The id the client holds wraps the origin's session id, the protocol
// version negotiated at initialize, and binds both to the origin and the principal under an HMAC keyed
// by the SESSION_SECRET Worker secret: no session table, and an id is only good for the caller it was
// issued to. Format: `w1.<base64url origin id>.<version>.<base64url mac>`. An isolate remembers the ids
// it verified (for their binding) so a session's later requests skip the MAC.

import { GatewayError } from "../errors.js";
import { fromBase64Url, hmacSha256, hmacVerify, toBase64Url } from "../hmac.js";
import { IsolateCache } from "../isolate-cache.js";
import type { JsonRpcMessage } from "./jsonrpc.js";
import { STATELESS_VERSION, isSupportedVersion, type ProtocolVersion } from "./transport.js";

export type SessionBinding = { origin: string; principal: string };
export type Session = { originSessionId: string; version: ProtocolVersion };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function macInput(binding: SessionBinding, session: Session): string {
  return ["w1", binding.origin, binding.principal, session.version, session.originSessionId].join("\n");
}

/** Origin session ids are visible ASCII per the spec; anything else from an origin is refused. */
export function isValidOriginSessionId(id: string): boolean {
  return /^[\x21-\x7e]{1,1024}$/.test(id);
}

export async function wrapSession(secret: string, binding: SessionBinding, session: Session): Promise<string> {
  const mac = await hmacSha256(secret, macInput(binding, session));
  return `w1.${toBase64Url(encoder.encode(session.originSessionId))}.${session.version}.${toBase64Url(mac)}`;
}

/** Ids this isolate verified, per secret, by their binding and id. */
const verifiedBySecret = new Map<string, IsolateCache<string, Session>>();

/** The session inside a client's id, or a 404 GatewayError when it is malformed, forged or someone else's. */
export async function unwrapSession(secret: string, binding: SessionBinding, clientId: string): Promise<Session> {
  let verified = verifiedBySecret.get(secret);
  if (!verified) verifiedBySecret.set(secret, (verified = new IsolateCache(10_000)));
  const known = JSON.stringify([binding.origin, binding.principal, clientId]);
  const cached = verified.get(known);
  if (cached) return cached;
  const notFound = (reason: string) => new GatewayError("sessionNotFound", reason);
  const parts = clientId.split(".");
  if (parts.length !== 4 || parts[0] !== "w1") throw notFound("malformed session id");
  const [, encodedId, version, encodedMac] = parts as [string, string, string, string];
  const idBytes = fromBase64Url(encodedId);
  const mac = fromBase64Url(encodedMac);
  if (!idBytes || !mac || mac.length !== 32 || !isSupportedVersion(version)) throw notFound("malformed session id");
  let originSessionId: string;
  try {
    originSessionId = decoder.decode(idBytes);
  } catch {
    throw notFound("malformed session id");
  }
  const session = { originSessionId, version };
  if (!isValidOriginSessionId(originSessionId) || !(await hmacVerify(secret, macInput(binding, session), mac))) {
    throw notFound("session id does not verify for this origin and principal");
  }
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
