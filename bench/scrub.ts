// `npm run bench:scrub`: the scrubber's scores on the public corpus (../shared/scrub, scored by its own
// scorer through `mcp-warden scrub --jsonl`) and its throughput inside workerd. The last line is one
// key=value summary.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { projectNode } from "../cli/wrangler.js";
import { describeScrubThroughput, scrubThroughput } from "./scrub-throughput.js";

const CASES = "../shared/scrub/public.jsonl";
let scores = "";
if (existsSync(CASES)) {
  const scored = spawnSync(projectNode(), ["../shared/scrub/score.mjs", "--cases", CASES, "--cmd", `${projectNode()} bin/mcp-warden.mjs scrub --jsonl`], { encoding: "utf8" });
  process.stdout.write(scored.stdout);
  process.stderr.write(scored.stderr);
  const last = scored.stdout.trim().split("\n").at(-1) ?? "";
  const figure = (name: string) => last.match(new RegExp(`${name} ([\\d.]+)`))?.[1] ?? "?";
  scores = `recall=${figure("recall")} strict_recall=${figure("strict")} precision=${figure("precision")} `;
} else {
  console.log(`${CASES} not found: scores skipped`);
}
const throughput = await scrubThroughput();
console.log(describeScrubThroughput(throughput));
console.log(
  `${scores}scrub_mb_s=${throughput.mixedMbS.toFixed(1)} scrub_dense_mb_s=${throughput.denseMbS.toFixed(1)} scrub_adversarial_mb_s=${throughput.adversarialMbS.toFixed(1)} adversarial_linearity=${throughput.adversarialLinearity.toFixed(2)}`,
);
