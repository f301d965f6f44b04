import { describe, expect, it } from "vitest";
import { scrubText, type ScrubSettings } from "../../src/scrub/scrub.js";
import { scrubMessage } from "../../src/scrub/walk.js";
import { KEEP, PLANTED } from "./samples.js";

const all: ScrubSettings = { families: new Set(["credentials", "personal"]), knownSecrets: [], allow: new Set() };

describe("scrubber", () => {
  it.each(PLANTED.map((sample) => [sample.kind, sample] as const))("redacts %s", (_, sample) => {
    const counts: Record<string, number> = {};
    const out = scrubText(sample.text, all, counts);
    expect(out).not.toContain(sample.secret);
    expect(out).toContain("[REDACTED:");
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it("redacts every planted secret inside long output too, where anchored detectors try each candidate in place", () => {
    const filler = "the build of the release went through the queue and the worker read the result ".repeat(40);
    for (const sample of PLANTED) {
      const out = scrubText(`${filler}${sample.text}\n${filler}`, all, {});
      expect(out, sample.kind).not.toContain(sample.secret);
      expect(out, sample.kind).toContain(filler);
    }
  });

  it("redacts a whole address or none of it: a host followed by a path is an scp target", () => {
    expect(scrubText("mail jo.smith@corp.example.com: see below", all, {})).toBe("mail [REDACTED:email]: see below");
    expect(scrubText("copy to deploy@bastion.example.com:/tmp/", all, {})).toBe("copy to deploy@bastion.example.com:/tmp/");
  });

  it("finds a card printed right after a lone digit", () => {
    expect(scrubText("qty 1 4111 1111 1111 1111 paid", all, {})).toBe("qty 1 [REDACTED:payment-card] paid");
  });

  it("redacts inside JSON-escaped text too", () => {
    for (const sample of PLANTED) {
      const raw = JSON.stringify({ text: `line one\n${sample.text}\nline three` });
      expect(scrubText(raw, all, {})).not.toContain(JSON.stringify(sample.secret).slice(1, -1));
    }
  });

  it.each(KEEP)("keeps the look-alike %s", (text) => {
    expect(scrubText(text, all, {})).toBe(text);
  });

  it("labels redactions with typed markers and counts them by kind, never by value", () => {
    const counts: Record<string, number> = {};
    const out = scrubText("a ghp_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8 and b@c.example and d@e.example", all, counts);
    expect(out).toBe("a [REDACTED:github-token] and [REDACTED:email] and [REDACTED:email]");
    expect(counts).toEqual({ "github-token": 1, email: 2 });
  });

  it("runs only the enabled families and never redacts allow-listed values", () => {
    const text = "mail x.y@corp.example key AKIAQ3EGRKLMNOPQ7XYZ";
    expect(scrubText(text, { ...all, families: new Set(["credentials"]) }, {})).toBe("mail x.y@corp.example key [REDACTED:aws-access-key-id]");
    expect(scrubText(text, { ...all, families: new Set(["personal"]) }, {})).toBe("mail [REDACTED:email] key AKIAQ3EGRKLMNOPQ7XYZ");
    expect(scrubText(text, { ...all, allow: new Set(["AKIAQ3EGRKLMNOPQ7XYZ"]) }, {})).toBe("mail [REDACTED:email] key AKIAQ3EGRKLMNOPQ7XYZ");
  });

  it("always redacts known secret values, whatever they look like", () => {
    const settings = { ...all, families: new Set<never>(), knownSecrets: ["plain-words-secret"] };
    expect(scrubText("the value is plain-words-secret!", settings, {})).toBe("the value is [REDACTED:known-secret]!");
  });

  it("checks checksums: Luhn for cards, mod-97 for IBANs, CRC32 for mcp-warden tokens", () => {
    expect(scrubText("card 4111 1111 1111 1112", all, {})).toBe("card 4111 1111 1111 1112");
    expect(scrubText("iban GB82WEST12345698765433", all, {})).toBe("iban GB82WEST12345698765433");
    const token = PLANTED[0]!.secret;
    const broken = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    expect(scrubText(`t ${broken}`, all, {})).toBe(`t ${broken}`);
  });

  it.each([
    ["digits", "1".repeat(1 << 20)],
    ["letters", "a".repeat(1 << 20)],
    ["at signs", "a@".repeat(1 << 19)],
    ["secret words", "password=".repeat(100_000)],
    ["base64", "A".repeat(1 << 20) + "=="],
    ["JWT prefixes", "eyJ".repeat(300_000)],
    ["PEM headers", "-----BEGIN PRIVATE KEY-----".repeat(30_000)],
    ["phone-shaped runs", "555-555-5555 ".repeat(80_000)],
    ["URL schemes", "a://b:".repeat(150_000)],
    ["overlapping provider prefixes", "sk-".repeat(300_000)],
    ["authorization headers", "Authorization: Bearer ".repeat(50_000)],
    ["query separators", "?&".repeat(500_000)],
    ["international prefixes", "+1 ".repeat(300_000)],
    ["command lines", "mysql -u ".repeat(100_000) + "sshpass -p".repeat(100_000) + "curl -u ".repeat(100_000)],
    ["name fields", '{"name":"DB_PASSWORD",'.repeat(40_000)],
    ["name parts", "db_pass=".repeat(100_000)],
    ["token prefixes", "ghp_".repeat(200_000)],
    // Issue 24's detectors: every new syntax, prefix and anchor, repeated or left open.
    ["unterminated quoted values", 'password="'.repeat(100_000) + "'".repeat(100_000)],
    ["one long unterminated value", "password='" + "a{$#=".repeat(200_000)],
    ["bare values on one line", "password=a{$#]=".repeat(70_000)],
    ["make and PHP operators", "PASS ?= x :::= y .= z ||= ".repeat(40_000)],
    ["comparisons", "'x' == password != ".repeat(50_000)],
    ["reversed comparisons without a literal", "== password ".repeat(80_000)],
    ["setters and constructors", 'setPassword("a", '.repeat(60_000)],
    ["type annotations", "let key: string ".repeat(60_000)],
    ["XML elements and property lists", "<password>\n <key>API_TOKEN</key>\n<string>".repeat(25_000)],
    ["quoted names and commas", '"password", "'.repeat(80_000)],
    ["authorization parameters", "Authorization: Digest " + 'a="b", '.repeat(150_000)],
    ["authorization schemes", "Authorization: X ".repeat(60_000)],
    ["curl users", "curl -u a:'".repeat(90_000)],
    ["client auth calls", 'auth("a", '.repeat(100_000)],
    ["provider prefixes of issue 24", "glpat-lsv2_NRAK-ntn_EAAops_eyJA3-p8e-dapidop_v1_dp.pt.pplx-hvs.tskey-sk.eyJ".repeat(15_000)],
    ["Azure secret anchors", "abc1Q~".repeat(170_000)],
    ["Telegram anchors", "123456:AA".repeat(110_000)],
    ["Mailchimp and MaxMind anchors", "-us1_mmk".repeat(130_000)],
    ["Terraform anchors", "abcdefghijklmn.atlasv1.".repeat(45_000)],
    ["capitals (IBAN, Twilio, Discord)", "MDAwMDAwMDAwMDAwSK".repeat(60_000) + "DE89".repeat(100_000)],
    ["national phone words", "call 090-1234 ".repeat(70_000)],
    ["CJK phone words", "電話 090-".repeat(150_000)],
    ["SSNs with dots", "123.45.".repeat(150_000)],
    ["IDN emails", "ü@ü.".repeat(250_000)],
    ["PGP blocks", "-----BEGIN PGP PRIVATE KEY BLOCK-----".repeat(28_000)],
    ["long option values", "--password " + "a".repeat(1 << 20)],
  ])("stays linear on adversarial %s (finishes within the test timeout)", (_, input) => {
    const out = scrubText(input, all, {});
    expect(typeof out).toBe("string");
  });

  it("reads a run of overlapping candidates once and still finds the credential after it", () => {
    const secret = "sk-proj-Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8L9";
    expect(scrubText(`${"sk-".repeat(1000)} then ${secret}`, all, {})).toBe(`${"sk-".repeat(1000)} then [REDACTED:openai-key]`);
  });
});

describe("message walker", () => {
  it("redacts every string at any depth, keeps JSON shape, and leaves binary blobs alone", () => {
    const secret = "ghp_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8";
    const image = "iVBORw0KGgo" + "A".repeat(40) + secret;
    const message = {
      kind: "response" as const,
      message: {
        jsonrpc: "2.0" as const,
        id: 1,
        result: {
          content: [
            { type: "text", text: `token ${secret}` },
            { type: "image", data: image, mimeType: "image/png" },
            { type: "resource", resource: { uri: "file:///x", text: `k=${secret}` } },
            { type: "resource", resource: { uri: "file:///y", blob: image } },
          ],
          structuredContent: { nested: [{ deeper: { value: secret } }], count: 3 },
        },
      },
    };
    const counts: Record<string, number> = {};
    const out = scrubMessage(message as never, all, counts);
    const text = JSON.stringify(out.message);
    expect(text.split(secret).length - 1).toBe(2);
    expect(JSON.parse(text).result.content[1].data).toBe(image);
    expect(JSON.parse(text).result.content[3].resource.blob).toBe(image);
    expect(JSON.parse(text).result.structuredContent).toEqual({ nested: [{ deeper: { value: "[REDACTED:github-token]" } }], count: 3 });
    expect(counts).toEqual({ "github-token": 3 });
    expect(message.message.result.content[0]!.text).toContain(secret);
  });

  it("scrubs error messages and data and notifications, and leaves server requests to policy", () => {
    const secret = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx";
    for (const message of [
      { kind: "response" as const, message: { jsonrpc: "2.0" as const, id: 1, error: { code: 1, message: `failed with ${secret}`, data: { secret } } } },
      { kind: "notification" as const, message: { jsonrpc: "2.0" as const, method: "notifications/message", params: { level: "info", data: secret } } },
    ]) {
      expect(JSON.stringify(scrubMessage(message as never, all, {}).message)).not.toContain(secret);
    }
    const elicitation = { kind: "request" as const, message: { jsonrpc: "2.0" as const, id: 2, method: "elicitation/create", params: { requestedSchema: { properties: { email: { type: "string", default: "a@b.example" } } } } } };
    expect(scrubMessage(elicitation as never, all, {})).toBe(elicitation);
  });

  it("returns the same object when nothing is redacted", () => {
    const message = { kind: "response" as const, message: { jsonrpc: "2.0" as const, id: 1, result: { content: [{ type: "text", text: "all clear" }] } } };
    expect(scrubMessage(message, all, {})).toBe(message);
  });
});
