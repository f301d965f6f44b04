// The constant-time string comparison the consent form's CSRF check uses.

import { expect, it } from "vitest";
import { timingSafeEqualText } from "../src/hmac.js";

it("timingSafeEqualText is true only for equal strings, whatever their lengths", () => {
  expect(timingSafeEqualText("abc", "abc")).toBe(true);
  expect(timingSafeEqualText("", "")).toBe(true);
  expect(timingSafeEqualText("abc", "abd")).toBe(false);
  expect(timingSafeEqualText("abc", "ab")).toBe(false);
  expect(timingSafeEqualText("ab", "abc")).toBe(false);
  expect(timingSafeEqualText("", "a")).toBe(false);
  expect(timingSafeEqualText("a", "")).toBe(false);
  expect(timingSafeEqualText("abcabc", "abc")).toBe(false);
});
