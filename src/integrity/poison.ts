// Poisoned tool metadata: text in a tool's definition that speaks to the model instead of describing
// the tool. Scans every string (and every key) of a definition for hidden-instruction markers,
// invisible or direction-changing Unicode, and encoded blobs, and names each finding with where it
// is. Also strips invisible characters, which never reach a client. Pure; every pattern is linear.

import type { Json, JsonObject } from "../mcp/json.js";

export type FindingKind =
  | "invisible-unicode"
  | "hidden-tag"
  | "instruction-override"
  | "concealment"
  | "model-directive"
  | "tool-steering"
  | "sensitive-file"
  | "encoded-blob"
  | "tool-name";

export type Finding = { kind: FindingKind; at: string; excerpt: string };

/**
 * Characters that render as nothing or change text direction: C0/C1 controls other than tab and line
 * breaks, soft hyphen, combining grapheme joiner, Arabic letter mark, Hangul and Khmer fillers,
 * Mongolian selectors, zero-width spaces and joiners, bidi embeddings, overrides and isolates,
 * invisible operators, variation selectors, the byte-order mark, interlinear annotation controls,
 * musical formatting controls and the tag block (U+E0000–U+E007F).
 */
const INVISIBLE_CLASS =
  "[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u206F\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0\\uFFF9-\\uFFFB\\u{1D173}-\\u{1D17A}\\u{E0000}-\\u{E007F}\\u{E0100}-\\u{E01EF}]";
const INVISIBLE = new RegExp(INVISIBLE_CLASS, "u");
const INVISIBLE_ALL = new RegExp(INVISIBLE_CLASS, "gu");

