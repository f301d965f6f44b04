// What the gateway gives a client in place of an origin's own identifiers, so that a client can only
// echo back what it was given, in its own session: the ids of server-to-client requests the gateway
// relayed (with their method and when they were relayed), SSE event ids (with the rule whose scrub
// settings governed the stream they came from), task ids (with the rule that allowed the call that
// created the task) and 2026-07-28's `requestState` of an input-required result (with the input the
// origin asked for, so an answer can only answer that). All are sealed (sealed.ts) to the origin, the
// principal and the origin session.

import { seal, unseal, type Sealing } from "../sealed.js";
import type { JsonRpcId } from "./jsonrpc.js";

/** How long a relayed request may wait for its answer (an elicitation waits on a person). */
export const REPLY_WINDOW_S = 3600;

export type EchoBinding = { origin: string; principal: string; originSession: string | undefined };
export type RelayedRequest = { method: string; id: JsonRpcId };
/** An origin's identifier and the rule that governs what it leads to (null: the origin's defaults). */
export type Echoed = { originId: string; rule: string | null };
/** An input-required result's state: the origin's own `requestState` (if any) and the input asked for, by key and method. */
export type InputState = { originState: string | null; asked: Record<string, string> };

const bound = (binding: EchoBinding) => [binding.origin, binding.principal, binding.originSession ?? ""];
const isId = (value: unknown): value is JsonRpcId => typeof value === "string" || Number.isSafeInteger(value);

export class EchoSeals {
  private readonly relayed: Sealing;
  private readonly events: Sealing;
  private readonly tasks: Sealing;
  private readonly inputs: Sealing;

  constructor(secret: string) {
    this.inputs = { secret, purpose: "request-state", prefix: "mcpw-s1." };
    this.relayed = { secret, purpose: "relayed-request", prefix: "mcpw-r2." };
    this.events = { secret, purpose: "event-id", prefix: "mcpw-e1." };
    this.tasks = { secret, purpose: "task-id", prefix: "mcpw-t1." };
  }

  sealRequest(binding: EchoBinding, request: RelayedRequest, nowSeconds: number): Promise<string> {
    return seal(this.relayed, bound(binding), [request.method, request.id, nowSeconds]);
  }

  /** The relayed request a client's response id names, or undefined when it is not one sealed for this binding, or too old. */
  async openRequest(binding: EchoBinding, id: JsonRpcId | null, nowSeconds: number): Promise<RelayedRequest | undefined> {
    if (typeof id !== "string") return undefined;
    const value = await unseal(this.relayed, bound(binding), id);
    if (!Array.isArray(value) || value.length !== 3) return undefined;
    const [method, originalId, issued] = value as unknown[];
    if (typeof method !== "string" || !isId(originalId) || typeof issued !== "number") return undefined;
    if (nowSeconds < issued || nowSeconds - issued > REPLY_WINDOW_S) return undefined;
    return { method, id: originalId };
  }

  sealEventId(binding: EchoBinding, echoed: Echoed): Promise<string> {
    return seal(this.events, bound(binding), [echoed.originId, echoed.rule]);
  }

  openEventId(binding: EchoBinding, text: string): Promise<Echoed | undefined> {
    return this.open(this.events, binding, text);
  }

  sealTaskId(binding: EchoBinding, echoed: Echoed): Promise<string> {
    return seal(this.tasks, bound(binding), [echoed.originId, echoed.rule]);
  }

  openTaskId(binding: EchoBinding, text: string): Promise<Echoed | undefined> {
    return this.open(this.tasks, binding, text);
  }

  /** `call` names the request retried (method and target): the state opens for that request only. */
  sealInputState(binding: EchoBinding, call: string, state: InputState, nowSeconds: number): Promise<string> {
    return seal(this.inputs, [...bound(binding), call], [state.originState, state.asked, nowSeconds]);
  }

  /** The state of an input-required result sealed for this binding within REPLY_WINDOW_S, or undefined. */
  async openInputState(binding: EchoBinding, call: string, text: string, nowSeconds: number): Promise<InputState | undefined> {
    const value = await unseal(this.inputs, [...bound(binding), call], text, 64 * 1024);
    if (!Array.isArray(value) || value.length !== 3) return undefined;
    const [originState, asked, issued] = value as unknown[];
    if (!(originState === null || typeof originState === "string") || typeof asked !== "object" || asked === null || Array.isArray(asked) || typeof issued !== "number") return undefined;
    if (!Object.values(asked).every((method) => typeof method === "string")) return undefined;
    if (nowSeconds < issued || nowSeconds - issued > REPLY_WINDOW_S) return undefined;
    return { originState, asked: asked as Record<string, string> };
  }

  private async open(sealing: Sealing, binding: EchoBinding, text: string): Promise<Echoed | undefined> {
    const value = await unseal(sealing, bound(binding), text);
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [originId, rule] = value as unknown[];
    if (typeof originId !== "string" || !(rule === null || typeof rule === "string")) return undefined;
    return { originId, rule };
  }
}

const seals = new Map<string, EchoSeals>();

/** The seals for one secret, made once per isolate. */
export function echoSeals(secret: string): EchoSeals {
  let found = seals.get(secret);
  if (!found) seals.set(secret, (found = new EchoSeals(secret)));
  return found;
}
