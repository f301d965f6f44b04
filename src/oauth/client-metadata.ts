// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, the MCP registration
// path): a client's id is an https URL whose JSON document names it and its redirect URIs. Fetched
// defensively — https only, no private or loopback address literals, no redirects, a size and a time
// cap — then validated and cached per isolate. `allowLoopbackHttp` admits http on 127.0.0.1/localhost
// and is set only by the INSECURE_DEV_LOOPBACK_CLIENT_METADATA binding of tests and `npm start`.

import * as z from "zod/mini";
import { OAuthError } from "../errors.js";
import { IsolateCache } from "../isolate-cache.js";

export const MAX_METADATA_BYTES = 5 * 1024;
export const METADATA_TIMEOUT_MS = 3_000;
const CACHE_SECONDS = 300;
/** A failed fetch is remembered this long, so a client cannot make the gateway fetch again and again. */
export const FAILURE_CACHE_SECONDS = 60;

const metadataSchema = z.object({
  client_id: z.string(),
  client_name: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  client_uri: z.optional(z.string().check(z.maxLength(2000))),
  redirect_uris: z.array(z.string().check(z.maxLength(2000))).check(z.minLength(1), z.maxLength(20)),
  token_endpoint_auth_method: z.optional(z.string()),
  grant_types: z.optional(z.array(z.string())),
  response_types: z.optional(z.array(z.string())),
});

export type ClientMetadata = { clientId: string; name: string; redirectUris: string[] };

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Address literals and names a metadata fetch must never reach: loopback, private, link-local, CGNAT,
 * benchmarking (198.18/15), IETF protocol assignments (192.0.0/24), multicast and reserved, unspecified,
 * ULA, site-local, and IPv6 forms that embed an IPv4 address (mapped, NAT64 64:ff9b::/96, 6to4 2002::/16).
 * One trailing dot (the absolute form of a DNS name, `localhost.`) is the same host and is stripped first.
 */
export function isNonPublicHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal")) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) {
    const [a, b, c] = [Number(v4[1]), Number(v4[2]), Number(v4[3])];
    return (
      a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 192 && b === 0 && c === 0) || (a === 198 && (b === 18 || b === 19)) || a >= 224
    );
  }
  if (host.startsWith("[")) {
    const v6 = host.slice(1, -1);
    return v6 === "::" || v6 === "::1" || /^f[cd]/.test(v6) || /^fe[89a-f]/.test(v6) || v6.startsWith("::ffff:") || v6.startsWith("64:ff9b:") || v6.startsWith("2002:") || /^::[0-9a-f]*[.:]/.test(v6);
  }
  // A bare number or hex form (http://2130706433/) is an address literal in disguise.
  return /^[0-9.]+$/.test(host) || /^0x/i.test(host);
}

/**
 * Whether a metadata document may register `redirect`: https, http on a loopback IP literal (RFC 8252
 * §7.3), or a private-use scheme with a dot in its name (RFC 8252 §7.1, `com.example.app:/cb`); never
 * javascript:, data: and the like, a non-loopback http URI, credentials or a fragment.
 */
export function redirectUriRegistrable(redirect: string): boolean {
  if (!URL.canParse(redirect)) return false;
  const url = new URL(redirect);
  if (url.username || url.password || url.hash) return false;
  if (url.protocol === "https:") return /^([a-z0-9.-]+|\[[0-9a-f:.]+\])$/.test(url.hostname);
  if (url.protocol === "http:") return url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  return /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/.test(url.protocol);
}

/** The client id as a URL, or an OAuthError saying why it cannot be a metadata document's address. */
export function clientIdUrl(clientId: string, allowLoopbackHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw new OAuthError("invalid_client", "client_id must be the https URL of a client metadata document");
  }
  const loopbackHttp = allowLoopbackHttp && url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !loopbackHttp) throw new OAuthError("invalid_client", "client_id must be an https URL");
  if (url.username || url.password || url.hash || url.pathname === "/" || url.href !== clientId) {
    throw new OAuthError("invalid_client", "client_id must be a normalized URL with a path and no credentials or fragment");
  }
  if (!loopbackHttp && isNonPublicHost(url.hostname)) throw new OAuthError("invalid_client", "client_id must not name a private or loopback address");
  return url;
}

