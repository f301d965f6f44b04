// The scrubber's throughput inside workerd, for `npm run bench:scrub` (which runs `npm run scrub:score`
// first, so one command prints the public corpus scores and the throughput). The last line is one
// key=value summary.

import { describeScrubThroughput, scrubThroughput } from "./scrub-throughput.js";

const throughput = await scrubThroughput();
console.log(describeScrubThroughput(throughput));
console.log(
  `scrub_mb_s=${throughput.mixedMbS.toFixed(1)} scrub_dense_mb_s=${throughput.denseMbS.toFixed(1)} scrub_adversarial_mb_s=${throughput.adversarialMbS.toFixed(1)} adversarial_linearity=${throughput.adversarialLinearity.toFixed(2)}`,
);
