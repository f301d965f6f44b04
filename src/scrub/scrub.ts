// Redacts secrets and personal data in one string: every enabled detector and the assignment
// finder mark spans, known secret values (the Worker's own, the caller's token) are found by exact
// search, overlapping spans merge, and each span becomes `[REDACTED:<kind>]`. Values on the policy's
// allow-list are never redacted. Pure, linear in the text; counts per kind go to audit.

import { needleAutomaton } from "./automaton.js";
import { DETECTORS, SECRET_WORDS, assignmentAt, lineEnds, startsToken, type Detector, type Family } from "./detectors.js";

export type ScrubSettings = {
  families: ReadonlySet<Family>;
  /** Exact values always redacted (origin credentials, the token pepper, the caller's token). */
  knownSecrets: readonly string[];
  /** Exact values never redacted. */
  allow: ReadonlySet<string>;
};

export type Counts = Record<string, number>;

type Span = { start: number; end: number; kind: string };

/**
 * One read of the text (the needle automaton) finds where the provider formats' needles and the
 * assignment finder's secret words may start; at each such place a comparison says what really
 * starts there (a provider needle, exact case, longest first, or a secret word in any ASCII case) and
 * the detector's own sticky pattern confirms it. The same read notes the other detectors' needles: an anchored detector is tried where
 * one starts, the rest make one pass over the text, skipped when none of their needles was seen.
 */
const PREFIXED = DETECTORS.filter((detector) => detector.prefixed).map((detector) => ({ ...detector, pattern: new RegExp(detector.pattern.source, "dy") }));
/** Longest needle first, so `sk-ant-` is preferred to `sk-`; each needle maps to every detector it can start. */
const NEEDLES = [...new Set(PREFIXED.flatMap((detector) => detector.needles ?? []))].sort((a, b) => b.length - a.length);
const BY_NEEDLE = new Map(NEEDLES.map((needle) => [needle, PREFIXED.filter((detector) => detector.needles!.some((own) => needle.startsWith(own)))]));
/**
 * The automaton looks for the first few characters of each provider prefix only: fewer states keep its
 * table in the processor's cache, and the rest is compared where one occurs.
 */
const cut = (needle: string) => needle.slice(0, 6).toLowerCase();
const OTHERS = DETECTORS.filter((detector) => !detector.prefixed);
/** Needles the automaton notes for the other detectors: all of an anchored one's, those longer than a character of the rest. */
const isAscii = (needle: string) => /^[\x00-\x7f]*$/.test(needle);
const gatesOf = (detector: Detector) => [...new Set((detector.needles ?? []).filter((needle) => isAscii(needle) && (detector.anchored || needle.length > 1)).map((needle) => needle.toLowerCase()))];
/** Needles outside ASCII (`電`) go to the automaton as they are. */
const exactOf = (detector: Detector) => [...new Set((detector.needles ?? []).filter((needle) => !isAscii(needle)))];
const FOLDED_GATES = [...new Set(OTHERS.flatMap(gatesOf))];
const EXACT = [...new Set(OTHERS.flatMap(exactOf))];
const GATES = [...FOLDED_GATES, ...EXACT];
const ANCHOR_KEYS = new Set([...NEEDLES, ...SECRET_WORDS].map(cut));
const KEYS = [...new Set([...ANCHOR_KEYS, ...FOLDED_GATES]), ...EXACT];
/** Per automaton needle: whether it may start an anchor, and which gates it opens. */
const KEY_ANCHORS = KEYS.map((key) => ANCHOR_KEYS.has(key));
const KEY_GATE = KEYS.map((key) => GATES.indexOf(key));
/** Per automaton needle: the provider needles (exact case, longest first) and secret words (any ASCII case) that begin with it. */
const KEY_NEEDLES = KEYS.map((key) => (ANCHOR_KEYS.has(key) ? NEEDLES.filter((needle) => needle.toLowerCase().startsWith(key)) : []));
const KEY_WORDS = KEYS.map((key) => (ANCHOR_KEYS.has(key) ? SECRET_WORDS.filter((word) => word.startsWith(key)) : []));
const AUTOMATON = needleAutomaton(KEYS.slice(0, KEYS.length - EXACT.length), EXACT);

