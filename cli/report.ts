// `mcp-warden report`: the weekly review of the audit trail (the guide's "regular security audits").
// Summarizes the events of a period — decisions per day, denials by rule and by principal, abuse and
// anomaly flags, integrity findings (drift, unpinned, poisoned), limit hits, redactions by kind, top
// tools — as Markdown, with a PNG chart of the decisions per day drawn here (no browser, no canvas:
// pixels, a 3×5 digit font and node:zlib for the PNG's deflate stream).

import { deflateSync } from "node:zlib";
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import type { AuditEvent } from "../src/audit/schema.js";
import { localAuditEvents } from "./audit.js";

const DECISIONS = ["allow", "deny", "limited", "flag", "error"] as const;
type DecisionName = (typeof DECISIONS)[number];

export type AuditSummary = {
  from: string;
  to: string;
  events: number;
  decisions: Record<DecisionName, number>;
  /** One entry per UTC day of the period, oldest first, every day present. */
  days: { day: string; counts: Record<DecisionName, number> }[];
  denialsByRule: [string, number][];
  denialsByPrincipal: [string, number][];
  limitHits: [string, number][];
  flags: { time: string; principal: string; kind: string; detail: string }[];
  integrity: [string, number][];
  redactions: [string, number][];
  topTools: { tool: string; calls: number; denied: number }[];
  errors: [string, number][];
};

const DAY_MS = 86_400_000;

/** "7d", "24h", "90m": the period to look back over. */
export function parsePeriod(text: string): number {
  const match = /^(\d+)(d|h|m)$/.exec(text);
  if (!match || Number(match[1]) === 0) throw new Error(`--since takes a period such as 7d, 24h or 90m, not "${text}"`);
  return Number(match[1]) * { d: DAY_MS, h: 3_600_000, m: 60_000 }[match[2] as "d" | "h" | "m"];
}

function zeroCounts(): Record<DecisionName, number> {
  return { allow: 0, deny: 0, limited: 0, flag: 0, error: 0 };
}

function tally(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** The most frequent first, ties by name; at most `top`. */
function ranked(map: Map<string, number>, top = 10): [string, number][] {
  return [...map].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, top);
}

/** The summary of the events in [now − period, now]. Pure: the events and the clock are given. */
export function summarizeAudit(events: readonly AuditEvent[], periodMs: number, now: number): AuditSummary {
  const from = now - periodMs;
  const inPeriod = events.filter((event) => {
    const time = Date.parse(event.time);
    return time >= from && time <= now;
  });
  const firstDay = Math.floor(from / DAY_MS) * DAY_MS;
  const days = Array.from({ length: Math.floor(now / DAY_MS) - firstDay / DAY_MS + 1 }, (_, index) => ({
    day: new Date(firstDay + index * DAY_MS).toISOString().slice(0, 10),
    counts: zeroCounts(),
  }));
  const decisions = zeroCounts();
  const denialsByRule = new Map<string, number>();
  const denialsByPrincipal = new Map<string, number>();
  const limitHits = new Map<string, number>();
  const integrity = new Map<string, number>();
  const redactions = new Map<string, number>();
  const tools = new Map<string, { calls: number; denied: number }>();
  const errors = new Map<string, number>();
  const flags: AuditSummary["flags"] = [];
  for (const event of inPeriod) {
    decisions[event.decision] += 1;
    days[Math.floor(Date.parse(event.time) / DAY_MS) - firstDay / DAY_MS]!.counts[event.decision] += 1;
    const principal = event.principal ?? "(unauthenticated)";
    if (event.decision === "deny") {
      tally(denialsByRule, event.rule ?? "(no rule: default deny or refused before policy)");
      tally(denialsByPrincipal, principal);
    }
    if (event.decision === "limited") tally(limitHits, event.reason ?? event.rule ?? "(unnamed limit)");
    if (event.decision === "error") tally(errors, event.reason ?? String(event.errorCode ?? event.status ?? "unknown"));
    if (event.decision === "flag") {
      const { anomaly } = event;
      flags.push({
        time: event.time,
        principal,
        kind: anomaly ? `anomaly ${anomaly.finding}` : "abuse",
        detail: anomaly
          ? `${event.origin ?? "?"}/${event.target ?? "?"}: ${anomaly.measure} against ${anomaly.threshold}${anomaly.baseline !== undefined ? ` (baseline ${anomaly.baseline})` : ""}, ${anomaly.action}`
          : (event.abuse ?? event.reason ?? ""),
      });
    }
    for (const finding of event.integrity ?? []) tally(integrity, `${event.origin ?? "?"}/${finding.tool}: ${finding.reason}, ${finding.action}`);
    for (const [kind, count] of Object.entries(event.redactions ?? {})) tally(redactions, kind, count);
    if (event.method === "tools/call" && event.target !== undefined) {
      const key = `${event.origin ?? "?"}/${event.target}`;
      const entry = tools.get(key) ?? { calls: 0, denied: 0 };
      entry.calls += 1;
      if (event.decision !== "allow") entry.denied += 1;
      tools.set(key, entry);
    }
  }
  return {
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    events: inPeriod.length,
    decisions,
    days,
    denialsByRule: ranked(denialsByRule),
    denialsByPrincipal: ranked(denialsByPrincipal),
    limitHits: ranked(limitHits),
    flags: flags.sort((a, b) => a.time.localeCompare(b.time)),
    integrity: ranked(integrity, 50),
    redactions: ranked(redactions, 50),
    topTools: [...tools]
      .map(([tool, entry]) => ({ tool, ...entry }))
      .sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool))
      .slice(0, 10),
    errors: ranked(errors),
  };
}

