// The scrubber's throughput, for `npm run bench:scrub` and `npm run bench`: the Worker's own scrubber
// bundled into a Worker and run inside workerd (bytes scrubbed per second of workerd CPU) on mixed tool
// output, on dense text and on adversarial input at two sizes (the ratio shows the time is linear).

import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { adversarial, gatewaySources, mixedToolOutput } from "./corpus.js";
import { cpuMs, inWorkerd } from "./workerd.js";

export type ScrubThroughput = {
  mixedBytes: number;
  mixedMbS: number;
  denseMbS: number;
  adversarialMbS: number;
  /** MB/s on adversarial input four times as long, over MB/s at 1×: about 1 when time is linear, 0.25 when quadratic. */
  adversarialLinearity: number;
};

async function inWorkerdMbS(texts: string[]): Promise<number[]> {
  await build({ entryPoints: ["bench/scrub-worker.ts"], outfile: ".warden/bench/scrub-worker.js", bundle: true, format: "esm", platform: "neutral", target: "es2024", minify: true, logLevel: "warning" });
  const worker = await inWorkerd(async () => {
    const mf = new Miniflare({ modules: true, scriptPath: ".warden/bench/scrub-worker.js", compatibilityDate: "2026-07-01", unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] });
    await mf.ready;
    return Object.assign(mf, { close: () => mf.dispose(), url: (await mf.unsafeGetDirectURL()).href });
  });
  try {
    const results: number[] = [];
    for (const text of texts) {
      const rounds = 4;
      await (await fetch(`${worker.url}?rounds=1`, { method: "POST", body: text })).text();
      const before = cpuMs(worker.pid);
      const started = performance.now();
      let bytes = 0;
      while (performance.now() - started < 4000) {
        await (await fetch(`${worker.url}?rounds=${rounds}`, { method: "POST", body: text })).text();
        bytes += text.length * rounds;
      }
      results.push(bytes / 1e6 / ((cpuMs(worker.pid) - before) / 1000));
    }
    return results;
  } finally {
    await worker.close();
  }
}

export async function scrubThroughput(): Promise<ScrubThroughput> {
  const mixed = mixedToolOutput(2_000_000);
  const [mixedMbS, denseMbS, adversarialMbS, adversarialLongMbS] = await inWorkerdMbS([mixed, gatewaySources(), adversarial(), adversarial().repeat(4)]);
  return { mixedBytes: mixed.length, mixedMbS: mixedMbS!, denseMbS: denseMbS!, adversarialMbS: adversarialMbS!, adversarialLinearity: adversarialLongMbS! / adversarialMbS! };
}

export function describeScrubThroughput(result: ScrubThroughput): string {
  return `scrubber in workerd: ${result.mixedMbS.toFixed(1)} MB/s on mixed tool output (${(result.mixedBytes / 1e6).toFixed(1)} MB), ${result.denseMbS.toFixed(1)} MB/s on this project's README and source (secret words everywhere), ${result.adversarialMbS.toFixed(1)} MB/s on adversarial input (×${result.adversarialLinearity.toFixed(2)} of that at 4× the length; 1 is linear, 0.25 quadratic)`;
}
