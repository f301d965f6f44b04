// The scrubber inside workerd, for `npm run bench`: each request scrubs its body `rounds` times with the
// Worker's own scrubber and settings; the benchmark divides the bytes by the workerd process's CPU.
import { scrubText } from "../src/scrub/scrub.js";

const settings = { families: new Set(["credentials", "personal"] as const), knownSecrets: ["k".repeat(40), "origin-credential-0123456789abcdef"], allow: new Set<string>() };

export default {
  async fetch(request: Request): Promise<Response> {
    const text = await request.text();
    const rounds = Number(new URL(request.url).searchParams.get("rounds") ?? 1);
    let length = 0;
    for (let round = 0; round < rounds; round++) length += scrubText(text, settings, {}).length;
    return new Response(String(length));
  },
};
