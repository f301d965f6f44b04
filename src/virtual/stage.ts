// The virtual-server endpoint `/mcp/<server>`: one MCP endpoint over several origins. It never
// decides anything itself: every message it sends an origin goes in-process through that origin's
// own endpoint (`inner`, the whole pipeline: authentication, policy, limits, integrity, scrubbing,
// sealed ids, audit), so each origin keeps its credentials, pins, limits and scrub settings. This
// stage only routes: a listing, initialize and other session-wide messages fan out to the origins in
// parallel (each bounded by the server's listTimeoutMs; an origin that fails or is late is left out
// and named in this message's audit event), a message that names a tool, prompt, resource, task or
// relayed request goes to the one origin that owns the name (names.ts), and every origin message on
// the way back is mapped outward (merge.ts). The client's session id seals the origins' (session.ts).

import type { ExecutionContext } from "hono";
import { createMiddleware } from "hono/factory";
import type { AuditDraft } from "../audit/event.js";
import type { Principal } from "../auth/authenticate.js";
import { gatewaySecrets, type Env } from "../config.js";
import { ErrorKind, GatewayError, auditDecisionOf } from "../errors.js";
import { parseOriginMessage, readJsonAnswers, readSseAnswer, type AnswerItem } from "../answer/read.js";
import { isJsonObject, type JsonObject } from "../mcp/json.js";
import type { JsonRpcId, JsonRpcMessage, JsonRpcRequest } from "../mcp/jsonrpc.js";
import { methodRow } from "../mcp/methods.js";
import { readPostedMessage } from "../mcp/stage.js";
import { encodeSseControl, encodeSseEvent } from "../mcp/sse.js";
import { STATELESS_VERSION, checkGetHeaders, checkOrigin, checkPostHeaders, checkStatelessHeaders, encodeHeaderValue, headerVersion } from "../mcp/transport.js";
import type { CompiledPolicy } from "../policy/types.js";
import { LISTINGS, fitListing, mergeInitialize, mergedCacheHints, outward, type Page } from "./merge.js";
import { ServerNames, type Routed } from "./names.js";
import { openCursor, sealCursor, unwrapVirtualSession, wrapVirtualSession, type VirtualBinding, type VirtualSession } from "./session.js";

/** Sends one request to an origin's own endpoint, in-process. */
export type InnerEndpoint = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;

type Variables = { originName: string; principal: Principal; audit: AuditDraft; rpcId: JsonRpcId | null };

/** Names the server for the stages before it (authentication's challenge, audit) and checks a browser page's Origin. */
export function serverEndpoint({ policy, server }: { policy: CompiledPolicy; server: string }) {
  return createMiddleware<{ Variables: Variables }>(async (c, next) => {
    checkOrigin(c.req.raw.headers, policy.gateway.allowedOrigins, new URL(c.req.url));
    c.set("originName", server);
    await next();
  });
}

/** An origin endpoint's JSON-RPC refusal, as it answered: status, body and headers (Retry-After, RateLimit, …). */
type Refusal = { status: number; code: unknown; body: string; headers: Headers };

/** One origin's answer to a fan-out request, read whole, or why it has none. */
type Exchange = { origin: string; response?: JsonRpcMessage; sessionId?: string; status: number; failure?: string; refusal?: Refusal };

/**
 * Refusals of the caller itself — its own limit (429, or 503 where a fail-closed limiter is down), a policy
 * denial, a token no longer valid — that a fan-out answers with instead of leaving the origin out unnoticed.
 * A token whose `origins` exclude one of the server's (403 forbidden) only narrows what that caller sees.
 */
const CALLER_REFUSALS = [ErrorKind.rateLimited, ErrorKind.rateLimiterUnavailable, ErrorKind.denied, ErrorKind.unauthorized];
const isCallerRefusal = (refusal: Refusal) => CALLER_REFUSALS.some((kind) => kind.status === refusal.status && kind.code === refusal.code);

