import { describe, expect, it } from "vitest";
import { TOKEN_PATTERN, crc32, generateToken, isWellFormedToken, tokenKey } from "../../src/auth/token.js";
import { metadataOf } from "../../src/auth/record.js";

describe("mcp-warden tokens", () => {
  it("are mcpw_ + 32 random base62 characters + a 6-character checksum", () => {
    const tokens = new Set(Array.from({ length: 200 }, generateToken));
    expect(tokens.size).toBe(200);
    for (const token of tokens) {
      expect(token).toMatch(TOKEN_PATTERN);
      expect(token).toHaveLength(43);
      expect(isWellFormedToken(token)).toBe(true);
    }
  });

  it("refuse every single-character change by checksum", () => {
    const token = generateToken();
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (let i = 5; i < token.length; i++) {
      const replacement = alphabet[(alphabet.indexOf(token[i]!) + 1) % alphabet.length];
      expect(isWellFormedToken(token.slice(0, i) + replacement + token.slice(i + 1))).toBe(false);
    }
    expect(isWellFormedToken(token.slice(0, -1))).toBe(false);
    expect(isWellFormedToken(token.replace("mcpw_", "mcpx_"))).toBe(false);
  });

  it("use the standard CRC32", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
  });

  it("are stored under an HMAC that depends on the pepper", async () => {
    const token = generateToken();
    const key = await tokenKey("p".repeat(40), token);
    expect(key).toMatch(/^token:[0-9a-f]{64}$/);
    expect(key).not.toContain(token.slice(5, 15));
    expect(await tokenKey("p".repeat(40), token)).toBe(key);
    expect(await tokenKey("q".repeat(40), token)).not.toBe(key);
  });

  it("draw their random part from the whole alphabet", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) for (const char of generateToken().slice(5, 37)) seen.add(char);
    // 640 uniform draws from 62 characters miss more than 20 of them with negligible probability.
    expect(seen.size).toBeGreaterThan(40);
  });

  it("list with metadata that holds no note and no origins", () => {
    const record = { v: 1 as const, principal: "alice", name: "laptop", roles: ["dev"], createdAt: 1, expiresAt: null, origins: ["o"], note: "private" };
    expect(metadataOf(record)).toEqual({ principal: "alice", name: "laptop", roles: ["dev"], createdAt: 1, expiresAt: null });
  });
});
