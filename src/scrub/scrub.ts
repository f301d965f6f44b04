// Redacts secrets and personal data in one string: every enabled detector and the assignment
// finder mark spans, known secret values (the Worker's own, the caller's token) are found by exact
// search, overlapping spans merge, and each span becomes `[REDACTED:<kind>]`. Values on the policy's
// allow-list are never redacted. Pure, linear in the text; counts per kind go to audit.

import { DETECTORS, SECRET_WORD_SOURCE, assignmentAt, startsToken, type Family } from "./detectors.js";

export type ScrubSettings = {
  families: ReadonlySet<Family>;
  /** Exact values always redacted (origin credentials, the token pepper, the caller's token). */
  knownSecrets: readonly string[];
  /** Exact values never redacted. */
  allow: ReadonlySet<string>;
};

export type Counts = Record<string, number>;

type Span = { start: number; end: number; kind: string };

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/**
 * Detectors that start with a literal: one combined scan finds their candidates, a sticky pattern
 * confirms each. The same scan finds the secret words of assignments (group 2), so the text is read
 * once for both; every other detector has its own pass, skipped when its needles are absent.
 */
const PREFIXED = DETECTORS.filter((detector) => detector.prefixed).map((detector) => ({ ...detector, pattern: new RegExp(detector.pattern.source, "dy") }));
/** Longest needle first, so the scan reports `sk-ant-` rather than `sk-`; each needle maps to every detector it can start. */
const NEEDLES = [...new Set(PREFIXED.flatMap((detector) => detector.needles ?? []))].sort((a, b) => b.length - a.length);
const BY_NEEDLE = new Map(NEEDLES.map((needle) => [needle, PREFIXED.filter((detector) => detector.needles!.some((own) => needle.startsWith(own)))]));
const PREFIXES = NEEDLES.map(escapeRegExp).join("|");
const ANCHOR_SCAN = new RegExp(`(${PREFIXES})|(${SECRET_WORD_SOURCE})`, "g");
const OTHERS = DETECTORS.filter((detector) => !detector.prefixed).map((detector) => ({ ...detector, pattern: new RegExp(detector.pattern.source, `${detector.pattern.flags}d`) }));
const MIN_SECRET = 6;

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
  const consider = (detector: (typeof OTHERS)[number], match: RegExpExecArray): void => {
    const range = detector.around ? detector.around(text, match.index) : (match.indices!.groups?.value ?? match.indices![0]!);
    if (!range || (detector.token && !startsToken(text, match.index))) return;
    const [start, end] = range;
    const value = text.slice(start, end);
    // A credential with a handful of distinct characters is a placeholder (ghp_XXXX…), not a secret.
    if (detector.family === "credentials" && !hasDistinct(value, 6)) return;
    if (!detector.accept || detector.accept(value, text, start)) add(start, end, detector.kind);
  };
  if (settings.families.has("credentials")) {
    let wordsFrom = 0;
    let lastAssignment = -1;
    const assignments: [number, number][] = [];
    ANCHOR_SCAN.lastIndex = 0;
    for (let hit = ANCHOR_SCAN.exec(text); hit; hit = ANCHOR_SCAN.exec(text)) {
      const at = hit.index;
      if (hit[1] !== undefined) {
        let examinedTo = -1;
        for (const detector of BY_NEEDLE.get(hit[1])!) {
          detector.pattern.lastIndex = at;
          const match = detector.pattern.exec(text);
          if (!match) continue;
          consider(detector, match);
          examinedTo = Math.max(examinedTo, match.index + match[0].length);
        }
        // A candidate was read to its end, redacted or not: the next one starts after it, so a run
        // such as `sk-sk-sk-…` costs one read, not one per needle inside it.
        if (examinedTo > ANCHOR_SCAN.lastIndex) ANCHOR_SCAN.lastIndex = examinedTo;
      } else if (at >= wordsFrom) {
        const assignment = assignmentAt(text, at, hit[0], lastAssignment);
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
  for (const detector of OTHERS) {
    if (!settings.families.has(detector.family)) continue;
    if (detector.needles && !detector.needles.some((needle) => text.includes(needle))) continue;
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
