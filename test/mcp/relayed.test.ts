// The ids the gateway gives clients in place of an origin's (src/mcp/relayed.ts): relayed
// server-to-client request ids (method, original id, issue time, a reply window), SSE event ids and
// task ids (origin id and governing rule). Each opens only for its purpose and its binding (origin,
// principal, origin session), and only when its content has the expected shape.

import { describe, expect, it } from "vitest";
import { EchoSeals, REPLY_WINDOW_S, echoSeals, type EchoBinding } from "../../src/mcp/relayed.js";
import { seal } from "../../src/sealed.js";

const secret = "r".repeat(32);
/** A fresh instance per use (built inside the test, so mutation testing sees the constructor covered). */
const seals = {
  sealRequest: (...args: Parameters<EchoSeals["sealRequest"]>) => new EchoSeals(secret).sealRequest(...args),
  openRequest: (...args: Parameters<EchoSeals["openRequest"]>) => new EchoSeals(secret).openRequest(...args),
  sealEventId: (...args: Parameters<EchoSeals["sealEventId"]>) => new EchoSeals(secret).sealEventId(...args),
  openEventId: (...args: Parameters<EchoSeals["openEventId"]>) => new EchoSeals(secret).openEventId(...args),
  sealTaskId: (...args: Parameters<EchoSeals["sealTaskId"]>) => new EchoSeals(secret).sealTaskId(...args),
  openTaskId: (...args: Parameters<EchoSeals["openTaskId"]>) => new EchoSeals(secret).openTaskId(...args),
};
const binding: EchoBinding = { origin: "o", principal: "alice", originSession: "s1" };
const now = 1_800_000_000;

describe("relayed request ids", () => {
  it("open to the method and the origin's id within the reply window", async () => {
    for (const original of ["req-7", 7, 0]) {
      const id = await seals.sealRequest(binding, { method: "sampling/createMessage", id: original }, now);
      expect(id.startsWith("mcpw-r2.")).toBe(true);
      expect(await seals.openRequest(binding, id, now)).toEqual({ method: "sampling/createMessage", id: original });
      expect(await seals.openRequest(binding, id, now + REPLY_WINDOW_S)).toEqual({ method: "sampling/createMessage", id: original });
    }
    expect(REPLY_WINDOW_S).toBe(3600);
  });

  it("do not open too late, before they were issued, or for another binding", async () => {
    const id = await seals.sealRequest(binding, { method: "roots/list", id: 1 }, now);
    expect(await seals.openRequest(binding, id, now + REPLY_WINDOW_S + 1)).toBeUndefined();
    expect(await seals.openRequest(binding, id, now - 1)).toBeUndefined();
    expect(await seals.openRequest({ ...binding, principal: "bob" }, id, now)).toBeUndefined();
    expect(await seals.openRequest({ ...binding, origin: "p" }, id, now)).toBeUndefined();
    expect(await seals.openRequest({ ...binding, originSession: "s2" }, id, now)).toBeUndefined();
    expect(await seals.openRequest({ ...binding, originSession: undefined }, id, now)).toBeUndefined();
    expect(await echoSeals("q".repeat(32)).openRequest(binding, id, now)).toBeUndefined();
  });

  it("bind a session-less caller to the empty session", async () => {
    const none = { ...binding, originSession: undefined };
    const id = await seals.sealRequest(none, { method: "roots/list", id: 1 }, now);
    expect(await seals.openRequest(none, id, now)).toEqual({ method: "roots/list", id: 1 });
    expect(await seals.openRequest({ ...binding, originSession: "" }, id, now)).toEqual({ method: "roots/list", id: 1 });
    expect(await seals.openRequest(binding, id, now)).toBeUndefined();
  });

  it("refuse ids that are no sealed string: numbers, null, other purposes' ids", async () => {
    expect(await seals.openRequest(binding, 5, now)).toBeUndefined();
    expect(await seals.openRequest(binding, null, now)).toBeUndefined();
    expect(await seals.openRequest(binding, "req-7", now)).toBeUndefined();
    const eventId = await seals.sealEventId(binding, { originId: "e1", rule: null });
    expect(await seals.openRequest(binding, eventId, now)).toBeUndefined();
  });

  it("refuse a sealed value of the wrong shape", async () => {
    const relayed = { secret, purpose: "relayed-request", prefix: "mcpw-r2." };
    const bound = ["o", "alice", "s1"];
    for (const value of [
      ["m", 1],
      ["m", 1, now, "extra"],
      { method: "m", id: 1, issued: now },
      [1, 1, now],
      ["m", 1.5, now],
      ["m", null, now],
      ["m", { id: 1 }, now],
      ["m", 1, String(now)],
    ]) {
      expect({ value, opened: await seals.openRequest(binding, await seal(relayed, bound, value), now) }).toEqual({ value, opened: undefined });
    }
    expect(await seals.openRequest(binding, await seal(relayed, bound, ["m", "x", now]), now)).toEqual({ method: "m", id: "x" });
  });
});

