// Fixed loopback ports of the test origins, shared by the test policy (test/fixtures/policies) and the harness.
export const PORTS = {
  everything: 39301,
  recorder: 39311,
  dead: 39319,
  toolbox: 39321,
  redis: 39501,
  bridge: 39502,
} as const;

export const EVERYTHING_URL = `http://127.0.0.1:${PORTS.everything}/mcp`;
export const TOOLBOX_URL = `http://127.0.0.1:${PORTS.toolbox}/mcp`;
