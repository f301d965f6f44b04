// StrykerJS for `npm run mutate`: mutation testing of the defence code against the unit tests.
// Not part of `npm test`. See README (## Tests) and docs/mutation.md for the triage of survivors.
//
// - The unit tests only, through vitest.mutate.config.ts (no globalSetup): the e2e tests run a Worker
//   bundled from src/ in workerd, which Stryker's in-process mutant switching cannot reach.
// - Scope: the run-time defence modules. Left out: the Hono stage files (*/stage.ts and oauth/routes.ts,
//   wiring covered by the e2e tests), the Durable Object / Upstash adapters and oauth/grant.ts (a Durable
//   Object; I/O, e2e only), virtual/merge.ts (answer shaping, in flux on another branch: see
//   docs/mutation.md), policy/build/ (build time,
//   not a run-time defence), config, index and the CLI. And scrub/: its tests feed megabyte
//   adversarial inputs (linear-time checks) that take over 5 s each once instrumented, and every scrub
//   mutant would run them all; the scrubber is measured by `npm run scrub:score` and its own tests.
// - Incremental: the second and later runs re-test only mutants whose code or covering tests changed.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts" },
  coverageAnalysis: "perTest",
  // Static mutants (module-level constants: tables, regexes) are covered by no single test, so each
  // one reruns the whole suite: 26% of the mutants, ~89% of the time. Left out to keep a run on two
  // cores well under an hour; they show as "Ignored" in the report.
  ignoreStatic: true,
  concurrency: 1,
  mutate: [
    "src/auth/*.ts",
    "src/mcp/*.ts",
    "!src/mcp/stage.ts",
    "src/policy/decide.ts",
    "src/policy/decision.ts",
    "src/policy/arguments.ts",
    "src/policy/filter.ts",
    "src/policy/conditions.ts",
    "src/policy/sql.ts",
    "src/ratelimit/limiter.ts",
    "src/ratelimit/backend.ts",
    "src/ratelimit/lease.ts",
    "src/ratelimit/anomaly.ts",
    "src/oauth/client-metadata.ts",
    "src/oauth/grant-roles.ts",
    "src/oauth/upstream.ts",
    "src/oauth/pages.ts",
    "src/virtual/names.ts",
    "src/virtual/session.ts",
    "src/integrity/*.ts",
    "src/answer/review.ts",
    "src/answer/relay.ts",
    "src/answer/read.ts",
    "src/audit/event.ts",
    "src/sealed.ts",
    "src/errors.ts",
  ],
  ignorePatterns: ["bench", "demo", "dist", ".warden", ".wrangler", "reports", ".stryker-tmp*"],
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  reporters: ["html", "clear-text", "progress", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
