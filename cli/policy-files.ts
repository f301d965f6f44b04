// Reads policy directories (top-level *.yaml files, plus tool pins in pins/; tests/ holds golden
// cases, not policy) and compiles them. YAML duplicate keys are an error here too, like duplicate JSON keys on the wire.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseDocument } from "yaml";
import { PolicyError, compilePolicy, type PolicySource } from "../src/policy/build/compile.js";
import type { CompiledPolicy } from "../src/policy/types.js";

export function readYaml(file: string): unknown {
  const document = parseDocument(readFileSync(file, "utf8"), { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length) throw new PolicyError(document.errors.map((error) => `${relative(process.cwd(), file)}: ${error.message.split("\n")[0]}`));
  return document.toJS();
}

/** Top-level policy files of each directory, or with `subdir`, the files of that subdirectory (pins/). */
export function policySources(dirs: string[], subdir = ""): PolicySource[] {
  return dirs.flatMap((base) => {
    const dir = join(base, subdir);
    if (subdir && !existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => {
        const file = join(dir, name);
        return { file: relative(process.cwd(), file), content: readYaml(file) };
      });
  });
}

export function loadPolicy(dirs: string[], originOverrides: Record<string, string> = {}, upstreamIssuer?: string): CompiledPolicy {
  const sources = policySources(dirs);
  if (upstreamIssuer) {
    const source = sources.find((candidate) => (candidate.content as { oauth?: unknown })?.oauth);
    if (!source) throw new PolicyError(["override: no policy file has an oauth section"]);
    (source.content as { oauth: { upstream: { issuer: string } } }).oauth.upstream.issuer = upstreamIssuer;
  }
  for (const [name, url] of Object.entries(originOverrides)) {
    const source = sources.find((candidate) => (candidate.content as { origins?: Record<string, { url: string }> })?.origins?.[name]);
    if (!source) throw new PolicyError([`override: no policy file defines origin "${name}"`]);
    (source.content as { origins: Record<string, { url: string }> }).origins[name]!.url = url;
  }
  return compilePolicy(sources, policySources(dirs, "pins"));
}
