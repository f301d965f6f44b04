// Per-argument validators of an allow rule: type, lengths, anchored patterns, allowed values, ranges,
// paths contained in roots, shell-safe strings, canonical URLs on host allow-lists, SQL (sql.ts), and objects and
// arrays checked member by member to any depth. Pure; returns the first problem as a sentence about
// the caller's own argument (names bounded), or undefined when the arguments pass.

import type { Json, JsonObject } from "../mcp/json.js";
import { sqlRefusal } from "./sql.js";
import type { CompiledArgumentRule, CompiledRule } from "./types.js";

const patterns = new Map<string, RegExp>();

function anchored(source: string): RegExp {
  let regex = patterns.get(source);
  if (!regex) {
    regex = new RegExp(`^(?:${source})$`, "u");
    patterns.set(source, regex);
  }
  return regex;
}

function typeMatches(value: Json, type: CompiledArgumentRule["type"]): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number";
    case "integer":
      return Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
  }
}

function codePoints(text: string, limit: number): number {
  // Code points never outnumber UTF-16 units, so the exact count is only needed near the limit.
  return text.length <= limit ? text.length : [...text].length;
}

/**
 * Shell-safe: letters, digits and `_ . , : / + @ % -`, never a leading `-` (no option injection such as
 * `--checkpoint-action=exec=sh` or `-oProxyCommand=…`), no spaces (one value is one word) and no `=`.
 */
const SHELL_SAFE = /^(?:[A-Za-z0-9_.,:/+@%][A-Za-z0-9_.,:/+@%-]*)?$/;

/** A path is accepted when it is absolute, plain, and inside one of the roots once `.` and `//` are folded. */
export function pathProblem(path: string, roots: string[]): string | undefined {
  if (!path.startsWith("/")) return "must be an absolute path";
  if (/[\\%\0]/.test(path) || /[\u0000-\u001f\u007f]/.test(path)) return "contains an escape, encoding or control character";
  const segments = path.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) return "must not contain '..'";
  const normalized = `/${segments.join("/")}`;
  const inside = roots.some((root) => root === "/" || normalized === root || normalized.startsWith(`${root}/`));
  return inside ? undefined : "is outside the allowed directories";
}

function hostMatches(hostname: string, pattern: string): boolean {
  return pattern.startsWith("*.") ? hostname.endsWith(pattern.slice(1)) && hostname.length > pattern.length - 1 : hostname === pattern;
}

/**
 * Only listed schemes and hosts; no credentials in the URL. IP literals (any notation: the WHATWG parse
 * turns decimal, octal and hex IPv4 and IPv4-mapped IPv6 into one form) pass only when listed exactly.
 * The URL must be written in the form the parse gives back (up to the root path's slash): a URL that
 * parsers may read differently (`http://a.example\@b/`, tabs, dot segments, an upper-case host)
 * is refused, so what was checked is what the origin reads.
 */
export function urlProblem(value: string, allowed: { schemes: string[]; hosts: string[] }): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a URL";
  }
  if (url.href !== value && `${value}/` !== url.href) return "is not written in canonical form";
  if (!allowed.schemes.includes(url.protocol.slice(0, -1))) return "uses a scheme that is not allowed";
  if (url.username || url.password) return "must not carry credentials";
  const hostname = url.hostname;
  const isIpLiteral = hostname.startsWith("[") || /^\d+(\.\d+){3}$/.test(hostname);
  const listed = allowed.hosts.some((pattern) => (isIpLiteral ? hostname === pattern : hostMatches(hostname, pattern)));
  return listed ? undefined : "names a host that is not allowed";
}

function valueProblem(value: Json, rule: CompiledArgumentRule): string | undefined {
  if (!typeMatches(value, rule.type)) return `must be of type ${rule.type}`;
  if (typeof value === "string") {
    if (rule.maxLength !== undefined && codePoints(value, rule.maxLength) > rule.maxLength) return `is longer than ${rule.maxLength} characters`;
    if (rule.minLength !== undefined && [...value].length < rule.minLength) return `is shorter than ${rule.minLength} characters`;
    if (rule.pattern !== undefined && !anchored(rule.pattern).test(value)) return "does not match the allowed pattern";
    if (rule.shellSafe && !SHELL_SAFE.test(value)) return "contains characters that are not shell-safe";
    if (rule.pathRoots) {
      const problem = pathProblem(value, rule.pathRoots);
      if (problem) return problem;
    }
    if (rule.url) {
      const problem = urlProblem(value, rule.url);
      if (problem) return problem;
    }
    if (rule.sql) {
      const refusal = sqlRefusal(value, rule.sql);
      if (refusal) return `is refused SQL (${refusal.reason}): it ${refusal.detail}`;
    }
  }
  if (typeof value === "number") {
    if (rule.min !== undefined && value < rule.min) return `is below ${rule.min}`;
    if (rule.max !== undefined && value > rule.max) return `is above ${rule.max}`;
  }
  if (Array.isArray(value)) {
    if (rule.maxItems !== undefined && value.length > rule.maxItems) return `has more than ${rule.maxItems} items`;
    if (rule.items) {
      for (const [index, item] of value.entries()) {
        const problem = valueProblem(item, rule.items);
        if (problem) return `item ${index} ${problem}`;
      }
    }
  }
  if (rule.type === "object" && rule.properties) {
    const problem = membersProblem(value as JsonObject, rule.properties, rule.additionalProperties ?? false, "key");
    if (problem) return problem;
  }
  if (rule.enum && !rule.enum.includes(value as string | number)) return "is not one of the allowed values";
  return undefined;
}

/** A member's name as a problem may quote it: identifier-like names only, so no request text reaches audit. */
const quoted = (name: string) => (/^[A-Za-z0-9_.-]{1,64}$/.test(name) ? `"${name}"` : "(a name that is no identifier)");

/** Required members present, each member valid under its rule, unknown members only where allowed. */
function membersProblem(values: JsonObject, rules: Record<string, CompiledArgumentRule>, additional: boolean, noun: "argument" | "key"): string | undefined {
  for (const [name, memberRule] of Object.entries(rules)) {
    if (memberRule.required && !Object.hasOwn(values, name)) return `${noun} ${quoted(name)} is required`;
  }
  for (const [name, value] of Object.entries(values)) {
    const memberRule = Object.hasOwn(rules, name) ? rules[name] : undefined;
    if (!memberRule) {
      if (additional) continue;
      return `${noun} ${quoted(name)} is not allowed`;
    }
    const problem = valueProblem(value, memberRule);
    if (problem) return `${noun} ${quoted(name)} ${problem}`;
  }
  return undefined;
}

export function argumentsProblem(args: JsonObject, rule: CompiledRule): string | undefined {
  return membersProblem(args, rule.arguments, rule.additionalArguments, "argument");
}
