// Anomaly detection on tool use, counted inside the limiter's one round trip: per principal × tool,
// calls per UTC hour kept for the watch's baseline hours, and the last time the principal used the
// tool. From what the store answers, `anomalyFindings` (pure) finds a spike over the principal's own
// baseline, a passed ceiling, or a first use. Both stores run the same counting: the Lua script below
// in Upstash Redis, `countUsage` in the embedded Durable Object.

import type { CompiledAnomalyWatch, AnomalyAction } from "../policy/types.js";

const HOUR_MS = 3_600_000;
/** A tool not used for this long is new again. */
export const FIRST_USE_HORIZON_MS = 90 * 24 * HOUR_MS;

/** What the store counts for one allowed tool call. */
export type UsageCount = {
  /** Hourly counts of this principal × origin × tool. */
  counts: string;
  /** When this principal last used each of its tools. */
  seen: string;
  /** The tool in `seen`: origin and tool name. */
  member: string;
  /** The UTC hour (hours since the epoch) the call falls in. */
  hour: number;
  baselineHours: number;
  now: number;
};

/** What the store answers: this hour's count (this call included), the previous hours' (latest first), and whether the tool is new to the principal. */
export type UsageObservation = { current: number; previous: number[]; firstUse: boolean };

export function usageCount(watch: CompiledAnomalyWatch, principal: string, origin: string, tool: string, now: number): UsageCount {
  return {
    counts: `mcpw:usage:${principal}\n${origin}\n${tool}`,
    seen: `mcpw:seen:${principal}`,
    member: `${origin}\n${tool}`,
    hour: Math.floor(now / HOUR_MS),
    baselineHours: watch.baselineHours,
    now,
  };
}

/**
 * The Upstash side, one EVAL in the limiter's pipeline. KEYS: the hourly-count hash (field = hour)
 * and the last-use hash (field = origin\ntool). ARGV: hour, baseline hours, tool, now (ms), horizon
 * (ms). Answers {current, firstUse (0/1), previous hour 1, …, previous hour N}.
 */
export const USAGE_SCRIPT = `
local hour = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local now = tonumber(ARGV[4])
local horizon = tonumber(ARGV[5])
local current = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local fields = {}
for i = 1, n do fields[i] = tostring(hour - i) end
local previous = redis.call('HMGET', KEYS[1], unpack(fields))
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  local at = tonumber(field)
  if at == nil or at < hour - n then redis.call('HDEL', KEYS[1], field) end
end
redis.call('PEXPIRE', KEYS[1], (n + 1) * 3600000)
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[3]))
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[2], horizon)
local first = 0
if last == nil or now - last > horizon then first = 1 end
local out = {current, first}
for i = 1, n do out[i + 2] = tonumber(previous[i]) or 0 end
return out`;

export function usageScriptCall(usage: UsageCount): { keys: string[]; args: string[] } {
  return { keys: [usage.counts, usage.seen], args: [String(usage.hour), String(usage.baselineHours), usage.member, String(usage.now), String(FIRST_USE_HORIZON_MS)] };
}

export function observationFromScript(answer: unknown): UsageObservation {
  if (!Array.isArray(answer) || answer.length < 2 || !answer.every((value) => typeof value === "number")) throw new Error("usage script answered something unexpected");
  const [current, first, ...previous] = answer as number[];
  return { current: current!, firstUse: first === 1, previous };
}

/** The embedded store's side: the same counting over a stored `{hour: count}` record; returns the record to store back. */
export function countUsage(hours: Record<string, number>, lastUsed: number | undefined, usage: UsageCount): { hours: Record<string, number>; observation: UsageObservation } {
  const kept: Record<string, number> = {};
  for (const [hour, count] of Object.entries(hours)) if (Number(hour) >= usage.hour - usage.baselineHours) kept[hour] = count;
  const current = (kept[usage.hour] ?? 0) + 1;
  kept[usage.hour] = current;
  const previous = Array.from({ length: usage.baselineHours }, (_, index) => kept[usage.hour - index - 1] ?? 0);
  return { hours: kept, observation: { current, previous, firstUse: lastUsed === undefined || usage.now - lastUsed > FIRST_USE_HORIZON_MS } };
}

export type AnomalyFinding = {
  watch: string;
  finding: "spike" | "ceiling" | "first-use";
  measure: number;
  threshold: number;
  baseline?: number;
  action: AnomalyAction;
};

/**
 * What one call's observation shows. A spike or a ceiling is found once per hour, by the call that
 * passes it (counts go up by one, so exactly one call sees each value); a first use by the first call.
 */
export function anomalyFindings(watch: CompiledAnomalyWatch, observation: UsageObservation): AnomalyFinding[] {
  const findings: AnomalyFinding[] = [];
  if (watch.spike) {
    const baseline = observation.previous.reduce((sum, count) => sum + count, 0) / Math.max(1, observation.previous.length);
    const threshold = Math.max(watch.spike.minimum, Math.ceil(watch.spike.factor * baseline));
    if (observation.current === threshold + 1) findings.push({ watch: watch.id, finding: "spike", measure: observation.current, threshold, baseline: Math.round(baseline * 100) / 100, action: watch.spike.action });
  }
  if (watch.ceiling && observation.current === watch.ceiling.calls + 1) {
    findings.push({ watch: watch.id, finding: "ceiling", measure: observation.current, threshold: watch.ceiling.calls, action: watch.ceiling.action });
  }
  if (watch.firstUse && observation.firstUse) findings.push({ watch: watch.id, finding: "first-use", measure: 0, threshold: 1, action: watch.firstUse.action });
  return findings;
}
