// The demo OpenID provider (the `oidc-provider` package) on loopback, for `npm start` and the OAuth tests:
// one confidential client (the gateway), authorization code + PKCE, ID tokens signed with keys it makes
// at start, and demo users whose claims exercise the gateway's role mapping. Logins go through the
// package's own development login form (any password; the user name picks the account), so the user
// agent that signs in is a real browser or a test driving the same HTML forms.

import { generateKeyPairSync } from "node:crypto";
import type { Server } from "node:http";
import Provider, { errors } from "oidc-provider";

export const IDP_CLIENT_ID = "mcp-warden";
export const IDP_CLIENT_SECRET = "oidc-client-secret-for-the-local-provider-5b1e";

/** Demo users: alice is an SRE (developer), bob is staff (viewer), carol has no group, mallory is outside the allowed e-mail domain. */
export const DEMO_USERS: Record<string, { email: string; email_verified: boolean; name: string; groups: string[] }> = {
  alice: { email: "alice@example.com", email_verified: true, name: "Alice", groups: ["sre"] },
  bob: { email: "bob@example.com", email_verified: true, name: "Bob", groups: ["staff"] },
  carol: { email: "carol@example.com", email_verified: true, name: "Carol", groups: [] },
  mallory: { email: "mallory@example.org", email_verified: true, name: "Mallory", groups: ["sre"] },
};

export type Idp = { issuer: string; close(): Promise<void> };

/**
 * The provider as the issuer of JWT access tokens (the gateway's JWT resource-server mode): for each
 * resource indicator (RFC 8707) in `resources` a token is a JWT (RFC 9068) whose `aud` is that resource,
 * issued by client_credentials to the machine clients.
 */
export type JwtIssuing = { resources: string[]; machineClients: { clientId: string; clientSecret: string }[] };

export async function startIdp(port: number, gatewayCallbacks: string[], jwtIssuing?: JwtIssuing): Promise<Idp> {
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: "idp-key-1", alg: "RS256", use: "sig" };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: IDP_CLIENT_ID,
        client_secret: IDP_CLIENT_SECRET,
        redirect_uris: gatewayCallbacks,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
      ...(jwtIssuing?.machineClients ?? []).map(({ clientId, clientSecret }) => ({
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [],
        grant_types: ["client_credentials"],
        response_types: [],
        token_endpoint_auth_method: "client_secret_basic" as const,
      })),
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ["local-idp-cookie-key-0123456789"] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups"],
    // The gateway reads the user's claims from the ID token alone.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60, ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: true },
      ...(jwtIssuing
        ? {
            clientCredentials: { enabled: true },
            resourceIndicators: {
              enabled: true,
              defaultResource: () => undefined,
              useGrantedResource: () => false,
              getResourceServerInfo(_ctx, resource) {
                if (!jwtIssuing.resources.includes(resource)) throw new errors.InvalidTarget();
                return { scope: "mcp", audience: resource, accessTokenFormat: "jwt", accessTokenTTL: 600, jwt: { sign: { alg: "RS256" } } };
              },
            },
          }
        : {}),
    },
    async findAccount(_ctx, id) {
      const user = DEMO_USERS[id];
      if (!user) return undefined;
      return { accountId: id, claims: () => ({ sub: id, ...user }) };
    },
    // The provider's own consent is implied for its one first-party client; the gateway asks for consent per MCP client.
    async loadExistingGrant(ctx) {
      const accountId = ctx.oidc.session!.accountId!;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId });
      grant.addOIDCScope("openid email profile groups");
      await grant.save();
      return grant;
    },
  });
  const server: Server = await new Promise((resolve) => {
    const listening = provider.listen(port, "127.0.0.1", () => resolve(listening));
  });
  return {
    issuer,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
