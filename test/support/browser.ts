// Whether the browser tests can run: they drive Debian's Chromium (`apt-get install -y chromium`) through
// playwright-core, which downloads no browser. Locally a missing Chromium skips them (npm test's summary
// says how many and how to install it); with CI=true they are required, and a missing Chromium fails the run.

import { existsSync } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_INSTALL = "apt-get install -y chromium";
/** Suites that need Chromium carry this tag in their title, so the summary can count what was skipped. */
export const BROWSER_TAG = "[chromium]";
export const chromiumInstalled = existsSync(CHROMIUM);
export const runBrowserTests = chromiumInstalled || process.env.CI === "true";
