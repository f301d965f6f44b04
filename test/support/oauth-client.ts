// The MCP SDK's OAuth client state for a test client (OAuthClientProvider): it keeps the tokens, the
// PKCE verifier and the authorization URL the SDK hands over, so a test can drive the browser step
// itself and read what the SDK saved. Subclasses say how the client is known to the gateway.

import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";

export abstract class RecordingOAuthClient implements OAuthClientProvider {
  saved?: OAuthTokens;
  verifier = "";
  authorizationUrl?: URL;
  constructor(
    readonly redirectUrl: string,
    readonly clientMetadata: OAuthClientMetadata,
  ) {}
  abstract clientInformation(): OAuthClientInformationMixed | undefined;
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}
