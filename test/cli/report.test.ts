// `mcp-warden report`: the weekly audit review. The summary of a known set of events, section by
// section; the period's edges; the Markdown; and the PNG chart decoded back to pixels, whose bars must
// have the heights the counts give. (test/e2e/audit.test.ts runs the command on a gateway's real events.)

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CHART, decisionChartPng, parsePeriod, reportMarkdown, summarizeAudit } from "../../cli/report.js";
import type { AuditEvent } from "../../src/audit/schema.js";

const NOW = Date.parse("2026-12-07T12:00:00Z");
let serial = 0;
function event(time: string, fields: Partial<AuditEvent>): AuditEvent {
  return { v: 1, time, requestId: `r-${++serial}`, policyVersion: "0123456789abcdef", httpMethod: "POST", decision: "allow", ...fields };
}

const EVENTS: AuditEvent[] = [
  event("2026-12-01T10:00:00Z", { principal: "alice", origin: "everything", method: "tools/call", target: "echo", redactions: { email: 2 } }),
  event("2026-12-01T11:00:00Z", { principal: "alice", origin: "everything", method: "tools/call", target: "echo" }),
  event("2026-12-06T09:00:00Z", { principal: "bob", origin: "everything", method: "tools/call", target: "get-env", decision: "deny", rule: "deny-env" }),
  event("2026-12-06T09:01:00Z", { principal: "bob", origin: "everything", method: "tools/call", target: "get-env", decision: "deny", rule: "deny-env" }),
  event("2026-12-06T09:02:00Z", { principal: "mallory", origin: "toolbox", method: "tools/call", target: "weather", decision: "deny", rule: "?" }),
  event("2026-12-06T09:03:00Z", { principal: "bob", origin: "everything", method: "tools/call", target: "echo", decision: "limited", reason: "limit viewer-requests reached" }),
  event("2026-12-07T08:00:00Z", { principal: "bob", origin: "everything", target: "echo", decision: "flag", anomaly: { watch: "w", finding: "spike", measure: 41, threshold: 40, baseline: 8, action: "cooldown" } }),
  event("2026-12-07T08:30:00Z", { principal: "mallory", decision: "flag", abuse: "12 denied calls in 1 min" }),
  event("2026-12-07T09:00:00Z", { principal: "carol", origin: "toolbox", method: "tools/list", integrity: [{ tool: "weather", reason: "drift", action: "blocked" }], redactions: { email: 1, "aws-key": 3 } }),
  event("2026-12-07T09:30:00Z", { origin: "toolbox", decision: "error", reason: "origin unreachable", status: 502 }),
  // Outside the 7 days before NOW, and after it: left out.
  event("2026-11-29T23:59:59Z", { principal: "old", decision: "deny", rule: "deny-env" }),
  event("2026-12-07T12:00:01Z", { principal: "future", decision: "deny", rule: "deny-env" }),
];

describe("summarizeAudit", () => {
  const summary = summarizeAudit(EVENTS, parsePeriod("7d"), NOW);

  it("counts only the period's events, by decision and by UTC day, every day present", () => {
    expect(summary.events).toBe(10);
    expect(summary.decisions).toEqual({ allow: 3, deny: 3, limited: 1, flag: 2, error: 1 });
    expect(summary.days.map(({ day }) => day)).toEqual(["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06", "2026-12-07"]);
    expect(summary.days[1]!.counts).toEqual({ allow: 2, deny: 0, limited: 0, flag: 0, error: 0 });
    expect(summary.days[6]!.counts).toEqual({ allow: 0, deny: 3, limited: 1, flag: 0, error: 0 });
    expect(summary.days[7]!.counts).toEqual({ allow: 1, deny: 0, limited: 0, flag: 2, error: 1 });
  });

  it("ranks denials by rule and by principal, and names limit hits, flags, integrity, redactions, tools and errors", () => {
    expect(summary.denialsByRule).toEqual([["deny-env", 2], ["?", 1]]);
    expect(summary.denialsByPrincipal).toEqual([["bob", 2], ["mallory", 1]]);
    expect(summary.limitHits).toEqual([["limit viewer-requests reached", 1]]);
    expect(summary.flags).toEqual([
      { time: "2026-12-07T08:00:00Z", principal: "bob", kind: "anomaly spike", detail: "everything/echo: 41 against 40 (baseline 8), cooldown" },
      { time: "2026-12-07T08:30:00Z", principal: "mallory", kind: "abuse", detail: "12 denied calls in 1 min" },
    ]);
    expect(summary.integrity).toEqual([["toolbox/weather: drift, blocked", 1]]);
    expect(summary.redactions).toEqual([["aws-key", 3], ["email", 3]]);
    expect(summary.topTools).toEqual([
      { tool: "everything/echo", calls: 3, denied: 1 },
      { tool: "everything/get-env", calls: 2, denied: 2 },
      { tool: "toolbox/weather", calls: 1, denied: 1 },
    ]);
    expect(summary.errors).toEqual([["origin unreachable", 1]]);
  });

  it("writes Markdown tables with each section, escaping table syntax in names", () => {
    const markdown = reportMarkdown(summarizeAudit([event("2026-12-07T10:00:00Z", { principal: "a|b", decision: "deny", rule: "r" })], parsePeriod("1d"), NOW), "report.png");
    expect(markdown).toContain("![Decisions per day");
    expect(markdown).toContain("| a\\|b | 1 |");
    expect(markdown).toContain("No flags.");
    expect(markdown).toMatch(/^1 events: 0 allow, 1 deny, 0 limited, 0 flag, 0 error\.$/m);
  });

  it("refuses a period it cannot read", () => {
    for (const bad of ["7", "0d", "1w", "-1d", "7 d"]) expect(() => parsePeriod(bad)).toThrow(/--since takes a period/);
    expect(parsePeriod("24h")).toBe(86_400_000);
  });
});

