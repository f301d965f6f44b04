// Dynamic Client Registration's checks (RFC 7591): public clients, code and refresh grants, code responses, safe redirect URIs.

import { describe, expect, it } from "vitest";
import { OAuthError } from "../../src/errors.js";
import { REGISTERED_CLIENT_ID, validateRegistration } from "../../src/oauth/registration.js";

const valid = { client_name: "App", redirect_uris: ["https://app.example/callback", "http://127.0.0.1:8123/cb", "com.example.app:/cb"], token_endpoint_auth_method: "none" };

function refusal(body: unknown): string {
  try {
    validateRegistration(body);
  } catch (error) {
    if (error instanceof OAuthError) return error.code;
    throw error;
  }
  throw new Error("accepted");
}

describe("validateRegistration", () => {
  it("accepts a public client with safe redirect URIs, defaulting to the code grant", () => {
    expect(validateRegistration(valid)).toEqual({ name: "App", redirectUris: valid.redirect_uris, grantTypes: ["authorization_code"] });
    expect(validateRegistration({ ...valid, grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], unknown_field: 1 }).grantTypes).toEqual(["authorization_code", "refresh_token"]);
  });

  it("refuses confidential clients, other grants and response types, and malformed metadata", () => {
    for (const body of [
      { ...valid, token_endpoint_auth_method: undefined },
      { ...valid, token_endpoint_auth_method: "client_secret_post" },
      { ...valid, token_endpoint_auth_method: "private_key_jwt" },
      { ...valid, grant_types: ["implicit"] },
      { ...valid, grant_types: ["authorization_code", "password"] },
      { ...valid, grant_types: ["refresh_token"] },
      { ...valid, response_types: ["code", "token"] },
      { ...valid, redirect_uris: [] },
      { ...valid, redirect_uris: "https://app.example/cb" },
      { ...valid, client_name: 7 },
      null,
      [],
    ]) {
      expect(refusal(body), JSON.stringify(body)).toBe("invalid_client_metadata");
    }
  });

  it("refuses redirect URIs a metadata document could not register", () => {
    for (const redirect of ["javascript:alert(1)//", "data:text/html,x", "http://app.example/cb", "http://localhost:8080/cb", "https://u:p@app.example/cb", "https://app.example/cb#f", "not a url", "myapp:/cb"]) {
      expect(refusal({ ...valid, redirect_uris: [redirect] }), redirect).toBe("invalid_redirect_uri");
    }
  });

  it("issues ids that can never be read as a metadata document's URL", () => {
    expect(REGISTERED_CLIENT_ID.test("mcpw-client-AAAAAAAAAAAAAAAAAAAAAA")).toBe(true);
    expect(REGISTERED_CLIENT_ID.test("https://app.example/mcpw-client-AAAAAAAAAAAAAAAAAAAAAA")).toBe(false);
  });
});
