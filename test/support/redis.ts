// Whether the Redis-backed tests can run: they need a real `redis-server` on PATH. Locally a missing
// Redis skips them (npm test's summary says how many and how to install it); with CI=true they are
// required, and a missing Redis fails the run.

import { spawnSync } from "node:child_process";

export const REDIS_INSTALL = "apt-get install redis-server (Debian/Ubuntu) or brew install redis (macOS)";
/** Suites that need Redis carry this tag in their title, so the summary can count what was skipped. */
export const REDIS_TAG = "[redis]";

export const redisInstalled = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).error === undefined;
export const redisRequired = process.env.CI === "true";
/** Run the Redis-backed suites: Redis is there, or CI requires them (and they fail without it). */
export const runRedisTests = redisInstalled || redisRequired;
