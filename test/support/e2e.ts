// The setup most end-to-end files share: the test Worker in workerd and the recording test origin,
// started before the file's tests and stopped after them. Files read `setup.gateway` and
// `setup.recorder` once the hooks have run.

import { afterAll, beforeAll } from "vitest";
import { startGateway, type Gateway } from "./gateway.js";
import { PORTS } from "./ports.js";
import { startTestOrigin, type TestOrigin } from "./test-origin.js";

export function gatewayAndRecorder(options: { leak?: string } = {}): { gateway: Gateway; recorder: TestOrigin } {
  const setup = {} as { gateway: Gateway; recorder: TestOrigin };
  beforeAll(async () => {
    setup.gateway = await startGateway();
    setup.recorder = await startTestOrigin(PORTS.recorder, options);
  });
  afterAll(async () => {
    await setup.gateway?.close();
    await setup.recorder?.close();
  });
  return setup;
}
