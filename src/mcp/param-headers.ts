// 2026-07-28 parameter headers: a tool's inputSchema may mark properties with `x-mcp-header: Name`, and
// a client then mirrors each such argument into `Mcp-Param-Name`. Which headers a tool has (from its
// schema, under the revision's constraints), and the check of a call: every marked argument present in
// the body has its header, equal after decoding (integers compared as numbers); a header for an
// argument absent from the body is a mismatch too. What the gateway forwards are the headers it
// computes from the checked body, never the client's. Pure.

import { GatewayError } from "../errors.js";
import { isJsonObject, type Json, type JsonObject } from "./json.js";
import { decodeHeaderValue, encodeHeaderValue } from "./transport.js";

export type ParamHeader = { name: string; path: string[]; type: "string" | "integer" | "boolean" };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The parameter headers of a tool, or undefined when its annotations break the revision's rules (a
 * name that is no header token, a duplicate, a non-primitive or `number` property, an annotation not
 * reachable through `properties` alone): such a definition is invalid and its headers are not trusted.
 */
export function paramHeadersOf(tool: JsonObject): ParamHeader[] | undefined {
  const found: ParamHeader[] = [];
  let valid = true;
  const visit = (schema: Json | undefined, path: string[], reachable: boolean): void => {
    if (!isJsonObject(schema)) return;
    const name = schema["x-mcp-header"];
    if (name !== undefined) {
      const type = schema.type;
      if (!reachable || path.length === 0 || typeof name !== "string" || !TOKEN.test(name) || (type !== "string" && type !== "integer" && type !== "boolean")) valid = false;
      else found.push({ name, path, type });
    }
    for (const [key, value] of Object.entries(schema)) {
      if (key === "properties" && isJsonObject(value)) for (const [property, child] of Object.entries(value)) visit(child, [...path, property], reachable);
      else if (key !== "x-mcp-header" && (isJsonObject(value) || Array.isArray(value))) {
        // Anything under another keyword (items, oneOf, $defs, …) is not statically reachable.
        for (const child of Array.isArray(value) ? value : [value]) visit(child, path, false);
      }
    }
  };
  visit(isJsonObject(tool.inputSchema) ? tool.inputSchema : undefined, [], true);
  const names = found.map((header) => header.name.toLowerCase());
  if (new Set(names).size !== names.length) valid = false;
  return valid ? found : undefined;
}

function valueAt(args: JsonObject, path: string[]): Json | undefined {
  let value: Json | undefined = args;
  for (const key of path) value = isJsonObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
  return value;
}

function headerText(value: Json, type: ParamHeader["type"]): string | undefined {
  if (type === "string" && typeof value === "string") return value;
  if (type === "integer" && Number.isSafeInteger(value)) return String(value);
  if (type === "boolean" && typeof value === "boolean") return String(value);
  return undefined;
}

/** Checks a call's parameter headers against its body; returns the headers to forward, computed from the body. */
export function checkParamHeaders(headers: Headers, args: JsonObject, params: readonly ParamHeader[]): Record<string, string> {
  const forwarded: Record<string, string> = {};
  const mismatch = (name: string) => new GatewayError("headerMismatch", `mcp-param-${name.toLowerCase()} differs from body`, { detail: `Mcp-Param-${name} must equal the argument it mirrors` });
  for (const param of params) {
    const value = valueAt(args, param.path);
    const header = headers.get(`mcp-param-${param.name}`);
    if (value === undefined || value === null) {
      if (header !== null) throw mismatch(param.name);
      continue;
    }
    const text = headerText(value, param.type);
    if (text === undefined || header === null) throw mismatch(param.name);
    const decoded = decodeHeaderValue(header);
    const equal = param.type === "integer" ? decoded !== undefined && decoded.trim() !== "" && Number(decoded) === value : decoded === text;
    if (!equal) throw mismatch(param.name);
    forwarded[`mcp-param-${param.name.toLowerCase()}`] = encodeHeaderValue(text);
  }
  return forwarded;
}
