// The transport stage, in two middlewares. `mcpEndpoint` runs first: the endpoint names an origin of
// the policy and a browser page's Origin is allowed. `mcpMessage` runs once the caller is known (an
// unauthenticated caller never makes the gateway read a body): HTTP headers, the body read up to its
// limit and parsed strictly, the JSON-RPC shape, the method table's row, the protocol revision, the
// session, and for a client's response the relayed request it answers. It puts one `Incoming` on the
// context, which every later stage reads.

import { createMiddleware } from "hono/factory";
import type { Principal } from "../auth/authenticate.js";
import { gatewaySecrets, type Env } from "../config.js";
import { GatewayError } from "../errors.js";
import type { CompiledOrigin, CompiledPolicy, TargetKind } from "../policy/types.js";
import { readBody } from "./body.js";
import { JsonSyntaxError, isJsonObject, parseJsonBytes, type Json, type JsonObject } from "./json.js";
import { classify, salvageId, targetOf, type JsonRpcId, type JsonRpcMessage, type JsonRpcResponse } from "./jsonrpc.js";
import { OTHER_MESSAGES, methodRow, type MethodRow } from "./methods.js";
import { echoSeals, type EchoSeals, type Echoed, type EchoBinding, type RelayedRequest } from "./relayed.js";
import { unwrapSession, type Session } from "./session.js";
import {
  STATELESS_VERSION,
  checkGetHeaders,
  checkOrigin,
  checkPostHeaders,
  checkStatelessHeaders,
  headerVersion,
  type ProtocolVersion,
} from "./transport.js";

/** One message from the client, as every later stage sees it. */
export type Incoming = {
  row: MethodRow;
  /** The JSON-RPC method, or `response`, `GET stream`, `DELETE session`. */
  method: string;
  /** The parsed, checked message of a POST: exactly what is forwarded, re-serialized. */
  message?: JsonRpcMessage;
  /** The tool or prompt name, or resource URI, the message acts on, and which of them it is. */
  target?: string;
  targetKind?: TargetKind;
  /** The id of a request, which its answer must settle. */
  requestId?: JsonRpcId;
  /** The revision the message is spoken in: its header, or the session's. */
  version?: ProtocolVersion;
  stateless: boolean;
  session?: Session;
  lastEventId?: string;
  /** For a client's response: the server-to-client request it answers, when the gateway relayed it to this caller. */
  relayed?: RelayedRequest;
  /** For a message naming a task: the task the sealed id names, or null when the id is not one sealed for this caller. */
  task?: Echoed | null;
  /** A GET stream resumed after an event the gateway sealed: the rule that governed the stream it resumes. */
  resumeRule?: string | null;
  /** `inputResponses` sent without a `requestState`: answers the gateway cannot tie to a question it relayed. */
  unverifiedInput?: true;
  /** subscriptions/listen: the resources whose updates it asks for. */
  subscribedResources?: string[];
  /** A tools/call the client wants run as a task (`params.task`). */
  taskAugmented?: true;
};

export type EndpointVariables = { originName: string; origin: CompiledOrigin };
export type McpVariables = EndpointVariables & { rpcId: JsonRpcId | null; incoming: Incoming };

type Options = { policy: CompiledPolicy };

export function mcpEndpoint({ policy }: Options) {
  const { allowedOrigins } = policy.gateway;
  return createMiddleware<{ Bindings: Env; Variables: EndpointVariables }>(async (c, next) => {
    const name = c.req.param("origin") ?? "";
    if (!Object.hasOwn(policy.origins, name)) throw new GatewayError("unknownEndpoint", "no origin of that name");
    checkOrigin(c.req.raw.headers, allowedOrigins, new URL(c.req.url));
    c.set("originName", name);
    c.set("origin", policy.origins[name]!);
    await next();
  });
}

/** What an input-required result's state is bound to: the request it answered, by method and target. */
export const retriedCall = (incoming: Pick<Incoming, "method" | "target">) => `${incoming.method}\n${incoming.target ?? ""}`;

/** A message that names its revision in `_meta`, as 2026-07-28 requests do: its refusals list that revision's versions. */
export function speaksStateless(value: Json): boolean {
  const meta = isJsonObject(value) && isJsonObject(value.params) ? value.params._meta : undefined;
  return isJsonObject(meta) && Object.hasOwn(meta, "io.modelcontextprotocol/protocolVersion");
}

