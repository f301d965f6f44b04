// The one method table: every kind of message a client may send the gateway — requests by method,
// notifications, responses to server-to-client requests, the GET stream and DELETE — with the protocol
// eras it exists in, the target a policy rule must allow (and the params field that names it), the
// listing field the answer is filtered by, and how policy governs it. A message without a row is
// refused; every message with one passes a policy decision and the rate limiter; every later stage
// reads its row instead of keeping a list of its own. Pure.

import type { TargetKind } from "../policy/types.js";

export type MessageKind = "request" | "notification" | "response" | "stream" | "endSession";

/**
 * How policy governs a message:
 * - `target`: a rule must allow the named tool, prompt or resource (arguments checked for tools and prompts);
 * - `completion`: allowed where the caller may use the prompt or resource template it completes;
 * - `listing`: allowed, and the answer keeps only the items the caller may see;
 * - `method`: a rule must allow the method itself (`methods:` in policy);
 * - `subscription`: 2026-07-28's `subscriptions/listen`: a `methods:` rule for it, and a resource rule for
 *   every URI in its `resourceSubscriptions`;
 * - `lifecycle`: the protocol's own plumbing, allowed to every caller admitted to the endpoint;
 * - `relayedRequest`: a client's answer, allowed only to a server-to-client request the gateway relayed
 *   to this caller in this session under a policy that allowed it (its sealed id proves that).
 */
export type Governance = "target" | "completion" | "listing" | "method" | "subscription" | "lifecycle" | "relayedRequest";

export type MethodRow = {
  kind: MessageKind;
  /** Exists in the session revisions (2025-03-26 … 2025-11-25) and/or the stateless 2026-07-28. */
  eras: { sessions: boolean; stateless: boolean };
  /** The named thing a rule of this kind must allow, and the params field (a non-empty string) naming it. */
  target?: { kind: TargetKind; field: "name" | "uri"; arguments: boolean };
  /** A listing: the result field whose items are filtered, their target kind and the field naming each. */
  listing?: { field: string; kind: TargetKind; key: "name" | "uri" | "uriTemplate" };
  governedBy: Governance;
  /** Names a task by `params.taskId`: a task id the gateway sealed for this caller (mcp/relayed.ts). */
  namesTask?: true;
};

const both = { sessions: true, stateless: true };
const sessionsOnly = { sessions: true, stateless: false };
const statelessOnly = { sessions: false, stateless: true };

const request = (eras: MethodRow["eras"], governedBy: Governance): MethodRow => ({ kind: "request", eras, governedBy });
const named = (eras: MethodRow["eras"], kind: TargetKind, field: "name" | "uri", args: boolean): MethodRow => ({
  ...request(eras, "target"),
  target: { kind, field, arguments: args },
});
const listing = (field: string, kind: TargetKind, key: "name" | "uri" | "uriTemplate"): MethodRow => ({
  ...request(both, "listing"),
  listing: { field, kind, key },
});
const notification = (governedBy: Governance): MethodRow => ({ kind: "notification", eras: both, governedBy });

/** Client requests and notifications by method. */
export const METHODS: Readonly<Record<string, MethodRow>> = {
  initialize: request(sessionsOnly, "lifecycle"),
  "server/discover": request(statelessOnly, "lifecycle"),
  "subscriptions/listen": request(statelessOnly, "subscription"),
  ping: request(sessionsOnly, "method"),
  "tools/list": listing("tools", "tool", "name"),
  "tools/call": named(both, "tool", "name", true),
  "resources/list": listing("resources", "resource", "uri"),
  "resources/templates/list": listing("resourceTemplates", "resource", "uriTemplate"),
  "resources/read": named(both, "resource", "uri", false),
  "resources/subscribe": named(sessionsOnly, "resource", "uri", false),
  "resources/unsubscribe": named(sessionsOnly, "resource", "uri", false),
  "prompts/list": listing("prompts", "prompt", "name"),
  "prompts/get": named(both, "prompt", "name", true),
  "completion/complete": request(both, "completion"),
  "logging/setLevel": request(sessionsOnly, "method"),
  // Tasks: the session revisions' methods, and the 2026-07-28 tasks extension (io.modelcontextprotocol/tasks),
  // which drops tasks/result and tasks/list (a task's result comes inlined in tasks/get) and adds tasks/update.
  "tasks/get": { ...request(both, "method"), namesTask: true },
  "tasks/list": request(sessionsOnly, "method"),
  "tasks/result": { ...request(sessionsOnly, "method"), namesTask: true },
  "tasks/cancel": { ...request(both, "method"), namesTask: true },
  "tasks/update": { ...request(statelessOnly, "method"), namesTask: true },
  "notifications/initialized": notification("lifecycle"),
  "notifications/cancelled": notification("lifecycle"),
  "notifications/progress": notification("lifecycle"),
  "notifications/roots/list_changed": notification("method"),
  "notifications/tasks/status": notification("method"),
};

/** The messages that are not a method call: a client's JSON-RPC response, the GET stream, DELETE. */
export const OTHER_MESSAGES: Readonly<Record<"response" | "GET stream" | "DELETE session", MethodRow>> = {
  response: { kind: "response", eras: sessionsOnly, governedBy: "relayedRequest" },
  "GET stream": { kind: "stream", eras: sessionsOnly, governedBy: "lifecycle" },
  "DELETE session": { kind: "endSession", eras: sessionsOnly, governedBy: "lifecycle" },
};

/** The row of a client request or notification in this era, or undefined when it has none. */
export function methodRow(kind: "request" | "notification", method: string, stateless: boolean): MethodRow | undefined {
  const row = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  if (!row || row.kind !== kind) return undefined;
  return (stateless ? row.eras.stateless : row.eras.sessions) ? row : undefined;
}
