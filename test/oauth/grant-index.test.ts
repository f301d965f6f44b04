// The grant index's keys: one prefix per subject and per client, fixed length, and metadata within KV's limit.

import { describe, expect, it } from "vitest";
import { grantIndexKeys, grantIndexPrefix, indexMetadata } from "../../src/oauth/grant-index.js";

describe("grant index", () => {
  it("keys each grant under its subject's prefix and its client's, whatever their length or characters", async () => {
    const grant = "0123456789abcdef0123456789abcdef";
    const client = `https://app.example/${"x".repeat(1500)}?a=b:c`;
    const keys = await grantIndexKeys({ grant, subject: "oidc:alice", client });
    expect(keys).toEqual([(await grantIndexPrefix("subject", "oidc:alice")) + grant, (await grantIndexPrefix("client", client)) + grant]);
    for (const key of keys) expect(key).toMatch(/^oauth-grant:(subject|client):[0-9a-f]{32}:[0-9a-f]{32}$/);
    expect(await grantIndexPrefix("subject", "oidc:alice")).not.toBe(await grantIndexPrefix("subject", "oidc:alicf"));
    expect(await grantIndexPrefix("subject", "x")).not.toBe(await grantIndexPrefix("client", "x"));
  });

  it("keeps the listed metadata under KV's 1024 bytes", () => {
    const long = "y".repeat(3000);
    const metadata = indexMetadata({ grant: "0".repeat(32), subject: long, name: long, client: long, origin: "everything", roles: Array(50).fill(long), createdAt: 1, expiresAt: 2 });
    expect(new TextEncoder().encode(JSON.stringify(metadata)).length).toBeLessThanOrEqual(1024);
  });
});
