// Prints the closing line of `npm test`: every vitest test and every conformance check, as
// `tests: N passed, M failed`.

import { existsSync, readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(".warden/vitest-report.json", "utf8")) as { numPassedTests: number; numFailedTests: number };
const conformance = existsSync(".warden/conformance-total.txt") ? readFileSync(".warden/conformance-total.txt", "utf8") : "";
const [, passed = "0", failed = "0"] = /Total: (\d+) passed, (\d+) failed/.exec(conformance) ?? [];
console.log(`vitest ${report.numPassedTests} passed, ${report.numFailedTests} failed; conformance through the gateway ${passed} passed, ${failed} failed`);
console.log(`tests: ${report.numPassedTests + Number(passed)} passed, ${report.numFailedTests + Number(failed)} failed`);
