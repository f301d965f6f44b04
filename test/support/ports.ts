// Fixed loopback ports of the test origins, shared by the test policy (test/fixtures/policies) and the harness.
// Below Linux's ephemeral range (32768–60999), so no outgoing connection's local port can hold one when a
// test starts listening on it (which failed a run once with EADDRINUSE); the conformance run and the
// benchmark keep theirs in the same 21xxx block.
export const PORTS = {
  everything: 21301,
  recorder: 21311,
  dead: 21319,
  toolbox: 21321,
  sql: 21701,
  /** The virtual-server tests' origin that never finishes a listing. */
  sluggish: 22001,
  /** The conformance reference server as a virtual server's origin (test/e2e/virtual-reference.test.ts). */
  reference: 22731,
  redis: 21501,
  bridge: 21502,
  /** OAuth: the local OpenID provider, the gateway at a fixed port (the provider knows its callback), a client's metadata host. */
  idp: 21901,
  oauthGateway: 21902,
  clientHost: 21903,
  /** The conformance suite's OAuth callback server (its `authorization` scenarios). */
  conformanceCallback: 21906,
  /** JWT resource-server mode (test/e2e/jwt.test.ts): the gateway, the OpenID provider issuing JWT access tokens, the test's own issuer's key set. */
  jwtGateway: 22500,
  jwtIdp: 22501,
  jwtKeys: 22502,
} as const;

export const EVERYTHING_URL = `http://127.0.0.1:${PORTS.everything}/mcp`;
export const TOOLBOX_URL = `http://127.0.0.1:${PORTS.toolbox}/mcp`;
export const SQL_URL = `http://127.0.0.1:${PORTS.sql}/mcp`;
export const IDP_ISSUER = `http://127.0.0.1:${PORTS.idp}`;
