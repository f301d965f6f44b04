// The needle automaton against a plain oracle: every occurrence of every needle, found by comparing the
// needle at each position of the text with ASCII letters folded, must be reported once with its start,
// in order of where it ends — for random needle sets (overlapping, nested, sharing prefixes and
// suffixes) and random texts that include non-ASCII code units. Fixed seed.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { needleAutomaton } from "../../src/scrub/automaton.js";

const fold = (text: string) => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

function oracle(needles: string[], text: string): [number, number][] {
  const hits: [number, number, number][] = [];
  needles.forEach((needle, index) => {
    for (let start = 0; start + needle.length <= text.length; start++) {
      if (fold(text.slice(start, start + needle.length)) === fold(needle)) hits.push([start + needle.length, index, start]);
    }
  });
  return hits.sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, index, start]) => [index, start]);
}

function found(needles: string[], text: string): [number, number][] {
  const hits: [number, number][] = [];
  needleAutomaton(needles).scan(text, (needle, start) => hits.push([needle, start]));
  // Needles ending at the same place may be reported in any order.
  return hits.sort((a, b) => a[1] + needles[a[0]]!.length - (b[1] + needles[b[0]]!.length) || a[0] - b[0]);
}

const alphabet = fc.constantFrom("a", "b", "A", "B", "_", "-", "1", "é", "\u212a", "k", "K", " ");
const word = (min: number) => fc.array(alphabet, { minLength: min, maxLength: 6 }).map((chars) => chars.join(""));

describe("needle automaton", () => {
  it("reports every occurrence the oracle finds, and nothing else", () => {
    fc.assert(
      fc.property(fc.uniqueArray(word(1).filter((needle) => !/[^\x00-\x7f]/.test(needle)), { minLength: 1, maxLength: 8 }), fc.array(word(0), { maxLength: 20 }), (needles, parts) => {
        const text = parts.join("");
        expect(found(needles, text)).toEqual(oracle(needles, text));
      }),
      { seed: 20261126, numRuns: 500 },
    );
  });

  it("folds ASCII letters only: the Kelvin sign and accented letters are not k or e", () => {
    const starts = (needle: string, text: string) => {
      const hits: number[] = [];
      needleAutomaton([needle]).scan(text, (_, start) => hits.push(start));
      return hits;
    };
    expect(starts("key", "\u212aey KEY kEy k\u00e9y")).toEqual([4, 8]);
    expect(starts("e", "\u00e9 E \u00c9")).toEqual([2]);
  });

  it("finds exact needles outside ASCII after the folded ones, and refuses ASCII among them", () => {
    const hits: [number, number][] = [];
    needleAutomaton(["tel"], ["電話", "携帯"]).scan("TEL 電話 携帯電話 tel", (needle, start) => hits.push([needle, start]));
    expect(hits).toEqual([[0, 0], [1, 4], [2, 7], [1, 9], [0, 12]]);
    expect(() => needleAutomaton([], ["電a"])).toThrow(/ASCII/);
  });

  it("refuses needles it cannot fold", () => {
    expect(() => needleAutomaton(["clé"])).toThrow(/not ASCII/);
  });
});