/** The PNG's size and RGB pixels, from its IHDR and its (filter-0) IDAT rows. */
function decodePng(png: Buffer): { width: number; height: number; pixel(x: number, y: number): number[] } {
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  let at = 8;
  let width = 0;
  let height = 0;
  const data: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString("ascii");
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([...body.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    }
    if (type === "IDAT") data.push(body);
    at += length + 12;
  }
  const rows = inflateSync(Buffer.concat(data));
  expect(rows.length).toBe(height * (1 + width * 3));
  return { width, height, pixel: (x, y) => [...rows.subarray(y * (1 + width * 3) + 1 + x * 3, y * (1 + width * 3) + 1 + x * 3 + 3)] };
}

describe("decisionChartPng", () => {
  it("draws one stacked bar a day whose segments are as tall as the counts, the tallest day filling the plot", () => {
    const summary = summarizeAudit(EVENTS, parsePeriod("7d"), NOW);
    const png = decodePng(decisionChartPng(summary));
    expect(png.width).toBe(CHART.left + 8 * (CHART.barWidth + CHART.gap) + CHART.gap);
    expect(png.height).toBe(CHART.top + CHART.plotHeight + CHART.bottom);
    const column = (day: number) => CHART.left + CHART.gap + day * (CHART.barWidth + CHART.gap) + CHART.barWidth / 2;
    const colorsUp = (day: number) => {
      const runs: [string, number][] = [];
      for (let y = CHART.top + CHART.plotHeight - 1; y >= CHART.top; y--) {
        const color = png.pixel(column(day), y).join(",");
        if (runs.at(-1)?.[0] === color) runs.at(-1)![1] += 1;
        else runs.push([color, 1]);
      }
      return runs;
    };
    // Busiest days: 12-06 and 12-07 with 4 events each → 50 px per event on a 200 px plot.
    expect(colorsUp(6)).toEqual([["207,34,46", 150], ["219,130,0", 50]]);
    expect(colorsUp(7)).toEqual([["46,160,67", 50], ["130,80,223", 100], ["110,119,129", 50]]);
    expect(colorsUp(1)).toEqual([["46,160,67", 100], ["255,255,255", 100]]);
    expect(colorsUp(0)).toEqual([["255,255,255", 200]]);
  });
});

describe("the command", () => {
  it("reads NDJSON once per request id and writes the Markdown and the chart beside it", () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-report-"));
    const input = join(dir, "events.ndjson");
    const recent = EVENTS.filter((entry) => entry.time.startsWith("2026-12-07T0"));
    // A redelivered batch: the same events twice.
    writeFileSync(input, [...recent, ...recent].map((entry) => JSON.stringify({ ...entry, time: new Date(Date.now() - 3_600_000).toISOString() })).join("\n") + "\n");
    const run = spawnSync(process.execPath, ["bin/mcp-warden.mjs", "report", "--since", "1d", "--input", input, "--out", join(dir, "week.md")], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const markdown = readFileSync(join(dir, "week.md"), "utf8");
    expect(markdown).toMatch(/^4 events: 1 allow, 0 deny, 0 limited, 2 flag, 1 error\.$/m);
    expect(markdown).toContain("](week.png)");
    expect(decodePng(readFileSync(join(dir, "week.png"))).width).toBeGreaterThan(CHART.left);
  });

  it("refuses input that is not audit events, naming the line", () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-report-"));
    const input = join(dir, "events.ndjson");
    writeFileSync(input, `${JSON.stringify(EVENTS[0])}\n{"hello":1}\n`);
    const run = spawnSync(process.execPath, ["bin/mcp-warden.mjs", "report", "--input", input], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("events.ndjson:2: not an mcp-warden audit event");
  });
});
