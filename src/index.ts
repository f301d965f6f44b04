// The Worker: wiring only. Every MCP message passes the same stages in this order, each a Hono
// middleware from its own folder, configured once from the build-time policy bundle:
//
//   audit/      one event per message, emitted when its answer is over
//   mcp/        the endpoint names a policy origin; a browser page's Origin is allowed
//   auth/       who is calling — before any body is read, so an unauthenticated caller costs no parsing
//   ratelimit/  a principal this isolate knows to be cooling down is refused before its message is read;
//               forged sealed values refused in the next stage count toward that cooldown
//   mcp/        headers, body, strict JSON, JSON-RPC shape, the method table's row, revision, session
//   policy/     one Decision for the message (rules, limits, scrub settings, integrity verdict)
//   ratelimit/  a denied message is refused (and counts toward abuse); an allowed one checks its limits
//   forward/    the checked message, re-serialized, to the origin with the origin's own credential
//   answer/     the origin's answer reviewed (listing filter, integrity, scrub, server requests) and relayed
//
// A virtual server's endpoint (`servers:` in policy) has its own short chain — audit, authentication,
// the cooldown gate (its refusals of unknown names and forged ids count toward abuse), then virtual/, which sends each message on through the endpoints of its origins above.
//
// Identity routes sit beside the pipeline: the RFC 9728 protected-resource metadata of each endpoint and,
// when the policy has an `oauth` section, the authorization server (src/oauth/routes.ts). Errors from any stage go to the one handler in errors.ts.

import { Hono } from "hono/tiny";
import policy from "warden:policy";
import { answerClient } from "./answer/stage.js";
import { consumeAuditBatch } from "./audit/consumer.js";
import { auditTrail } from "./audit/stage.js";
import { authentication, protectedResourcePath } from "./auth/authenticate.js";
import type { Env } from "./config.js";
import { GatewayError, handleError } from "./errors.js";
import { forwardToOrigin } from "./forward/stage.js";
import { mcpEndpoint, mcpMessage } from "./mcp/stage.js";
import { policyDecision } from "./policy/stage.js";
import { failedAuthGuard } from "./ratelimit/failed-auth.js";
import { cooldownGate, rateLimits } from "./ratelimit/stage.js";
import { limitBackend } from "./ratelimit/store.js";
import { oauthRoutes, protectedResourceMetadata } from "./oauth/routes.js";
import { serverEndpoint, virtualServer } from "./virtual/stage.js";

export { RateLimitStore } from "./ratelimit/embedded.js";
export { OAuthGrant } from "./oauth/grant.js";

const MCP = "/mcp/:origin";
const app = new Hono<{ Bindings: Env }>();
const endpoints = [...Object.keys(policy.origins), ...Object.keys(policy.servers)];
// One failed-authentication count per client address, for bearer tokens at the MCP endpoints and for codes, refresh tokens and signatures at /oauth/*.
const authenticationFailures = failedAuthGuard(policy.gateway.rateLimit.failedAuth, limitBackend);
const authenticated = authentication({ tokenCacheSeconds: policy.gateway.tokenCacheSeconds, maxTokenLifetimeSeconds: policy.gateway.maxTokenLifetimeSeconds, failures: authenticationFailures, origins: policy.origins });

app.onError(handleError);
app.notFound(() => {
  throw new GatewayError("unknownEndpoint", "no route");
});

app.get("/.well-known/oauth-protected-resource/mcp/:origin", (c) => {
  const name = c.req.param("origin");
  if (!endpoints.includes(name)) throw new GatewayError("unknownEndpoint", "no origin or server of that name");
  return c.json(protectedResourceMetadata(policy, new URL(c.req.url).origin, name));
});

if (policy.oauth) app.route("/", oauthRoutes({ policy, failures: authenticationFailures }));

app.get("/.well-known/mcp-warden", (c) =>
  c.json({ gateway: "mcp-warden", policyVersion: policy.version, origins: Object.keys(policy.origins), servers: Object.keys(policy.servers), protectedResourceMetadata: endpoints.map(protectedResourcePath) }),
);

// Registered first: a virtual server's route answers itself, so an origin's chain never runs for it.
for (const server of Object.keys(policy.servers)) {
  app.use(`/mcp/${server}`, auditTrail({ policy }), serverEndpoint({ policy, server }), authenticated, cooldownGate({ policy }), virtualServer({ policy, server, inner: async (request, env, ctx) => app.fetch(request, env, ctx) }));
}

app.use(
  MCP,
  auditTrail({ policy }),
  mcpEndpoint({ policy }),
  authenticated,
  cooldownGate({ policy }),
  mcpMessage({ policy }),
  policyDecision({ policy }),
  rateLimits({ policy }),
  forwardToOrigin({ policy }),
);
app.all(MCP, answerClient({ policy }));

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<unknown>, env: Env) => consumeAuditBatch(batch, env),
} satisfies ExportedHandler<Env>;