/** An origin endpoint's error answer read whole: its JSON-RPC code when it has one. */
async function refusalOf(response: Response, maxDepth: number): Promise<Refusal> {
  const body = await response.text();
  let code: unknown;
  try {
    const refusal = parseOriginMessage(body, maxDepth);
    if (refusal.kind === "response" && "error" in refusal.message) code = refusal.message.error.code;
  } catch {
    // not JSON-RPC: an error by its status alone
  }
  return { status: response.status, code, body, headers: response.headers };
}

const FORWARDED_HEADERS = ["authorization", "cf-connecting-ip", "cf-ray"];

export function virtualServer({ policy, server, inner }: { policy: CompiledPolicy; server: string; inner: InnerEndpoint }) {
  const names = new ServerNames(policy.servers[server]!);
  const { listTimeoutMs } = policy.servers[server]!;
  const { maxBodyBytes, maxDepth, maxAnswerEventBytes } = policy.gateway;
  const limits = { maxEventBytes: maxAnswerEventBytes, maxDepth };

  return createMiddleware<{ Bindings: Env; Variables: Variables }>(async (c) => {
    const headers = c.req.raw.headers;
    const secret = gatewaySecrets(c.env).sessionSecret;
    const binding: VirtualBinding = { server, principal: c.var.principal.id };
    const audit = c.var.audit;
    audit.event.server = server;
    const base = new URL(c.req.url).origin;
    const dropped: { origin: string; reason: string }[] = [];
    const drop = (origin: string, reason: string) => {
      dropped.push({ origin, reason: reason.slice(0, 200) });
      audit.event.droppedOrigins = dropped;
    };

    /** A request to one origin's endpoint, as this client's (its token, its address), with the origin's own session. */
    const send = (origin: string, init: { method: "POST" | "GET" | "DELETE"; body?: JsonObject; session?: VirtualSession; version?: string | null; lastEventId?: string; stateless?: { method: string; name?: string }; signal?: AbortSignal }): Promise<Response> => {
      const out = new Headers({ accept: "application/json, text/event-stream" });
      for (const name of FORWARDED_HEADERS) {
        const value = headers.get(name);
        if (value !== null) out.set(name, value);
      }
      if (init.body) out.set("content-type", "application/json");
      const innerSession = init.session?.origins[origin];
      if (innerSession) out.set("mcp-session-id", innerSession);
      const version = init.session?.version ?? init.version;
      if (version) out.set("mcp-protocol-version", version);
      if (init.lastEventId !== undefined) out.set("last-event-id", init.lastEventId);
      if (init.stateless) {
        out.set("mcp-method", init.stateless.method);
        if (init.stateless.name !== undefined) out.set("mcp-name", encodeHeaderValue(init.stateless.name));
        for (const [name, value] of headers) if (name.startsWith("mcp-param-")) out.set(name, value);
      }
      const request = new Request(`${base}/mcp/${origin}`, { method: init.method, headers: out, ...(init.body ? { body: JSON.stringify(init.body) } : {}), ...(init.signal ? { signal: init.signal } : {}) });
      return inner(request, c.env, c.executionCtx);
    };

    /** A fan-out request to one origin: its whole answer, within the server's time limit (then the inner request is aborted). */
    const exchange = async (origin: string, send: (signal: AbortSignal) => Promise<Response>, id: JsonRpcId): Promise<Exchange> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const abandon = new AbortController();
      const late = new Promise<Exchange>(
        (resolve) =>
          (timer = setTimeout(() => {
            abandon.abort();
            resolve({ origin, status: 504, failure: `no answer within ${listTimeoutMs} ms` });
          }, listTimeoutMs)),
      );
      const answered = (async (): Promise<Exchange> => {
        const response = await send(abandon.signal);
        const type = (response.headers.get("content-type") ?? "").split(";")[0]!.trim();
        if (response.status !== 200 || (type !== "application/json" && type !== "text/event-stream")) {
          const text = await response.text().catch(() => "");
          try {
            const message = parseOriginMessage(text, maxDepth);
            if (message.kind === "response" && "error" in message.message) {
              return { origin, status: response.status, failure: message.message.error.message, refusal: { status: response.status, code: message.message.error.code, body: text, headers: response.headers } };
            }
          } catch {
            // not JSON-RPC: the status says enough
          }
          return { origin, status: response.status, failure: `HTTP ${response.status}` };
        }
        const items: AsyncGenerator<AnswerItem> = type === "text/event-stream" ? readSseAnswer(response, limits) : readJsonAnswers(response, limits);
        for await (const item of items) {
          if (item.message?.kind === "response" && item.message.message.id === id) {
            await items.return(undefined);
            if ("error" in item.message.message) return { origin, status: 200, failure: item.message.message.error.message, response: item.message };
            const sessionId = response.headers.get("mcp-session-id");
            return { origin, status: 200, response: item.message, ...(sessionId === null ? {} : { sessionId }) };
          }
        }
        return { origin, status: 502, failure: "answer ended without a response" };
      })().catch((error: unknown) => ({ origin, status: 502, failure: error instanceof GatewayError ? error.reason : String(error) }));
      try {
        return await Promise.race([answered, late]);
      } finally {
        clearTimeout(timer);
      }
    };

    /** An origin's answer relayed to the client with every message mapped outward; a refusal passes unchanged. */
    const relayFrom = async (origin: string, response: Response, extraHeaders: Record<string, string> = {}): Promise<Response> => {
      const type = (response.headers.get("content-type") ?? "").split(";")[0]!.trim();
      // The origin endpoint refused: this server's event records that endpoint's decision, not "allow".
      if (response.status !== 200 || (type !== "application/json" && type !== "text/event-stream")) return refuse(await refusalOf(response, maxDepth));
      // The origin endpoint's RateLimit headers describe this caller's limits there: they travel with the answer.
      const headers = { ...extraHeaders };
      for (const [name, value] of response.headers) if (name.startsWith("ratelimit")) headers[name] = value;
      if (type === "application/json") {
        const message = outward(parseOriginMessage(await response.text(), maxDepth), origin, names);
        return new Response(JSON.stringify(message.message), { status: 200, headers: { "content-type": "application/json", ...headers } });
      }
      return sseResponse([{ origin, response }], headers);
    };

    /** Several origins' SSE answers as one stream, each event mapped outward and its id routed. */
    const sseResponse = (streams: { origin: string; response: Response }[], extraHeaders: Record<string, string> = {}): Response => {
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
      const writer = writable.getWriter();
      const encoder = new TextEncoder();
      const pumps = streams.map(async ({ origin, response }) => {
        const items = readSseAnswer(response, limits);
        try {
          for await (const item of items) {
            const id = item.eventId === undefined ? undefined : names.idOut(origin, item.eventId);
            const text = item.message ? encodeSseEvent(JSON.stringify(outward(item.message, origin, names).message), id, item.retry) : encodeSseControl(id, item.retry);
            await writer.write(encoder.encode(text));
          }
        } catch (error) {
          // The client went away, or this origin's stream failed: the other origins' streams go on.
          if (!(error instanceof GatewayError)) await items.return(undefined).catch(() => {});
        }
      });
      c.executionCtx.waitUntil(Promise.all(pumps).then(() => writer.close().catch(() => {})));
      return new Response(readable, { status: 200, headers: { "content-type": "text/event-stream", "cache-control": "no-cache", ...extraHeaders } });
    };

    /** An origin endpoint's refusal passed on whole (its headers: Retry-After, RateLimit, Allow, …), this server's event recording its decision. */
    const refuse = ({ status, code, body, headers }: Refusal): Response => {
      audit.event.decision = auditDecisionOf(status, code);
      return new Response(body, { status, headers });
    };
    /** The caller's own refusal at any origin of a fan-out (CALLER_REFUSALS), which the whole fan-out answers with. */
    const callerRefused = (exchanges: Exchange[]): Refusal | undefined => exchanges.find((answer) => answer.refusal && isCallerRefusal(answer.refusal))?.refusal;
    /**
     * An origin endpoint's answer to a client's response or notification (202, or its refusal: that
     * endpoint made the policy decision and checked the limits), passed on; a refusal is this event's decision.
     */
    const passOn = async (response: Response): Promise<Response> => (response.status < 400 ? response : refuse(await refusalOf(response, maxDepth)));
    /** When every origin of a fan-out failed: the first one's own refusal (a revision, session or header problem it found), else `fallback`. */
    const allFailed = (exchanges: Exchange[], fallback: GatewayError): Response => {
      const refusal = exchanges.find((answer) => answer.refusal)?.refusal;
      if (refusal) return refuse(refusal);
      throw fallback;
    };

    const sessionOf = async (): Promise<VirtualSession | undefined> => {
      const id = headers.get("mcp-session-id");
      return id === null ? undefined : unwrapVirtualSession(secret, binding, id);
    };
    /** The origins a session-wide message goes to: those that joined the session, or all of them without one. */
    const originsOf = (session: VirtualSession | undefined) => (session ? names.origins.filter((origin) => Object.hasOwn(session.origins, origin)) : names.origins);
    const requireJoined = (session: VirtualSession | undefined, origin: string) => {
      if (session && !Object.hasOwn(session.origins, origin)) throw new GatewayError("originUnavailable", `origin ${origin} did not join this session`, { detail: "this origin was unavailable when the session began" });
    };

    switch (c.req.method) {
      case "POST":
        break;
      case "GET": {
        checkGetHeaders(headers);
        if (headerVersion(headers) === STATELESS_VERSION) throw new GatewayError("methodNotAllowed", "GET under the stateless revision");
        const session = await sessionOf();
        if (!session) throw new GatewayError("methodNotAllowed", "GET stream without a session", { headers: { allow: "POST, DELETE" } });
        audit.event.method = "GET stream";
        const lastEventId = headers.get("last-event-id");
        const resumed = lastEventId === null ? undefined : names.idIn(lastEventId);
        if (lastEventId !== null && !resumed) throw new GatewayError("badTransport", "last-event-id not issued by this server", { detail: "Last-Event-ID must be an event id this gateway sent you in this session", forged: true });
        const joined = originsOf(session).filter((origin) => session.origins[origin] !== "");
        const responses = await Promise.all(joined.map(async (origin) => ({ origin, response: await send(origin, { method: "GET", session, ...(resumed?.origin === origin ? { lastEventId: resumed.name } : {}) }) })));
        const open: { origin: string; response: Response }[] = [];
        for (const { origin, response } of responses) {
          if (response.status === 200) open.push({ origin, response });
          else {
            await response.body?.cancel();
            if (response.status !== 405) drop(origin, `GET stream: HTTP ${response.status}`);
          }
        }
        if (open.length === 0) throw new GatewayError("methodNotAllowed", "no origin of the session offers a GET stream", { headers: { allow: "POST, DELETE" } });
        audit.event.decision = "allow";
        return sseResponse(open);
      }
      case "DELETE": {
        const session = await sessionOf();
        if (!session) throw new GatewayError("badTransport", "no session id", { detail: "Mcp-Session-Id header is required" });
        audit.event.method = "DELETE session";
        const statuses = await Promise.all(
          originsOf(session).filter((origin) => session.origins[origin] !== "").map(async (origin) => {
            const response = await send(origin, { method: "DELETE", session });
            await response.body?.cancel();
            return response.status;
          }),
        );
        audit.event.decision = "allow";
        return new Response(null, { status: statuses.some((status) => status < 300) || statuses.length === 0 ? 200 : 404 });
      }
      default:
        throw new GatewayError("methodNotAllowed", "unsupported HTTP method", { headers: { allow: "GET, POST, DELETE" } });
    }

    checkPostHeaders(headers);
    const { message, version, stateless } = await readPostedMessage(c.req.raw, { maxBodyBytes, maxDepth }, (id) => c.set("rpcId", id));
    const isInitialize = message.kind === "request" && message.message.method === "initialize";
    if (isInitialize && headers.has("mcp-session-id")) throw new GatewayError("badTransport", "initialize inside a session", { detail: "initialize must not carry Mcp-Session-Id" });
    const session = stateless ? undefined : await sessionOf();
    if (!stateless && !session && !isInitialize && !version) throw new GatewayError("badTransport", "no version and no session", { detail: "MCP-Protocol-Version header is required" });
    audit.event.decision = "allow";

    if (message.kind === "response") {
      if (stateless) throw new GatewayError("badTransport", "response under the stateless revision", { detail: "the stateless revision takes requests and notifications only" });
      audit.event.method = "response";
      const routed = typeof message.message.id === "string" ? names.idIn(message.message.id) : undefined;
      if (!routed) throw new GatewayError("denied", "response to no request this server relayed", { detail: "this response answers no request the gateway relayed to you", forged: true });
      requireJoined(session, routed.origin);
      return passOn(await send(routed.origin, { method: "POST", body: { ...message.message, id: routed.name } as unknown as JsonObject, session, version }));
    }

    const { method } = message.message;
    audit.event.method = method;
    const row = methodRow(message.kind, method, stateless);
    if (!row) throw new GatewayError(stateless ? "methodNotFoundStateless" : "methodNotFound", "unknown method", { detail: "this method is not supported by the gateway" });
    const params = message.message.params ?? {};
    // 2026-07-28: Mcp-Method and Mcp-Name must say what the body says (the name a client sees, here).
    const field = row.target?.field;
    const virtualName = field !== undefined && typeof params[field] === "string" ? params[field] : undefined;
    if (stateless) checkStatelessHeaders(headers, row.target ? { method, ...(virtualName === undefined ? {} : { name: virtualName }) } : { method });

    if (message.kind === "notification") {
      // A task's status goes to the task's origin; every other notification to each origin of the session.
      const task = typeof params.taskId === "string" ? names.idIn(params.taskId) : undefined;
      const targets = task ? [task.origin] : originsOf(session);
      const body = () => ({ ...message.message, ...(task ? { params: { ...params, taskId: task.name } } : {}) }) as unknown as JsonObject;
      const responses = await Promise.all(targets.map((origin) => send(origin, { method: "POST", body: body(), session, version, ...(stateless ? { stateless: { method } } : {}) })));
      const accepted = responses.find((response) => response.status === 202 || response.status === 200);
      for (const response of responses) if (response !== accepted) await response.body?.cancel();
      return accepted ?? (responses[0] ? passOn(responses[0]) : new Response(null, { status: 202 }));
    }

    const request = message.message as JsonRpcRequest;
    const forward = (routed: Routed, params: JsonObject, name?: string) => {
      requireJoined(session, routed.origin);
      return send(routed.origin, { method: "POST", body: { ...request, params } as unknown as JsonObject, session, version, ...(stateless ? { stateless: { method, ...(name === undefined ? {} : { name }) } } : {}) });
    };
    const unknown = (what: string) => new GatewayError("invalidParams", `no ${what} of that name on server ${server}`, { detail: `no ${what} of that name on this server`, forged: true });
    /** The message's params, each field of `fields` replaced by the origin's own name. */
    const route = async (routed: Routed | undefined, what: string, replace: (own: string) => JsonObject, mcpName?: boolean) => {
      if (!routed) throw unknown(what);
      audit.event.target = routed.name.slice(0, 256);
      c.set("originName", routed.origin);
      return relayFrom(routed.origin, await forward(routed, replace(routed.name), mcpName ? routed.name : undefined));
    };

    if (row.target) {
      if (virtualName === undefined || field === undefined) throw new GatewayError("invalidParams", `${method} without a ${field}`, { detail: `"${field}" must be a non-empty string`, forged: true });
      const routed = field === "uri" ? names.uriIn(virtualName) : names.nameIn(row.target.kind as "tool" | "prompt", virtualName);
      return route(routed, row.target.kind, (own) => ({ ...params, [field]: own }), true);
    }
    if (row.governedBy === "completion") {
      const ref = isJsonObject(params.ref) ? params.ref : {};
      const routed = ref.type === "ref/prompt" && typeof ref.name === "string" ? names.nameIn("prompt", ref.name) : ref.type === "ref/resource" && typeof ref.uri === "string" ? names.uriIn(ref.uri) : undefined;
      return route(routed, ref.type === "ref/prompt" ? "prompt" : "resource template", (own) => ({ ...params, ref: { ...ref, ...(ref.type === "ref/prompt" ? { name: own } : { uri: own }) } }));
    }
    if (row.namesTask) {
      const routed = typeof params.taskId === "string" ? names.idIn(params.taskId) : undefined;
      if (!routed) throw new GatewayError("denied", "task id not issued by this server", { detail: "no such task of yours", forged: true });
      return route(routed, "task", (own) => ({ ...params, taskId: own }));
    }
    if (method === "subscriptions/listen") {
      // One listen stream cannot be split among origins: offered where the server has one origin.
      if (names.origins.length !== 1) throw new GatewayError("methodNotFoundStateless", "subscriptions/listen on a virtual server of several origins", { detail: "subscriptions/listen is offered on an origin's own endpoint" });
      const [origin] = names.origins as [string];
      const subscriptions = isJsonObject(params.notifications) && Array.isArray(params.notifications.resourceSubscriptions) ? params.notifications.resourceSubscriptions : undefined;
      const own = subscriptions?.map((uri) => (typeof uri === "string" ? (names.uriIn(uri)?.name ?? uri) : uri));
      const notifications = isJsonObject(params.notifications) ? { ...params.notifications, ...(own ? { resourceSubscriptions: own } : {}) } : params.notifications;
      return relayFrom(origin, await forward({ origin, name: "" }, { ...params, ...(notifications === undefined ? {} : { notifications }) }));
    }

    if (Object.hasOwn(LISTINGS, method)) {
      // Listings: every origin (or where the cursor says each goes on) in parallel; the late and failing are left out.
      const cursor = typeof params.cursor === "string" ? await openCursor(secret, binding, method, params.cursor) : undefined;
      // A cursor is bound to the principal, not the session: it goes on only at origins of this session.
      const targets = originsOf(session).filter((origin) => !cursor || Object.hasOwn(cursor, origin));
      const { cursor: _cursor, ...rest } = params;
      const exchanges = await Promise.all(
        targets.map((origin) =>
          exchange(origin, (signal) => send(origin, { method: "POST", body: { ...request, params: { ...rest, ...(typeof cursor?.[origin] === "string" ? { cursor: cursor[origin] } : {}) } } as unknown as JsonObject, session, version, signal, ...(stateless ? { stateless: { method } } : {}) }), request.id),
        ),
      );
      const refused = callerRefused(exchanges);
      if (refused) return refuse(refused);
      const pages: Page[] = [];
      for (const answer of exchanges) {
        if (answer.failure !== undefined || answer.response?.kind !== "response" || !("result" in answer.response.message)) {
          drop(answer.origin, answer.failure ?? "no result");
          continue;
        }
        pages.push({ origin: answer.origin, result: answer.response.message.result });
      }
      if (pages.length === 0 && targets.length > 0) return allFailed(exchanges, new GatewayError("originUnavailable", `every origin of server ${server} failed the listing`, { detail: "no origin of this server answered" }));
      // One answer of at most maxAnswerEventBytes: the origins' pages that do not fit come on the next page.
      const fitted = fitListing(method, pages, names, maxAnswerEventBytes);
      if (!fitted) throw new GatewayError("originInvalidAnswer", `${method} page of ${pages[0]!.origin} alone over ${maxAnswerEventBytes} bytes once renamed`, { detail: `this listing's first page is larger than the gateway's ${maxAnswerEventBytes}-byte answer limit` });
      const { items, dropped: duplicates, deferred } = fitted;
      if (duplicates) audit.event.listingRemoved = duplicates;
      const next: Record<string, string | null> = {};
      for (const page of pages) {
        if (deferred.includes(page)) {
          next[page.origin] = cursor?.[page.origin] ?? null;
          drop(page.origin, `on the next page: the merged listing would pass ${maxAnswerEventBytes} bytes`);
        } else if (typeof page.result.nextCursor === "string") next[page.origin] = page.result.nextCursor;
      }
      const listed = pages.filter((page) => !deferred.includes(page));
      // What else a listing result says (2026-07-28's resultType, _meta) comes from the first origin that answered.
      const { nextCursor: _next, ttlMs: _ttl, cacheScope: _scope, ...first } = pages[0]?.result ?? {};
      const result: JsonObject = { ...first, [LISTINGS[method]!.field]: items, ...mergedCacheHints(listed.map((page) => page.result)) };
      if (Object.keys(next).length) result.nextCursor = await sealCursor(secret, binding, method, next);
      return c.json({ jsonrpc: "2.0", id: request.id, result });
    }

    if (method === "initialize" || method === "server/discover") {
      const exchanges = await Promise.all(names.origins.map((origin) => exchange(origin, (signal) => send(origin, { method: "POST", body: request as unknown as JsonObject, version, signal, ...(stateless ? { stateless: { method } } : {}) }), request.id)));
      const refused = callerRefused(exchanges);
      if (refused) return refuse(refused);
      const joined: Page[] = [];
      const innerSessions: Record<string, string> = {};
      let negotiated: string | undefined;
      for (const answer of exchanges) {
        if (answer.failure !== undefined || answer.response?.kind !== "response" || !("result" in answer.response.message)) {
          drop(answer.origin, answer.failure ?? "no result");
          continue;
        }
        const result = answer.response.message.result;
        // One session speaks one revision: an origin that settled on another one stays out.
        if (method === "initialize") {
          negotiated ??= String(result.protocolVersion);
          if (result.protocolVersion !== negotiated) {
            drop(answer.origin, `negotiated protocol version ${String(result.protocolVersion).slice(0, 20)}`);
            continue;
          }
          innerSessions[answer.origin] = answer.sessionId ?? "";
        }
        joined.push({ origin: answer.origin, result });
      }
      if (joined.length === 0) {
        const first = exchanges[0];
        return allFailed(exchanges, new GatewayError(first?.status === 504 ? "originTimeout" : "originUnavailable", `no origin of server ${server} answered ${method}: ${first?.failure ?? ""}`.slice(0, 300), { detail: "no origin of this server answered" }));
      }
      const result = mergeInitialize(server, policy.version, joined);
      if (method === "server/discover") return c.json({ jsonrpc: "2.0", id: request.id, result });
      const sessionId = await wrapVirtualSession(secret, binding, { version: negotiated as VirtualSession["version"], origins: innerSessions });
      return c.json({ jsonrpc: "2.0", id: request.id, result }, 200, { "mcp-session-id": sessionId });
    }

    // ping and logging/setLevel: every origin of the session; the first that agrees answers.
    const exchanges = await Promise.all(originsOf(session).map((origin) => exchange(origin, (signal) => send(origin, { method: "POST", body: request as unknown as JsonObject, session, version, signal }), request.id)));
    const callerRefusal = callerRefused(exchanges);
    if (callerRefusal) return refuse(callerRefusal);
    const agreed = exchanges.find((answer) => answer.failure === undefined && answer.response);
    for (const answer of exchanges) if (answer !== agreed && answer.failure !== undefined) drop(answer.origin, answer.failure);
    if (agreed) return c.json(agreed.response!.message);
    const refused = exchanges.find((answer) => answer.response);
    if (refused) return c.json(refused.response!.message);
    return allFailed(exchanges, new GatewayError("originUnavailable", `no origin of server ${server} answered ${method}`, { detail: "no origin of this server answered" }));
  });
}
