// The one method table: every kind of message a client may send the gateway — requests by method,
// notifications, responses to server-to-client requests, the GET stream and DELETE — with the protocol
// eras it exists in, the target a policy rule must allow (and the params field that names it), the
// listing field the answer is filtered by, and how policy governs it. A message without a row is
// refused; every later stage reads its row instead of keeping a list of its own. Pure.

import type { TargetKind } from "../policy/types.js";

export type MessageKind = "request" | "notification" | "response" | "stream" | "endSession";

export type MethodRow = {
  kind: MessageKind;
  /** Exists in the session revisions (2025-03-26 … 2025-11-25) and/or the stateless 2026-07-28. */
  eras: { sessions: boolean; stateless: boolean };
  /** The named thing a rule of this kind must allow, and the params field (a non-empty string) naming it. */
  target?: { kind: TargetKind; field: "name" | "uri"; arguments: boolean };
  /** A listing: the result field whose items are filtered, their target kind and the field naming each. */
  listing?: { field: string; kind: TargetKind; key: "name" | "uri" | "uriTemplate" };
  /** How policy governs it: a rule allowing its target, a filtered listing, or admission to the endpoint. */
  governedBy: "target" | "listing" | "endpoint";
  /** Whether its rate limits are checked before it is forwarded. */
  metered: boolean;
};

const both = { sessions: true, stateless: true };
const sessionsOnly = { sessions: true, stateless: false };
const statelessOnly = { sessions: false, stateless: true };

const request = (eras: MethodRow["eras"]): MethodRow => ({ kind: "request", eras, governedBy: "endpoint", metered: true });
const named = (eras: MethodRow["eras"], kind: TargetKind, field: "name" | "uri", args: boolean): MethodRow => ({
  ...request(eras),
  target: { kind, field, arguments: args },
  governedBy: "target",
});
const listing = (field: string, kind: TargetKind, key: "name" | "uri" | "uriTemplate"): MethodRow => ({
  ...request(both),
  listing: { field, kind, key },
  governedBy: "listing",
});
const notification: MethodRow = { kind: "notification", eras: both, governedBy: "endpoint", metered: false };

/** Client requests and notifications by method. */
export const METHODS: Readonly<Record<string, MethodRow>> = {
  initialize: request(sessionsOnly),
  ping: request(both),
  "tools/list": listing("tools", "tool", "name"),
  "tools/call": named(both, "tool", "name", true),
  "resources/list": listing("resources", "resource", "uri"),
  "resources/templates/list": listing("resourceTemplates", "resource", "uriTemplate"),
  "resources/read": named(both, "resource", "uri", false),
  "resources/subscribe": named(sessionsOnly, "resource", "uri", false),
  "resources/unsubscribe": named(sessionsOnly, "resource", "uri", false),
  "prompts/list": listing("prompts", "prompt", "name"),
  "prompts/get": named(both, "prompt", "name", true),
  "completion/complete": request(both),
  "logging/setLevel": request(sessionsOnly),
  "tasks/get": request(sessionsOnly),
  "tasks/list": request(sessionsOnly),
  "tasks/result": request(sessionsOnly),
  "tasks/cancel": request(sessionsOnly),
  "server/discover": request(statelessOnly),
  "notifications/initialized": notification,
  "notifications/cancelled": notification,
  "notifications/progress": notification,
  "notifications/roots/list_changed": notification,
  "notifications/tasks/status": notification,
};

/** The messages that are not a method call: a client's JSON-RPC response, the GET stream, DELETE. */
export const OTHER_MESSAGES: Readonly<Record<"response" | "GET stream" | "DELETE session", MethodRow>> = {
  response: { kind: "response", eras: sessionsOnly, governedBy: "endpoint", metered: false },
  "GET stream": { kind: "stream", eras: sessionsOnly, governedBy: "endpoint", metered: false },
  "DELETE session": { kind: "endSession", eras: sessionsOnly, governedBy: "endpoint", metered: false },
};

/** The row of a client request or notification in this era, or undefined when it has none. */
export function methodRow(kind: "request" | "notification", method: string, stateless: boolean): MethodRow | undefined {
  const row = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  if (!row || row.kind !== kind) return undefined;
  return (stateless ? row.eras.stateless : row.eras.sessions) ? row : undefined;
}
