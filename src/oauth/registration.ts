// Dynamic Client Registration (RFC 7591), only when the policy turns it on (`oauth.dynamicClientRegistration`;
// the 2026-07-28 MCP authorization spec deprecates it for client metadata documents). A registration is
// validated strictly — public clients only (token_endpoint_auth_method "none"), the authorization code and
// refresh token grants only, response type code only, redirect URIs under the same rules as a metadata
// document's — and stored in KV under a keyed hash of the client id it is given, for as long as a grant lives.

import * as z from "zod/mini";
import { OAuthError } from "../errors.js";
import { hmacSha256, toBase64Url, toHex } from "../hmac.js";
import type { ClientMetadata } from "./client-metadata.js";
import { redirectUriRegistrable } from "./client-metadata.js";

export const MAX_REGISTRATION_BYTES = 5 * 1024;
const CLIENT_KEY_PREFIX = "oauth-client:";
/** A registered client's id: never a URL, so it can never be taken for a metadata document's address. */
export const REGISTERED_CLIENT_ID = /^mcpw-client-[A-Za-z0-9_-]{22}$/;

const registrationSchema = z.object({
  redirect_uris: z.array(z.string().check(z.maxLength(2000))).check(z.minLength(1), z.maxLength(20)),
  token_endpoint_auth_method: z.optional(z.string()),
  grant_types: z.optional(z.array(z.string()).check(z.maxLength(10))),
  response_types: z.optional(z.array(z.string()).check(z.maxLength(10))),
  client_name: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  client_uri: z.optional(z.string().check(z.maxLength(2000))),
});

export type Registration = { v: 1; clientId: string; name: string; redirectUris: string[]; createdAt: number };

/** The registration request's metadata, checked; an OAuthError (invalid_client_metadata or invalid_redirect_uri) says what is wrong. */
export function validateRegistration(body: unknown): { name?: string; redirectUris: string[]; grantTypes: string[] } {
  const parsed = registrationSchema.safeParse(body);
  if (!parsed.success) throw new OAuthError("invalid_client_metadata", "the registration needs redirect_uris (1 to 20) and well-typed client_name, grant_types and response_types");
  const metadata = parsed.data;
  // RFC 7591's default method is client_secret_basic: a client must say it is public.
  if (metadata.token_endpoint_auth_method !== "none") throw new OAuthError("invalid_client_metadata", "only public clients are registered: token_endpoint_auth_method must be none");
  const grantTypes = metadata.grant_types ?? ["authorization_code"];
  if (!grantTypes.includes("authorization_code") || grantTypes.some((grant) => grant !== "authorization_code" && grant !== "refresh_token")) {
    throw new OAuthError("invalid_client_metadata", "grant_types must be authorization_code, optionally with refresh_token");
  }
  if (metadata.response_types && (metadata.response_types.length !== 1 || metadata.response_types[0] !== "code")) throw new OAuthError("invalid_client_metadata", "response_types must be [code]");
  for (const redirect of metadata.redirect_uris) {
    if (!redirectUriRegistrable(redirect)) throw new OAuthError("invalid_redirect_uri", "every redirect URI must be https, http on a loopback address, or a private-use scheme, with no credentials or fragment");
  }
  return { ...(metadata.client_name ? { name: metadata.client_name } : {}), redirectUris: [...new Set(metadata.redirect_uris)], grantTypes: [...new Set(grantTypes)] };
}

async function clientKey(pepper: string, clientId: string): Promise<string> {
  return CLIENT_KEY_PREFIX + toHex(await hmacSha256(pepper, `client\n${clientId}`));
}

/** Stores a new registration and returns it; its id is 128 random bits. */
export async function register(kv: KVNamespace, pepper: string, validated: { name?: string; redirectUris: string[] }, now: number, lifetimeSeconds: number): Promise<Registration> {
  const clientId = `mcpw-client-${toBase64Url(crypto.getRandomValues(new Uint8Array(16)))}`;
  const registration: Registration = { v: 1, clientId, name: validated.name ?? "Unnamed client", redirectUris: validated.redirectUris, createdAt: now };
  await kv.put(await clientKey(pepper, clientId), JSON.stringify(registration), { expiration: now + lifetimeSeconds });
  return registration;
}

/** A registered client as the authorization endpoint uses it, or an OAuthError (unknown or expired). */
export async function registeredClient(kv: KVNamespace, pepper: string, clientId: string): Promise<ClientMetadata> {
  const stored = await kv.get(await clientKey(pepper, clientId), "text");
  if (stored === null) throw new OAuthError("invalid_client", "no client is registered with this client_id");
  const registration = JSON.parse(stored) as Registration;
  // The name is the client's own word: the consent page says so.
  return { clientId, name: `${registration.name} (registered dynamically, unverified)`, redirectUris: registration.redirectUris };
}
