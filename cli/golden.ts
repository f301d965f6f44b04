// Golden decision cases (policies/tests/*.yaml): roles, origin, target and arguments → the expected
// decision and deciding rule. Run by `mcp-warden policy check` and by `npm test`.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { PolicyEngine } from "../src/policy/decide.js";
import type { CompiledPolicy, TargetKind } from "../src/policy/types.js";
import { readYaml } from "./policy-files.js";

const caseSchema = z
  .strictObject({
    name: z.string(),
    roles: z.array(z.string()),
    origin: z.string(),
    tool: z.string().optional(),
    resource: z.string().optional(),
    prompt: z.string().optional(),
    arguments: z.record(z.string(), z.unknown()).optional(),
    /** The caller's facts for rule conditions; a fact left out is missing (conditions on it fail closed). */
    caller: z.strictObject({ address: z.string().optional(), country: z.string().optional(), asn: z.int().optional(), at: z.iso.datetime().optional() }).optional(),
    expect: z.strictObject({ decision: z.enum(["allow", "deny"]), rule: z.string(), condition: z.enum(["address", "country", "asn", "time"]).optional() }),
  })
  .refine((c) => [c.tool, c.resource, c.prompt].filter((target) => target !== undefined).length === 1, "name exactly one of tool, resource, prompt");

export type GoldenCase = z.infer<typeof caseSchema> & { file: string };

export function readGoldenCases(dir: string): GoldenCase[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch {
    return [];
  }
  return files.flatMap((name) => {
    const file = join(dir, name);
    const parsed = z.strictObject({ cases: z.array(caseSchema) }).safeParse(readYaml(file));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`);
    return parsed.data.cases.map((c) => ({ ...c, file }));
  });
}

export function targetOfCase(c: GoldenCase): { kind: TargetKind; name: string } {
  if (c.tool !== undefined) return { kind: "tool", name: c.tool };
  if (c.resource !== undefined) return { kind: "resource", name: c.resource };
  return { kind: "prompt", name: c.prompt! };
}

/** Runs every case; returns a line per failure. */
export function runGoldenCases(policy: CompiledPolicy, cases: GoldenCase[]): string[] {
  const engine = new PolicyEngine(policy);
  const failures: string[] = [];
  for (const c of cases) {
    const { kind, name } = targetOfCase(c);
    const args = kind === "resource" ? undefined : ((c.arguments ?? {}) as Record<string, never>);
    const { at, ...facts } = c.caller ?? {};
    const decision = engine.decide(c.origin, kind, name, engine.expandRoles(c.roles), args, undefined, { ...facts, now: at === undefined ? Number.NaN : Date.parse(at) });
    const condition = decision.effect === "deny" ? decision.condition : undefined;
    if (decision.effect !== c.expect.decision || decision.rule !== c.expect.rule || condition !== c.expect.condition) {
      const said = (effect: string, rule: string, because?: string) => `${effect} by ${rule}${because ? ` (condition ${because})` : ""}`;
      failures.push(`${c.file}: "${c.name}": expected ${said(c.expect.decision, c.expect.rule, c.expect.condition)}, got ${said(decision.effect, decision.rule, condition)}`);
    }
  }
  return failures;
}
