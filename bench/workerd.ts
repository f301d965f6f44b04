// Finding and measuring the workerd process a Miniflare instance starts: its pid, and its CPU time from
// /proc, so benchmarks divide work by the CPU of the process that did it.

import { readFileSync, readdirSync } from "node:fs";

const TICKS_PER_SECOND = 100; // /proc/<pid>/stat clock ticks

/** utime + stime of a process, in milliseconds. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

function workerdPids(): Set<number> {
  const pids = new Set<number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, "utf8").trim() === "workerd") pids.add(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

/** A Miniflare instance and the workerd process it started. */
export async function inWorkerd<T extends { close(): Promise<void> }>(start: () => Promise<T>): Promise<T & { pid: number }> {
  const before = workerdPids();
  const handle = await start();
  const pid = [...workerdPids()].find((candidate) => !before.has(candidate));
  if (!pid) throw new Error("could not find the workerd process");
  return Object.assign(handle, { pid });
}
