// The HTTP side of MCP Streamable HTTP: which protocol versions are spoken, and the header checks
// (Origin, Accept, Content-Type, Content-Encoding, MCP-Protocol-Version, 2026-07-28's Mcp-Method and
// Mcp-Name) made before a body is read or after it is parsed. Pure: headers in, a decision or a GatewayError out.

import { GatewayError } from "../errors.js";
import type { Target } from "./jsonrpc.js";

/** 2025-03-26 is accepted for older clients; the batches it allowed are still refused. */
export const SUPPORTED_VERSIONS = ["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"] as const;
export type ProtocolVersion = (typeof SUPPORTED_VERSIONS)[number];
/** The revision without initialize or sessions, where every request names its method and target in headers. */
export const STATELESS_VERSION: ProtocolVersion = "2026-07-28";

export function isSupportedVersion(version: string): version is ProtocolVersion {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(version);
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Browsers send Origin; a page on a host the operator did not allow must not reach the gateway (CSRF,
 * DNS rebinding). Allowed: the configured origins, and a page on the gateway's own loopback address
 * (a rebinding attack arrives with the attacker's host name, not a loopback one).
 */
export function checkOrigin(headers: Headers, allowedOrigins: readonly string[], requestUrl: URL): void {
  const origin = headers.get("origin");
  if (origin === null || allowedOrigins.includes(origin)) return;
  if (origin === requestUrl.origin && LOOPBACK_HOSTS.has(requestUrl.hostname)) return;
  throw new GatewayError("forbiddenOrigin", "browser origin not on the allow-list");
}

/** The media types an Accept header accepts, without parameters, lower-cased; `q=0` means not accepted. */
function acceptedTypes(headers: Headers): string[] {
  return (headers.get("accept") ?? "")
    .split(",")
    .map((part) => part.split(";").map((piece) => piece.trim().toLowerCase()))
    .filter(([type, ...parameters]) => type !== "" && !parameters.some((parameter) => /^q=0(\.0{0,3})?$/.test(parameter)))
    .map(([type]) => type!);
}

function accepts(types: string[], type: string): boolean {
  const major = type.slice(0, type.indexOf("/"));
  return types.includes(type) || types.includes(`${major}/*`) || types.includes("*/*");
}

export function checkPostHeaders(headers: Headers): void {
  const types = acceptedTypes(headers);
  if (!accepts(types, "application/json") || !accepts(types, "text/event-stream")) {
    throw new GatewayError("notAcceptable", "accept lacks json or event-stream", {
      detail: "Accept must list application/json and text/event-stream",
    });
  }
  const contentType = headers.get("content-type") ?? "";
  const [mediaType, ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  const badParameter = parameters.find((parameter) => parameter !== "charset=utf-8" && parameter !== 'charset="utf-8"');
  if (mediaType !== "application/json" || badParameter !== undefined) {
    throw new GatewayError("unsupportedMediaType", "content-type is not application/json", {
      detail: "Content-Type must be application/json",
    });
  }
  checkContentEncoding(headers);
}

export function checkContentEncoding(headers: Headers): void {
  const encoding = headers.get("content-encoding");
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity") {
    throw new GatewayError("unsupportedMediaType", "content-encoding present", { detail: "Content-Encoding is not supported" });
  }
}

export function checkGetHeaders(headers: Headers): void {
  if (!accepts(acceptedTypes(headers), "text/event-stream")) {
    throw new GatewayError("notAcceptable", "GET without event-stream accept", { detail: "Accept must list text/event-stream" });
  }
}

/**
 * The MCP-Protocol-Version header, if the client sent one; an unsupported value is refused with the
 * 2026-07-28 UnsupportedProtocolVersionError data: the versions supported (for a message that speaks
 * the stateless revision, that revision's; otherwise all) and the version requested.
 */
export function headerVersion(headers: Headers, stateless = false): ProtocolVersion | undefined {
  const version = headers.get("mcp-protocol-version");
  if (version === null) return undefined;
  if (!isSupportedVersion(version)) {
    const supported = stateless ? [STATELESS_VERSION] : [...SUPPORTED_VERSIONS];
    throw new GatewayError("unsupportedVersion", "unsupported protocol version header", {
      detail: `supported versions are ${supported.join(", ")}`,
      data: { supported, requested: version.slice(0, 64) },
    });
  }
  return version;
}

const SENTINEL = /^=\?base64\?(.*)\?=$/s;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEADER_SAFE = /^[\x20-\x7e]*$/;
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A 2026-07-28 header value as the body says it: `=?base64?…?=` (markers case-sensitive) is decoded
 * as canonical base64 of UTF-8; invalid base64 yields undefined, which never equals a body value.
 * Anything else is literal.
 */
export function decodeHeaderValue(value: string): string | undefined {
  const match = SENTINEL.exec(value);
  if (!match) return value;
  const encoded = match[1]!;
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) return undefined;
  try {
    const binary = atob(encoded);
    if (btoa(binary) !== encoded) return undefined;
    return utf8Strict.decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/** A value for a 2026-07-28 header: literal when header-safe, otherwise (or when it looks like the sentinel) base64-encoded. */
export function encodeHeaderValue(value: string): string {
  if (HEADER_SAFE.test(value) && !SENTINEL.test(value) && value.trim() === value) return value;
  let binary = "";
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return `=?base64?${btoa(binary)}?=`;
}

/** 2026-07-28: Mcp-Method and Mcp-Name must say exactly what the body says. */
export function checkStatelessHeaders(headers: Headers, target: Target): void {
  const method = headers.get("mcp-method");
  if (method !== target.method) {
    throw new GatewayError("headerMismatch", "mcp-method differs from body", { detail: "Mcp-Method must equal the method" });
  }
  const header = headers.get("mcp-name");
  const name = header === null ? null : decodeHeaderValue(header);
  if (name !== (target.name ?? null)) {
    throw new GatewayError("headerMismatch", "mcp-name differs from body", {
      detail: target.name === undefined ? "Mcp-Name must be absent for this method" : "Mcp-Name must equal the target name",
    });
  }
}
