// Running wrangler from the CLI: always with the project's Node 22 (wrangler needs it; the machine's
// `node` may be older), against the local dev store (`.wrangler/state`, the one `npm start` uses) or,
// with `remote`, against the deployed namespace of `--env production`.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The Node 22 binary of the `node` devDependency, or this process's Node when it is not installed. */
export function projectNode(): string {
  const bundled = join(PROJECT_ROOT, "node_modules/node/bin/node");
  return existsSync(bundled) ? bundled : process.execPath;
}

/** `persistTo`: a local store other than `.wrangler/state` (wrangler's --persist-to). */
export type Target = { remote: boolean; env?: string; persistTo?: string };

export function wrangler(args: string[], target: Target): string {
  const where = target.remote ? ["--remote", ...(target.env ? ["--env", target.env] : [])] : ["--local", ...(target.persistTo ? ["--persist-to", target.persistTo] : [])];
  try {
    return execFileSync(projectNode(), [join(PROJECT_ROOT, "node_modules/wrangler/bin/wrangler.js"), ...args, ...where], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`wrangler ${args.slice(0, 3).join(" ")} failed: ${stderr.trim().split("\n").slice(-3).join(" ")}`);
  }
}

/** The local secrets `wrangler dev` reads. */
export function readDevVars(): Record<string, string> {
  const file = join(PROJECT_ROOT, ".dev.vars");
  if (!existsSync(file)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) vars[match[1]!] = match[2]!.replace(/^"(.*)"$/, "$1");
  }
  return vars;
}