/** Text patterns, each bounded: no nested quantifiers over overlapping characters. */
const TEXT_MARKERS: [FindingKind, RegExp][] = [
  ["hidden-tag", /<\s{0,3}\/?\s{0,3}(?:important|system|instructions?|secret|hidden|admin|override|critical|sudo|context)\b[^<>]{0,200}>/i],
  ["hidden-tag", /\[\/?(?:INST|SYSTEM|SYS)\]|<<\/?SYS>>|<\|[a-z_]{1,32}\|>/i],
  [
    "instruction-override",
    /\b(?:ignore|disregard|forget|override|bypass)\s{1,5}(?:(?:all|any|the|your|of|these)\s{1,5}){0,3}(?:previous|prior|above|earlier|preceding|other|existing|system|original)\s{1,5}(?:instructions?|prompts?|messages?|rules|directions|guidelines|context)\b/i,
  ],
  ["instruction-override", /\bnew\s{1,5}instructions?\s{0,3}:|\byour\s{1,5}(?:real|true|actual|new)\s{1,5}(?:task|instructions?|goal|purpose)\b|\bsystem\s{1,5}prompt\b/i],
  ["concealment", /\b(?:do\s{1,5}not|don't|never|must\s{1,5}not)\s{1,5}(?:tell|inform|mention|reveal|show|alert|notify|disclose)\b[^.!?\n]{0,60}\b(?:user|human|operator|anyone)\b/i],
  ["concealment", /\bwithout\s{1,5}(?:telling|informing|notifying|alerting|asking)\s{1,5}(?:the\s{1,5})?(?:user|human)\b|\bkeep\s{1,5}(?:this|it|these)\s{1,5}(?:a\s{1,5})?(?:secret|hidden|confidential)\b|\buser\s{1,5}(?:must|should|need)\s{1,5}not\s{1,5}(?:know|see|be\s{1,5}told)\b/i],
  ["model-directive", /\b(?:note|message|instructions?|reminder)\s{1,5}(?:to|for)\s{1,5}(?:the\s{1,5})?(?:ai|assistant|model|llm|agent|claude|gpt|chatgpt)\b/i],
  ["model-directive", /\b(?:ai|assistant|llm|language\s{1,5}model)\s{0,3}[,:]?\s{1,5}(?:you\s{1,5})?(?:must|shall|are\s{1,5}required\s{1,5}to)\b/i],
  ["model-directive", /\byou\s{1,5}(?:must|are\s{1,5}required\s{1,5}to|have\s{1,5}to|need\s{1,5}to)\s{1,5}(?:always|first|now|immediately|also|secretly)\b/i],
  ["model-directive", /\bbefore\s{1,5}(?:using|calling|invoking|running)\s{1,5}(?:this|any|the)\s{1,5}(?:tool|function)\b[^.!?\n]{0,60}\b(?:must|always|read|call)\b/i],
  ["tool-steering", /\b(?:call|use|invoke|run|execute)\s{1,5}(?:the\s{1,5})?[`'"]?[\w.-]{1,64}[`'"]?\s{1,5}tool\s{1,5}(?:first|before|instead|afterwards|after\s{1,5}this|with)\b/i],
  ["tool-steering", /\binstead\s{1,5}of\s{1,5}(?:using|calling)\s{1,5}(?:this|the|any)\b|\b(?:also|always)\s{1,5}(?:call|use|invoke)\s{1,5}(?:the\s{1,5})?[`'"]?[\w.-]{1,64}[`'"]?\s{1,5}tool\b|\bwhen\s{1,5}(?:this|the)\s{1,5}[\w.-]{0,64}\s{0,5}tool\s{1,5}is\s{1,5}(?:available|present)\b/i],
  ["sensitive-file", /(?:~|\$HOME|%USERPROFILE%)[\\/]\.(?:ssh|aws|gnupg|kube|docker|npmrc|netrc|bash_history|config[\\/]gcloud|cursor)\b|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|\/etc\/(?:passwd|shadow|sudoers)\b|(?:^|[\s"'`/(])\.env(?:\.[a-z]{1,12})?\b|\bmcp\.json\b|\b(?:credentials|secrets)\.(?:json|ya?ml|txt)\b/i],
  ["encoded-blob", /\bdata:[\w.+-]{1,64}\/[\w.+-]{1,64};base64,|(?:%[0-9a-f]{2}){8,}|(?:\\u[0-9a-f]{4}){6,}|(?:\\x[0-9a-f]{2}){8,}|\b[0-9a-f]{64,}\b/i],
];

/** Base64-looking runs: long, mixing upper case, lower case and digits, with many distinct characters. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{40,}={0,2}/g;

function looksEncoded(run: string): boolean {
  if (!/[A-Z]/.test(run) || !/[a-z]/.test(run) || !/[0-9]/.test(run)) return false;
  return new Set(run).size >= 20;
}

/** Tool names the spec recommends: 1–128 visible ASCII characters. Anything else is a look-alike risk. */
const TOOL_NAME = /^[\x21-\x7e]{1,128}$/;

export function isToolName(name: string): boolean {
  return TOOL_NAME.test(name);
}

function excerpt(text: string, index: number): string {
  const start = Math.max(0, index - 20);
  return text.slice(start, start + 80).replace(INVISIBLE_ALL, (char) => `<U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}>`);
}

/** Every finding in one string. */
export function scanText(text: string, at: string): Finding[] {
  const findings: Finding[] = [];
  const invisible = INVISIBLE.exec(text);
  if (invisible) findings.push({ kind: "invisible-unicode", at, excerpt: excerpt(text, invisible.index) });
  for (const [kind, pattern] of TEXT_MARKERS) {
    if (findings.some((finding) => finding.kind === kind)) continue;
    const match = pattern.exec(text);
    if (match) findings.push({ kind, at, excerpt: excerpt(text, match.index) });
  }
  if (findings.some((finding) => finding.kind === "encoded-blob")) return findings;
  for (const match of text.matchAll(BASE64_RUN)) {
    if (looksEncoded(match[0])) {
      findings.push({ kind: "encoded-blob", at, excerpt: excerpt(text, match.index) });
      break;
    }
  }
  return findings;
}

/** Every finding in a tool definition: its name, and every key and string anywhere inside it. */
export function scanDefinition(tool: JsonObject): Finding[] {
  const findings: Finding[] = [];
  if (typeof tool.name !== "string" || !TOOL_NAME.test(tool.name)) {
    findings.push({ kind: "tool-name", at: "name", excerpt: excerpt(String(tool.name), 0) });
  }
  return [...findings, ...scanValue(tool)];
}

/** Every finding in every key and string of a value (a prompt, a resource, server instructions). */
export function scanValue(root: Json): Finding[] {
  const findings: Finding[] = [];
  const visit = (value: Json, at: string): void => {
    if (typeof value === "string") findings.push(...scanText(value, at));
    else if (Array.isArray(value)) value.forEach((item, index) => visit(item, `${at}[${index}]`));
    else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        const path = at ? `${at}.${key}` : key;
        if (INVISIBLE.test(key)) findings.push({ kind: "invisible-unicode", at: path, excerpt: excerpt(key, 0) });
        visit(item, path);
      }
    }
  };
  visit(root, "");
  return findings;
}

const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** The value with every invisible character removed from every string and key. */
export function stripInvisible<T extends Json>(value: T): T {
  if (typeof value === "string") return (INVISIBLE.test(value) ? value.replace(INVISIBLE_ALL, "") : value) as T;
  if (Array.isArray(value)) return value.map((item) => stripInvisible(item)) as T;
  if (value !== null && typeof value === "object") {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const clean = stripInvisible(key);
      // A key that only differed by invisible characters from another, or that becomes a prototype key, is dropped.
      if (PROTOTYPE_KEYS.has(clean) || Object.hasOwn(out, clean)) continue;
      out[clean] = stripInvisible(item);
    }
    return out as T;
  }
  return value;
}
