// Once per `npm test`: build the test Worker (demo policy + test origins, the demo origin pointed at
// the test's own server-everything, the OpenID provider at the one test/support/idp.ts runs) and start that real origin.

import { buildWorker } from "../../cli/build.js";
import { startEverything } from "./everything.js";
import { TEST_WORKER } from "./gateway.js";
import { EVERYTHING_URL, IDP_ISSUER, PORTS, SQL_URL, TOOLBOX_URL } from "./ports.js";

export default async function setup(): Promise<() => void> {
  await buildWorker({
    policyDirs: ["policies", "test/fixtures/policies"],
    outFile: TEST_WORKER,
    originOverrides: { everything: EVERYTHING_URL, toolbox: TOOLBOX_URL, sql: SQL_URL },
    upstreamIssuer: IDP_ISSUER,
  });
  const everything = await startEverything(PORTS.everything);
  return () => {
    everything.kill();
  };
}
