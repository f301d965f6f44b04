// Where a value ends, fuzzed: values with `=`, braces, brackets, `$`, `#`, quotes of the other kind,
// spaces (quoted only) and lengths up to several thousand characters, in each syntax — quoted with
// either quote, bare up to whitespace, bare to the end of the line — are redacted whole, and the
// setting after them survives. Fixed seed.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scrubText, type ScrubSettings } from "../../src/scrub/scrub.js";

const all: ScrubSettings = { families: new Set(["credentials", "personal"]), knownSecrets: [], allow: new Set() };

const HARD = "=${}[]()#!@%^&*-_+.:,?~|/";
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/** A value as a generator or a person writes it: a letter, a capital and a digit, then anything from `alphabet`. */
const value = (alphabet: string, max: number, min = 5) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max }).map((rest) => `Kq7${rest}`);
const NAMES = ["password", "db_password", "API_KEY", "apiToken", "client_secret", "SECRET_KEY", "auth_token"];

/** The value left no 12-character window behind and the text after it is intact. */
function redactedWhole(text: string, secret: string, after: string): void {
  const out = scrubText(text, all, {});
  const windows = new Set<string>();
  for (let i = 0; i + 12 <= out.length; i++) windows.add(out.slice(i, i + 12));
  const leaked = Array.from({ length: Math.max(0, secret.length - 11) }, (_, i) => secret.slice(i, i + 12)).find((window) => windows.has(window));
  expect(leaked, text.slice(0, 200)).toBeUndefined();
  if (secret.length < 12) expect(out, text).not.toContain(secret);
  expect(out, text).toContain(after);
}

describe("value boundaries", () => {
  it("quoted values end at their own closing quote, whatever they hold", () => {
    fc.assert(
      fc.property(
        fc.constantFrom('"', "'").chain((quote) => fc.tuple(fc.constant(quote), value(HARD + LETTERS + " " + (quote === '"' ? "'" : '"'), 60))),
        fc.constantFrom(...NAMES),
        fc.constantFrom(" = ", ": ", "=", " := ", " ?= ", " => "),
        ([quote, secret], name, operator) => {
          redactedWhole(`${name}${operator}${quote}${secret}${quote}\nnext_setting=1`, secret, "next_setting=1");
        },
      ),
      { seed: 2401, numRuns: 300 },
    );
  });

  it("bare values end at whitespace, or at a ; or & that starts another setting", () => {
    fc.assert(
      fc.property(value(HARD.replace(/[,.]/g, "") + LETTERS, 60), fc.constantFrom(...NAMES), fc.constantFrom("=", ": ", " = "), fc.constantFrom(" user=svc", "\nuser=svc", ";user=svc", "&user=svc"), (secret, name, operator, after) => {
        // A `;` or `&` followed by `name=` starts the next setting (`a=1&b=2`, `Password=x;Server=y`).
        fc.pre(!/[;&]$/.test(secret) && !/[)\]}]$/.test(secret) && !/[;&][A-Za-z_][\w.-]*=/.test(secret));
        redactedWhole(`${name}${operator}${secret}${after}`, secret, after.trim().replace(/^[;&]/, ""));
      }),
      { seed: 2402, numRuns: 300 },
    );
  });

  it("values of a thousand characters and more are redacted whole in every syntax", () => {
    fc.assert(
      fc.property(value(LETTERS + "+/", 4000, 1000), fc.constantFrom(...NAMES), fc.constantFrom((n: string, v: string) => `${n}=${v}`, (n: string, v: string) => `"${n}": "${v}"`, (n: string, v: string) => `${n}: '${v}'`, (n: string, v: string) => `<${n}>\n  ${v}\n</${n}>`), (secret, name, form) => {
        redactedWhole(`${form(name, secret)}\nregion=eu-west-1`, secret, "region=eu-west-1");
      }),
      { seed: 2403, numRuns: 40 },
    );
  });

  it("a value that opens like a template but is not one is a secret: braces, $, >, # inside", () => {
    const secret = "{{h}o)p${e]nob(ody[finds>-_$#thisone}}";
    for (const text of [`apikey := "${secret}"`, `apikey: ${secret}`, `private_key "${secret}";`, `some_dict['secret'] = ${secret}`, `apikey = @"${secret}"`, `my_password=${secret}\n`]) {
      expect(scrubText(text, all, {}), text).not.toContain("thisone");
    }
    for (const text of ["password: ${link}", 'token: "{{ api_token }}"', 'PASSWORD="${{ secrets.NPM_TOKEN }}"', "secret = #{ENV['SECRET']}"]) expect(scrubText(text, all, {})).toBe(text);
  });

  it("two secrets in one block give two markers and keep the text between them", () => {
    const out = scrubText('password="Kq7$x{1}]#=y" region=eu-west-1 token=ghp_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8', all, {});
    expect(out).toBe('password="[REDACTED:secret-assignment]" region=eu-west-1 token=[REDACTED:github-token]');
  });
});