describe("event and task ids", () => {
  it("open to the origin's id and the governing rule, each only for its purpose and binding", async () => {
    const event = await seals.sealEventId(binding, { originId: "ev-1", rule: "r1" });
    const task = await seals.sealTaskId(binding, { originId: "task-1", rule: null });
    expect(event.startsWith("mcpw-e1.")).toBe(true);
    expect(task.startsWith("mcpw-t1.")).toBe(true);
    expect(await seals.openEventId(binding, event)).toEqual({ originId: "ev-1", rule: "r1" });
    expect(await seals.openTaskId(binding, task)).toEqual({ originId: "task-1", rule: null });
    expect(await seals.openTaskId(binding, event)).toBeUndefined();
    expect(await seals.openEventId(binding, task)).toBeUndefined();
    expect(await seals.openEventId({ ...binding, principal: "bob" }, event)).toBeUndefined();
    expect(await seals.openTaskId({ ...binding, originSession: "s2" }, task)).toBeUndefined();
  });

  it("refuse a sealed value of the wrong shape", async () => {
    const tasks = { secret, purpose: "task-id", prefix: "mcpw-t1." };
    const bound = ["o", "alice", "s1"];
    for (const value of [["t"], ["t", null, "extra"], { originId: "t", rule: null }, [1, null], ["t", 1], ["t", false]]) {
      expect({ value, opened: await seals.openTaskId(binding, await seal(tasks, bound, value)) }).toEqual({ value, opened: undefined });
    }
    expect(await seals.openTaskId(binding, await seal(tasks, bound, ["t", "rule"]))).toEqual({ originId: "t", rule: "rule" });
  });

  it("are made once per secret", () => {
    expect(echoSeals(secret)).toBe(echoSeals(secret));
    expect(echoSeals("other".repeat(8))).not.toBe(echoSeals(secret));
  });
});

describe("input-required request states (2026-07-28)", () => {
  const sealState = (...args: Parameters<EchoSeals["sealInputState"]>) => new EchoSeals(secret).sealInputState(...args);
  const openState = (...args: Parameters<EchoSeals["openInputState"]>) => new EchoSeals(secret).openInputState(...args);
  const call = "tools/call deploy";
  const state = { originState: "origin-opaque", asked: { confirm: "elicitation/create" } };

  it("open to the origin's state and what was asked, for the same binding and call, within the reply window", async () => {
    const text = await sealState(binding, call, state, now);
    expect(text.startsWith("mcpw-s1.")).toBe(true);
    expect(await openState(binding, call, text, now)).toEqual(state);
    expect(await openState(binding, call, text, now + REPLY_WINDOW_S)).toEqual(state);
    expect(await openState(binding, call, await sealState(binding, call, { originState: null, asked: {} }, now), now)).toEqual({ originState: null, asked: {} });
  });

  it("do not open too late, before they were issued, for another binding or another call, or as another purpose's id", async () => {
    const text = await sealState(binding, call, state, now);
    expect(await openState(binding, call, text, now + REPLY_WINDOW_S + 1)).toBeUndefined();
    expect(await openState(binding, call, text, now - 1)).toBeUndefined();
    expect(await openState({ ...binding, principal: "bob" }, call, text, now)).toBeUndefined();
    expect(await openState({ ...binding, originSession: "s2" }, call, text, now)).toBeUndefined();
    expect(await openState(binding, "tools/call other", text, now)).toBeUndefined();
    const taskId = await seals.sealTaskId(binding, { originId: "t", rule: null });
    expect(await openState(binding, call, taskId, now)).toBeUndefined();
  });

  it("refuse a sealed value of the wrong shape", async () => {
    const inputs = { secret, purpose: "request-state", prefix: "mcpw-s1." };
    const bound = ["o", "alice", "s1", call];
    for (const value of [
      ["s", {}],
      ["s", {}, now, "extra"],
      { originState: "s", asked: {}, issued: now },
      [1, {}, now],
      ["s", null, now],
      ["s", [], now],
      ["s", "asked", now],
      ["s", { a: 1 }, now],
      ["s", {}, String(now)],
    ]) {
      expect({ value, opened: await openState(binding, call, await seal(inputs, bound, value), now) }).toEqual({ value, opened: undefined });
    }
    expect(await openState(binding, call, await seal(inputs, bound, [null, { a: "sampling/createMessage" }, now]), now)).toEqual({ originState: null, asked: { a: "sampling/createMessage" } });
  });
});