/** The secret word (lower case) at `at` in any ASCII case. */
function wordAt(text: string, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const code = text.charCodeAt(at + i);
    if ((code >= 65 && code <= 90 ? code + 32 : code) !== word.charCodeAt(i)) return false;
  }
  return true;
}
const GATED = OTHERS.map((detector) => ({
  ...detector,
  pattern: new RegExp(detector.pattern.source, `${detector.pattern.flags}d`),
  sticky: detector.anchored ? new RegExp(detector.pattern.source, `${detector.pattern.flags.replace("g", "y")}d`) : undefined,
  gates: [...gatesOf(detector), ...exactOf(detector)].map((needle) => GATES.indexOf(needle)),
  /** One-character ASCII needles as one class, so a text without them is read once, not once per character. */
  characters: detector.anchored ? undefined : characterClass((detector.needles ?? []).filter((needle) => needle.length === 1 && isAscii(needle))),
}));
function characterClass(characters: string[]): RegExp | undefined {
  return characters.length === 0 ? undefined : new RegExp(`[${characters.map((character) => character.replace(/[\\\]^-]/g, "\\$&")).join("")}]`);
}
/** Families whose detectors need the automaton: the prefixed ones and those it notes needles for. */
const SCANNED = [...new Set([...PREFIXED, ...GATED.filter((detector) => detector.gates.length > 0)].map((detector) => detector.family))];
const MIN_SECRET = 6;
/** More candidates than one per this many characters: an anchored detector reads the whole text instead. */
const DENSE_CANDIDATES = 256;