/**
 * A POSTed message: its body read within `maxBodyBytes`, parsed strictly, its revision read from the
 * headers and the message classified. The body is read before the revision is checked, so that even that
 * refusal carries the request's id: `onRpcId` hears the salvaged id first, then the request's own (only a
 * request is answered: an error about any other message carries no id). Origin and virtual endpoints alike.
 */
export async function readPostedMessage(
  request: Request,
  limits: { maxBodyBytes: number; maxDepth: number },
  onRpcId: (id: JsonRpcId | null) => void,
): Promise<{ message: JsonRpcMessage; version: ReturnType<typeof headerVersion>; stateless: boolean }> {
  let value;
  try {
    value = parseJsonBytes(await readBody(request, limits.maxBodyBytes), limits.maxDepth);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new GatewayError("parse", error.message, { detail: error.reason });
    throw error;
  }
  onRpcId(salvageId(value));
  const version = headerVersion(request.headers, speaksStateless(value));
  const message = classify(value);
  onRpcId(message.kind === "request" ? message.message.id : null);
  return { message, version, stateless: version === STATELESS_VERSION };
}

/**
 * A request that retries an input-required result (2026-07-28). A `requestState` must be one the
 * gateway sealed for this caller (and session): a forged, altered or foreign one is refused, as the
 * revision requires of state that fails its integrity check. The origin gets its own state back, and
 * of the `inputResponses` only those answering input asked in that result (others are ignored, as
 * unrecognized information). Answers sent without any state cannot be tied to a question: they are
 * marked, and policy decides (only a caller that may be asked every kind of input may send them).
 */
async function openInputAnswers(incoming: Incoming, seals: EchoSeals, binding: EchoBinding): Promise<void> {
  const request = incoming.message as Extract<JsonRpcMessage, { kind: "request" }>;
  const params = request.message.params;
  if (!params || !(Object.hasOwn(params, "requestState") || Object.hasOwn(params, "inputResponses"))) return;
  if (!Object.hasOwn(params, "requestState")) {
    incoming.unverifiedInput = true;
    return;
  }
  const state = typeof params.requestState === "string" ? await seals.openInputState(binding, retriedCall(incoming), params.requestState, Math.floor(Date.now() / 1000)) : undefined;
  if (!state) throw new GatewayError("invalidParams", "requestState not sealed for this caller", { detail: "requestState must be the one this gateway gave you, unchanged", forged: true });
  const { requestState: _sealed, inputResponses: answers, ...rest } = params;
  const kept: JsonObject = {};
  if (isJsonObject(answers)) {
    for (const [key, answer] of Object.entries(answers)) if (Object.hasOwn(state.asked, key)) kept[key] = answer;
  }
  const forwarded: JsonObject = { ...rest };
  if (state.originState !== null) forwarded.requestState = state.originState;
  if (Object.keys(kept).length) forwarded.inputResponses = kept;
  incoming.message = { kind: "request", message: { ...request.message, params: forwarded } };
}