/** Markdown table cells hold only what the gateway wrote, but a principal id or rule may hold `|`. */
const cell = (text: string | number) => String(text).replace(/[|\\]/g, (char) => `\\${char}`).replace(/[\r\n]+/g, " ");

function table(headers: string[], rows: (string | number)[][], empty: string): string {
  if (!rows.length) return `${empty}\n`;
  return [`| ${headers.join(" | ")} |`, `| ${headers.map(() => "---").join(" | ")} |`, ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`)].join("\n") + "\n";
}

export function reportMarkdown(summary: AuditSummary, chartFile?: string): string {
  const { decisions } = summary;
  return [
    `# mcp-warden audit review, ${summary.from.slice(0, 16).replace("T", " ")} – ${summary.to.slice(0, 16).replace("T", " ")} UTC`,
    "",
    `${summary.events} events: ${DECISIONS.map((decision) => `${decisions[decision]} ${decision}`).join(", ")}.`,
    "",
    ...(chartFile ? [`![Decisions per day: allow green, deny red, limited orange, flag purple, error grey](${chartFile})`, ""] : []),
    "## Decisions per day",
    "",
    table(["day (UTC)", ...DECISIONS], summary.days.map(({ day, counts }) => [day, ...DECISIONS.map((decision) => counts[decision])]), "No days."),
    "## Denials by rule",
    "",
    table(["rule", "denials"], summary.denialsByRule, "No denials."),
    "## Denials by principal",
    "",
    table(["principal", "denials"], summary.denialsByPrincipal, "No denials."),
    "## Flags (abuse and anomalies)",
    "",
    table(["time", "principal", "finding", "detail"], summary.flags.map((flag) => [flag.time, flag.principal, flag.kind, flag.detail]), "No flags."),
    "## Tool integrity (drift, unpinned, poisoned)",
    "",
    table(["tool: finding, action", "events"], summary.integrity, "No integrity findings."),
    "## Limit hits",
    "",
    table(["limit", "refusals"], summary.limitHits, "No limit hits."),
    "## Redactions by kind",
    "",
    table(["kind", "redactions"], summary.redactions, "Nothing redacted."),
    "## Top tools",
    "",
    table(["origin/tool", "calls", "refused"], summary.topTools.map((tool) => [tool.tool, tool.calls, tool.denied]), "No tool calls."),
    "## Errors",
    "",
    table(["reason", "events"], summary.errors, "No errors."),
  ].join("\n");
}

// ---- The chart: stacked bars of decisions per day, as a PNG. ----

const COLORS: Record<DecisionName, [number, number, number]> = {
  allow: [46, 160, 67],
  deny: [207, 34, 46],
  limited: [219, 130, 0],
  flag: [130, 80, 223],
  error: [110, 119, 129],
};

/** 3×5 glyphs for the axis labels: digits and the dash of a date. */
const GLYPHS: Record<string, string> = {
  "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
  "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
  "8": "111101111101111", "9": "111101111001111", "-": "000000111000000",
};