/** A token that is a mask or a placeholder after a real prefix (`ghp_XXXX…`, `sk-…<your-key>`, `glpat-********`). */
const MASKED = /x{6,}|X{6,}|\*{3,}|0{10,}|•|…|\.\.\.|<|>|\$\{|\{\{|your|_here|replace_?me|change_?me|dummy|placeholder/i;
/** Dictionary words joined by separators (`sk-learn-tutorial-for-beginners-2024`): a name, not a token. */
function wordy(value: string): boolean {
  const parts = value.split(/[-_.]/);
  return parts.length >= 3 && parts.every((part) => /^(?:[a-z]{1,14}\d{0,2}|[A-Z][a-z]{1,13}|[A-Z]{2,5}|\d{1,4})?$/.test(part));
}

/** Whether the value has at least `count` distinct characters; stops as soon as it has. */
function hasDistinct(value: string, count: number): boolean {
  const seen: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (!seen.includes(code) && seen.push(code) >= count) return true;
  }
  return false;
}

export function scrubText(text: string, settings: ScrubSettings, counts: Counts): string {
  if (text.length < MIN_SECRET) return text;
  const spans: Span[] = [];
  const add = (start: number, end: number, kind: string) => {
    if (end > start && !settings.allow.has(text.slice(start, end))) spans.push({ start, end, kind });
  };
  for (const secret of settings.knownSecrets) {
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + secret.length)) add(at, at + secret.length, "known-secret");
  }
  /** Marks the match when it passes its detector's checks. */
  const consider = (detector: Detector, match: RegExpExecArray): void => {
    if (detector.spans) {
      for (const [start, end, kind = detector.kind, family = detector.family] of detector.spans(text, match.index, match)) {
        const value = text.slice(start, end);
        if (!settings.families.has(family)) continue;
        if (family !== "credentials" || (hasDistinct(value, 6) && !MASKED.test(value))) add(start, end, kind);
      }
      return;
    }
    const groups = match.indices!.groups;
    const range = detector.around ? detector.around(text, match.index, match) : (groups?.value ?? groups?.value2 ?? groups?.value3 ?? match.indices![0]!);
    if (!range || (detector.token && !startsToken(text, match.index))) return;
    const [start, end] = range;
    const value = text.slice(start, end);
    // A credential with a handful of distinct characters is a placeholder (ghp_XXXX…), not a secret.
    if (detector.family === "credentials" && !hasDistinct(value, 6)) return;
    if (detector.token && (MASKED.test(value) || wordy(value))) return;
    if (!detector.accept || detector.accept(value, text, start)) add(start, end, detector.kind);
  };
  /** Where an anchor may start, and the automaton needle that says so. */
  const starts: number[] = [];
  const startKeys: number[] = [];
  /** Where each of the other detectors' needles (GATES) starts, in the order they end; absent when it
   *  does not occur; past `sparse` starts, no more are kept. */
  const gateStarts: number[][] = [];
  const sparse = text.length / DENSE_CANDIDATES;
  if (SCANNED.some((family) => settings.families.has(family))) {
    AUTOMATON.scan(text, function onNeedle(needle, start) {
      if (KEY_ANCHORS[needle]) {
        starts.push(start);
        startKeys.push(needle);
      }
      const gate = KEY_GATE[needle]!;
      if (gate !== -1) {
        const list = (gateStarts[gate] ??= []);
        if (list.length <= sparse) list.push(start);
      }
    });
  }
  if (settings.families.has("credentials")) {
    // The automaton reports needles in order of where they end, so starts are out of order only among
    // needles that overlap (a few places back at most): an insertion sort puts them in order in linear time.
    for (let i = 1; i < starts.length; i++) {
      const at = starts[i]!;
      const key = startKeys[i]!;
      let j = i - 1;
      for (; j >= 0 && starts[j]! > at; j--) {
        starts[j + 1] = starts[j]!;
        startKeys[j + 1] = startKeys[j]!;
      }
      starts[j + 1] = at;
      startKeys[j + 1] = key;
    }
    let from = 0;
    let wordsFrom = 0;
    let lastAssignment = -1;
    const assignments: [number, number][] = [];
    const lines = lineEnds();
    for (let index = 0; index < starts.length; index++) {
      const at = starts[index]!;
      const key = startKeys[index]!;
      if (at < from) continue;
      let needle: string | undefined;
      for (const candidate of KEY_NEEDLES[key]!) {
        if (text.startsWith(candidate, at)) {
          needle = candidate;
          break;
        }
      }
      let word: string | undefined;
      if (needle === undefined) {
        for (const candidate of KEY_WORDS[key]!) {
          if (wordAt(text, at, candidate)) {
            word = candidate;
            break;
          }
        }
      }
      if (needle === undefined && word === undefined) continue;
      from = at + (needle ?? word)!.length;
      if (needle !== undefined) {
        for (const detector of BY_NEEDLE.get(needle)!) {
          detector.pattern.lastIndex = at;
          const match = detector.pattern.exec(text);
          if (!match) continue;
          consider(detector, match);
          // A candidate was read to its end, redacted or not: the next one starts after it, so a run
          // such as `sk-sk-sk-…` costs one read, not one per needle inside it.
          from = Math.max(from, match.index + match[0].length);
        }
      } else if (at >= wordsFrom) {
        const assignment = assignmentAt(text, at, text.slice(at, at + word!.length), lastAssignment, lines);
        if (!assignment) continue;
        wordsFrom = assignment.keyEnd;
        if (assignment.value) {
          assignments.push(assignment.value);
          lastAssignment = assignment.value[1];
        }
      }
    }
    // After the provider formats, so a value both find keeps its precise kind (github-token, not secret-assignment).
    for (const [start, end] of assignments) add(start, end, "secret-assignment");
  }
  for (const detector of GATED) {
    if (!(detector.families ?? [detector.family]).some((family) => settings.families.has(family))) continue;
    const needleSeen = detector.gates.some((gate) => gateStarts[gate] !== undefined);
    if (detector.anchored) {
      if (!needleSeen) continue;
      const at = detector.gates.flatMap((gate) => gateStarts[gate] ?? []);
      // A try at each candidate while they are sparse; where they are dense, one pass over the text
      // costs less and finds the same matches (every match starts at a candidate).
      if (at.length <= sparse) {
        if (detector.gates.length > 1) at.sort((a, b) => a - b);
        let from = 0;
        for (const start of at) {
          if (start < from) continue;
          detector.sticky!.lastIndex = start;
          const match = detector.sticky!.exec(text);
          if (!match) continue;
          consider(detector, match);
          from = start + Math.max(1, match[0].length);
        }
        continue;
      }
    } else if (detector.needles && !needleSeen && !detector.characters?.test(text)) continue;
    detector.pattern.lastIndex = 0;
    for (let match = detector.pattern.exec(text); match; match = detector.pattern.exec(text)) {
      consider(detector, match);
      if (match[0] === "") detector.pattern.lastIndex++;
    }
  }
  if (spans.length === 0) return text;

  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = "";
  let cursor = 0;
  let current = spans[0]!;
  const flush = (span: Span) => {
    out += `${text.slice(cursor, span.start)}[REDACTED:${span.kind}]`;
    cursor = span.end;
    counts[span.kind] = (counts[span.kind] ?? 0) + 1;
  };
  for (const span of spans.slice(1)) {
    if (span.start < current.end) current = { ...current, end: Math.max(current.end, span.end) };
    else {
      flush(current);
      current = span;
    }
  }
  flush(current);
  return out + text.slice(cursor);
}
