// Vitest config for `npm run mutate` (Stryker): the unit tests only. The e2e, conformance and docs
// tests run a Worker bundled from src/ in workerd, which Stryker's mutant switching never reaches,
// so they would only slow the run and count as "covering" mutants they cannot see. No globalSetup:
// nothing here needs the bundled test Worker or the real origin. test/cli/ is left out too: its tests
// run the CLI in child processes, where no mutant is ever active (Stryker switches mutants inside the
// test runner's own process), and under load their process start-ups outran the 5 s test timeout.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "test/conformance/**", "test/docs/**", "test/cli/**", "**/node_modules/**"],
    // A mutant that makes a stream or a promise hang fails its test here, in the same runner, instead of
    // hitting Stryker's timeout (which kills and restarts the runner: ~20 s a mutant on two cores).
    testTimeout: 5_000,
  },
});
