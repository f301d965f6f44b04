// Prints the closing line of `npm test`: every vitest test and every conformance check, as
// `tests: N passed, M failed[, K skipped]`, and says which Redis-backed tests were skipped for want of
// a redis-server (or browser tests for want of Chromium) and how to install it.

import { existsSync, readFileSync } from "node:fs";
import { BROWSER_TAG, CHROMIUM_INSTALL, chromiumInstalled } from "./support/browser.js";
import { REDIS_INSTALL, REDIS_TAG, redisInstalled } from "./support/redis.js";

type Report = {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: { assertionResults: { status: string; ancestorTitles: string[]; title: string }[] }[];
};

const report = JSON.parse(readFileSync(".warden/vitest-report.json", "utf8")) as Report;
const conformance = existsSync(".warden/conformance-total.txt") ? readFileSync(".warden/conformance-total.txt", "utf8") : "";
const [, passed = "0", failed = "0"] = /Total: (\d+) passed, (\d+) failed/.exec(conformance) ?? [];
const skippedWith = (tag: string) =>
  report.testResults
    .flatMap((file) => file.assertionResults)
    .filter((test) => test.status !== "passed" && test.status !== "failed" && [...test.ancestorTitles, test.title].some((title) => title.includes(tag))).length;
const skippedRedis = skippedWith(REDIS_TAG);
const skippedBrowser = skippedWith(BROWSER_TAG);
console.log(`vitest ${report.numPassedTests} passed, ${report.numFailedTests} failed; conformance through the gateway ${passed} passed, ${failed} failed`);
if (skippedRedis && !redisInstalled) console.log(`skipped ${skippedRedis} Redis-backed tests: no redis-server on PATH. Install it to run them: ${REDIS_INSTALL}`);
if (skippedBrowser && !chromiumInstalled) console.log(`skipped ${skippedBrowser} browser tests: no Chromium. Install it to run them: ${CHROMIUM_INSTALL}`);
const skipped = report.numPendingTests ? `, ${report.numPendingTests} skipped` : "";
console.log(`tests: ${report.numPassedTests + Number(passed)} passed, ${report.numFailedTests + Number(failed)} failed${skipped}`);
