// `mcp-warden scrub`: the Worker's scrubber on the command line. Plain mode redacts all of stdin to
// stdout; `--jsonl` reads lines `{"id","text"}` and writes `{"id","text"}`, for corpora and logs.

import { createInterface } from "node:readline";
import { scrubText, type ScrubSettings } from "../src/scrub/scrub.js";

const settings: ScrubSettings = { families: new Set(["credentials", "personal"]), knownSecrets: [], allow: new Set() };

export async function scrubCommand(args: string[]): Promise<void> {
  if (args.includes("--jsonl")) {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    let batch = "";
    for await (const line of lines) {
      if (line.trim() === "") continue;
      const { id, text } = JSON.parse(line) as { id: unknown; text: string };
      batch += `${JSON.stringify({ id, text: scrubText(text, settings, {}) })}\n`;
      if (batch.length > 1 << 16) {
        if (!process.stdout.write(batch)) await new Promise((resolve) => process.stdout.once("drain", resolve));
        batch = "";
      }
    }
    process.stdout.write(batch);
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  process.stdout.write(scrubText(Buffer.concat(chunks).toString("utf8"), settings, {}));
}
