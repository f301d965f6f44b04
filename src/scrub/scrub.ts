// Redacts secrets and personal data in one string: every enabled detector and the assignment
// finder mark spans, known secret values (the Worker's own, the caller's token) are found by exact
// search, overlapping spans merge, and each span becomes `[REDACTED:<kind>]`. Values on the policy's
// allow-list are never redacted. Pure, linear in the text; counts per kind go to audit.

import { DETECTORS, findAssignments, startsToken, type Family } from "./detectors.js";

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
/** Detectors that start with a literal: one combined scan finds their candidates, a sticky pattern confirms each. */
const PREFIXED = DETECTORS.filter((detector) => detector.prefixed).map((detector) => ({ ...detector, pattern: new RegExp(detector.pattern.source, "dy") }));
const PREFIX_SCAN = new RegExp([...new Set(PREFIXED.flatMap((detector) => detector.needles ?? []))].map(escapeRegExp).join("|"), "g");
const OTHERS = DETECTORS.filter((detector) => !detector.prefixed).map((detector) => ({ ...detector, pattern: new RegExp(detector.pattern.source, `${detector.pattern.flags}d`) }));
const MIN_SECRET = 6;

export function scrubText(text: string, settings: ScrubSettings, counts: Counts): string {
  if (text.length < MIN_SECRET) return text;
  const spans: Span[] = [];
  const add = (start: number, end: number, kind: string) => {
    if (end > start && !settings.allow.has(text.slice(start, end))) spans.push({ start, end, kind });
  };
  for (const secret of settings.knownSecrets) {
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + secret.length)) add(at, at + secret.length, "known-secret");
  }
  const consider = (detector: (typeof OTHERS)[number], match: RegExpExecArray) => {
    const range = detector.around ? detector.around(text, match.index) : (match.indices!.groups?.value ?? match.indices![0]!);
    if (!range || (detector.token && !startsToken(text, match.index))) return;
    const [start, end] = range;
    const value = text.slice(start, end);
    // A credential with a handful of distinct characters is a placeholder (ghp_XXXX…), not a secret.
    if (detector.family === "credentials" && new Set(value).size < 6) return;
    if (!detector.accept || detector.accept(value, text, start)) add(start, end, detector.kind);
  };
  if (settings.families.has("credentials")) {
    PREFIX_SCAN.lastIndex = 0;
    for (let hit = PREFIX_SCAN.exec(text); hit; hit = PREFIX_SCAN.exec(text)) {
      for (const detector of PREFIXED) {
        if (!detector.needles!.some((needle) => text.startsWith(needle, hit!.index))) continue;
        detector.pattern.lastIndex = hit.index;
        const match = detector.pattern.exec(text);
        if (match) consider(detector, match);
      }
    }
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
  if (settings.families.has("credentials")) findAssignments(text, (start, end) => add(start, end, "secret-assignment"));
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