class Canvas {
  readonly pixels: Uint8Array;
  constructor(readonly width: number, readonly height: number) {
    this.pixels = new Uint8Array(width * height * 3).fill(255);
  }
  fill(x: number, y: number, w: number, h: number, [r, g, b]: [number, number, number]): void {
    for (let row = Math.max(0, y); row < Math.min(this.height, y + h); row++) {
      for (let col = Math.max(0, x); col < Math.min(this.width, x + w); col++) {
        const at = (row * this.width + col) * 3;
        this.pixels[at] = r;
        this.pixels[at + 1] = g;
        this.pixels[at + 2] = b;
      }
    }
  }
  text(x: number, y: number, text: string, scale = 2): void {
    [...text].forEach((char, index) => {
      const glyph = GLYPHS[char];
      if (!glyph) return;
      for (let bit = 0; bit < 15; bit++) {
        if (glyph[bit] === "1") this.fill(x + index * 4 * scale + (bit % 3) * scale, y + Math.floor(bit / 3) * scale, scale, scale, [36, 41, 47]);
      }
    });
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** An 8-bit RGB PNG of the canvas. */
function encodePng(canvas: Canvas): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(canvas.width, 0);
  header.writeUInt32BE(canvas.height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc(canvas.height * (1 + canvas.width * 3));
  for (let row = 0; row < canvas.height; row++) {
    // Filter type 0 (none) before each row.
    rows.set(canvas.pixels.subarray(row * canvas.width * 3, (row + 1) * canvas.width * 3), row * (1 + canvas.width * 3) + 1);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", deflateSync(rows)), chunk("IEND", new Uint8Array())]);
}

export const CHART = { barWidth: 36, gap: 16, left: 60, top: 20, plotHeight: 200, bottom: 40 } as const;

/** Stacked bars per day (allow at the bottom, then deny, limited, flag, error), bar heights proportional to counts. */
export function decisionChartPng(summary: AuditSummary): Buffer {
  const { barWidth, gap, left, top, plotHeight, bottom } = CHART;
  const width = left + summary.days.length * (barWidth + gap) + gap;
  const canvas = new Canvas(width, top + plotHeight + bottom);
  const highest = Math.max(1, ...summary.days.map(({ counts }) => DECISIONS.reduce((sum, decision) => sum + counts[decision], 0)));
  canvas.fill(left - 2, top, 2, plotHeight + 2, [36, 41, 47]);
  canvas.fill(left - 2, top + plotHeight, width - left + 2, 2, [36, 41, 47]);
  canvas.text(4, top, String(highest));
  canvas.text(4, top + plotHeight - 10, "0");
  summary.days.forEach(({ day, counts }, index) => {
    const x = left + gap + index * (barWidth + gap);
    let base = top + plotHeight;
    for (const decision of DECISIONS) {
      const height = Math.round((counts[decision] / highest) * plotHeight);
      canvas.fill(x, base - height, barWidth, height, COLORS[decision]);
      base -= height;
    }
    canvas.text(x - 2, top + plotHeight + 12, day.slice(5), 2);
  });
  return encodePng(canvas);
}

function readEventsFile(path: string): AuditEvent[] {
  const text = readFileSync(path === "-" ? 0 : path, "utf8");
  const byId = new Map<string, AuditEvent>();
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    let event: AuditEvent;
    try {
      event = JSON.parse(line) as AuditEvent;
    } catch {
      throw new Error(`${path}:${index + 1}: not a JSON audit event`);
    }
    if (typeof event?.time !== "string" || typeof event.requestId !== "string" || !DECISIONS.includes(event.decision)) {
      throw new Error(`${path}:${index + 1}: not an mcp-warden audit event (time, requestId and decision are required)`);
    }
    // Delivery is at least once: an event may be in two batch objects.
    byId.set(event.requestId, event);
  });
  return [...byId.values()];
}

/**
 * `mcp-warden report [--since 7d] [--input events.ndjson|-] [--out report.md] [--chart report.png]`.
 * Events come from `--input` (NDJSON, e.g. the deployed bucket's objects concatenated) or the local
 * gateway's R2 bucket. With `--out`, the chart is written beside it unless `--chart` names another file.
 */
export async function reportCommand(options: { since?: string; input?: string; out?: string; chart?: string; now?: number }): Promise<void> {
  const periodMs = parsePeriod(options.since ?? "7d");
  const events = options.input ? readEventsFile(options.input) : await localAuditEvents();
  const summary = summarizeAudit(events, periodMs, options.now ?? Date.now());
  const chart = options.chart ?? (options.out ? options.out.replace(/\.md$/, "") + ".png" : undefined);
  if (chart) writeFileSync(chart, decisionChartPng(summary));
  const markdown = reportMarkdown(summary, chart ? basename(chart) : undefined);
  if (options.out) {
    writeFileSync(options.out, markdown);
    console.error(`wrote ${options.out}${chart ? ` and ${chart}` : ""}: ${summary.events} events since ${summary.from}`);
  } else process.stdout.write(markdown);
}