const cache = new IsolateCache<string, { metadata: ClientMetadata; until: number } | { failure: OAuthError; until: number }>(1_000);

async function readCapped(response: Response): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > MAX_METADATA_BYTES) throw new OAuthError("invalid_client", "client metadata document is too large");
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_METADATA_BYTES) {
      await reader.cancel();
      throw new OAuthError("invalid_client", "client metadata document is too large");
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
}

/**
 * Fetches, validates and caches the metadata document at `clientId`. A failure is cached too (for
 * FAILURE_CACHE_SECONDS, negative caching): the same client id fails again from the cache, unfetched.
 */
export async function clientMetadata(clientId: string, allowLoopbackHttp: boolean, now: number): Promise<ClientMetadata> {
  const cached = cache.get(clientId);
  if (cached && cached.until > now) {
    if ("failure" in cached) throw cached.failure;
    return cached.metadata;
  }
  // An id that is no fetchable URL costs nothing to check again and would only fill the cache.
  const url = clientIdUrl(clientId, allowLoopbackHttp);
  try {
    const metadata = await fetchMetadata(clientId, url);
    cache.set(clientId, { metadata, until: now + CACHE_SECONDS });
    return metadata;
  } catch (error) {
    if (error instanceof OAuthError) cache.set(clientId, { failure: error, until: now + FAILURE_CACHE_SECONDS });
    throw error;
  }
}

async function fetchMetadata(clientId: string, url: URL): Promise<ClientMetadata> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: "manual", headers: { accept: "application/json" }, signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) });
  } catch {
    throw new OAuthError("invalid_client", "client metadata document could not be fetched in time");
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new OAuthError("invalid_client", `client metadata document answered ${response.status}; redirects are not followed`);
  }
  let json: unknown;
  try {
    json = JSON.parse(await readCapped(response));
  } catch (error) {
    if (error instanceof OAuthError) throw error;
    throw new OAuthError("invalid_client", "client metadata document is not JSON");
  }
  const parsed = metadataSchema.safeParse(json);
  if (!parsed.success) throw new OAuthError("invalid_client", "client metadata document lacks a valid client_id or redirect_uris");
  const document = parsed.data;
  if (document.client_id !== clientId) throw new OAuthError("invalid_client", "client metadata document names a different client_id");
  if ((document.token_endpoint_auth_method ?? "none") !== "none") throw new OAuthError("invalid_client", "only public clients (token_endpoint_auth_method none) are supported");
  for (const redirect of document.redirect_uris) {
    if (!redirectUriRegistrable(redirect)) throw new OAuthError("invalid_client", "client metadata document has a redirect URI that is not https, http on a loopback address, or a private-use scheme");
  }
  return { clientId, name: document.client_name ?? new URL(clientId).host, redirectUris: document.redirect_uris };
}

/**
 * Whether `redirectUri` is one the document registered: an exact match, or (RFC 8252 §7.3) an http
 * loopback redirect that differs only in its port, since native clients listen on whatever port is free.
 */
export function redirectUriAllowed(metadata: ClientMetadata, redirectUri: string): boolean {
  if (metadata.redirectUris.includes(redirectUri)) return true;
  if (!URL.canParse(redirectUri)) return false;
  const asked = new URL(redirectUri);
  if (asked.protocol !== "http:" || !LOOPBACK_HOSTS.has(asked.hostname) || asked.hostname === "localhost") return false;
  return metadata.redirectUris.some((registered) => {
    const known = new URL(registered);
    return known.protocol === "http:" && known.hostname === asked.hostname && known.pathname === asked.pathname && known.search === asked.search;
  });
}