export function mcpMessage({ policy }: Options) {
  const { maxBodyBytes, maxDepth } = policy.gateway;

  async function requireSession(c: { env: Env; get<K extends "originName" | "principal">(key: K): (EndpointVariables & { principal: Principal })[K] }, headers: Headers): Promise<Session> {
    const clientId = headers.get("mcp-session-id");
    if (clientId === null) throw new GatewayError("badTransport", "no session id", { detail: "Mcp-Session-Id header is required" });
    return unwrapSession(gatewaySecrets(c.env).sessionSecret, { origin: c.get("originName"), principal: c.get("principal").id }, clientId);
  }

  return createMiddleware<{ Bindings: Env; Variables: McpVariables & { principal: Principal } }>(async (c, next) => {
    const headers = c.req.raw.headers;
    switch (c.req.method) {
      case "POST": {
        checkPostHeaders(headers);
        const { message, version, stateless } = await readPostedMessage(c.req.raw, { maxBodyBytes, maxDepth }, (id) => c.set("rpcId", id));
        let incoming: Incoming;
        if (message.kind === "response") {
          if (stateless) throw new GatewayError("badTransport", "response under the stateless revision", { detail: "the stateless revision takes requests and notifications only" });
          incoming = { row: OTHER_MESSAGES.response, method: "response", message, stateless };
          c.set("incoming", incoming);
        } else {
          const { method } = message.message;
          const row = methodRow(message.kind, method, stateless);
          if (!row) throw new GatewayError(stateless ? "methodNotFoundStateless" : "methodNotFound", "unknown method", { detail: "this method is not supported by the gateway" });
          const target = message.kind === "request" ? targetOf(message.message, row) : { method };
          incoming = { row, method, message, stateless };
          if (target.name !== undefined) incoming.target = target.name;
          if (target.kind !== undefined) incoming.targetKind = target.kind;
          if (target.resources) incoming.subscribedResources = target.resources;
          if (message.kind === "request") incoming.requestId = message.message.id;
          c.set("incoming", incoming);
          // Mcp-Name carries the name of tools/call and prompts/get and the URI of resources/read only.
          if (stateless) checkStatelessHeaders(headers, row.target ? target : { method });

        }
        // Which session this message belongs to: the stateless revision has none; initialize opens one.
        const isInitialize = incoming.method === "initialize";
        if (!stateless && headers.has("mcp-session-id")) {
          if (isInitialize) throw new GatewayError("badTransport", "initialize inside a session", { detail: "initialize must not carry Mcp-Session-Id" });
          incoming.session = await requireSession(c, headers);
        } else if (!stateless && !isInitialize && !version) {
          throw new GatewayError("badTransport", "no version and no session", { detail: "MCP-Protocol-Version header is required" });
        }
        const effective = version ?? incoming.session?.version;
        if (effective) incoming.version = effective;
        const binding: EchoBinding = { origin: c.get("originName"), principal: c.get("principal").id, originSession: incoming.session?.originSessionId };
        const seals = echoSeals(gatewaySecrets(c.env).sessionSecret);
        if (message.kind === "response") {
          // A response is forwarded only as the answer to a request the gateway relayed to this caller in this session.
          const relayed = await seals.openRequest(binding, message.message.id, Math.floor(Date.now() / 1000));
          if (relayed) {
            incoming.relayed = relayed;
            incoming.message = { kind: "response", message: { ...message.message, id: relayed.id } as JsonRpcResponse };
          }
        } else if (message.kind === "request" && incoming.row.namesTask) {
          // A task is reached only through the id the gateway sealed for this caller; the origin gets its own id back.
          const taskId = message.message.params?.taskId;
          const task = typeof taskId === "string" ? await seals.openTaskId(binding, taskId) : undefined;
          incoming.task = task ?? null;
          if (task) incoming.message = { kind: "request", message: { ...message.message, params: { ...message.message.params, taskId: task.originId } } };
        } else if (message.kind === "request" && incoming.method === "tools/call" && !stateless && message.message.params?.task !== undefined) {
          incoming.taskAugmented = true;
        }
        if (incoming.message?.kind === "request") await openInputAnswers(incoming, seals, binding);
        break;
      }
      case "GET": {
        checkGetHeaders(headers);
        const version = headerVersion(headers);
        if (version === STATELESS_VERSION) throw new GatewayError("methodNotAllowed", "GET under the stateless revision");
        // An origin without sessions gives the client none; its server-to-client stream is then not offered.
        if (!headers.has("mcp-session-id")) throw new GatewayError("methodNotAllowed", "GET stream without a session", { headers: { allow: "POST, DELETE" } });
        const session = await requireSession(c, headers);
        const incoming: Incoming = { row: OTHER_MESSAGES["GET stream"], method: "GET stream", stateless: false, session, version: version ?? session.version };
        const lastEventId = headers.get("last-event-id");
        if (lastEventId !== null) {
          // Resumption only from an event the gateway sealed for this caller and session; the origin gets its own id.
          const binding = { origin: c.get("originName"), principal: c.get("principal").id, originSession: session.originSessionId };
          const resumed = await echoSeals(gatewaySecrets(c.env).sessionSecret).openEventId(binding, lastEventId);
          if (!resumed) throw new GatewayError("badTransport", "last-event-id not issued to this caller in this session", { detail: "Last-Event-ID must be an event id this gateway sent you in this session", forged: true });
          incoming.lastEventId = resumed.originId;
          incoming.resumeRule = resumed.rule;
        }
        c.set("incoming", incoming);
        break;
      }
      case "DELETE": {
        if (headerVersion(headers) === STATELESS_VERSION) throw new GatewayError("methodNotAllowed", "DELETE under the stateless revision");
        const session = await requireSession(c, headers);
        c.set("incoming", { row: OTHER_MESSAGES["DELETE session"], method: "DELETE session", stateless: false, session, version: session.version });
        break;
      }
      default:
        throw new GatewayError("methodNotAllowed", "unsupported HTTP method", { headers: { allow: "GET, POST, DELETE" } });
    }
    await next();
  });
}
