// CPU of one Worker's own isolate, as Cloudflare bills it: a V8 CPU profile taken over workerd's
// inspector (Miniflare's `inspectorPort`; workerd serves one inspector target per Worker, named
// `core:user:<name>`). V8 takes a sample only while the isolate is entered on its thread, so the
// profile's time deltas also span the time the isolate was not running; what counts is the number of
// samples that are not `(idle)` times the sampling period (the median delta between back-to-back
// samples, measured in the same profile). Samples of other
// isolates in the same process (Miniflare's KV, Queues and R2 simulators, its entry Worker) and the
// process's own I/O threads are not in this isolate's profile. bench/run.ts validates the method
// against a Worker that burns a known amount of work (bench/burn-worker.js).

type Profile = { nodes: { id: number; callFrame: { functionName: string; url: string } }[]; samples: number[]; timeDeltas: number[] };

export type IsolateProfile = { activeMs: number; profile: Profile };

/** The inspector WebSocket of the Worker named `worker` ("" for a lone unnamed Worker). */
export async function targetUrl(inspectorPort: number, worker: string): Promise<string> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as { id: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((candidate) => candidate.id === `core:user:${worker}`);
  if (!target) throw new Error(`no inspector target for Worker "${worker}" (have ${targets.map((t) => t.id).join(", ")})`);
  return target.webSocketDebuggerUrl;
}

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id!);
      if (message.error) waiting.reject(new Error(message.error.message));
      else waiting.resolve(message.result);
    });
  }

  static async open(url: string): Promise<Inspector> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.addEventListener("open", resolve, { once: true });
      socket.addEventListener("error", () => reject(new Error(`inspector ${url} refused`)), { once: true });
    });
    return new Inspector(socket);
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

const INTERVAL_US = 100;

/** The sampler's real period: the median delta between samples taken back to back (under 4 requested intervals). */
export function samplingPeriodUs(profile: Profile): number {
  const backToBack = profile.timeDeltas.filter((delta) => delta > 0 && delta < 4 * INTERVAL_US).sort((a, b) => a - b);
  return backToBack.length ? backToBack[Math.floor(backToBack.length / 2)]! : INTERVAL_US;
}

/** Milliseconds the isolate ran: non-idle samples times the sampling period. */
export function activeMs(profile: Profile): number {
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === "(idle)").map((node) => node.id));
  const active = profile.samples.filter((sample) => !idle.has(sample)).length;
  return (active * samplingPeriodUs(profile)) / 1000;
}

/** Profiles the Worker's isolate while `work` runs. */
export async function profileIsolate(inspectorPort: number, worker: string, work: () => Promise<void>): Promise<IsolateProfile> {
  const inspector = await Inspector.open(await targetUrl(inspectorPort, worker));
  try {
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: INTERVAL_US });
    await inspector.send("Profiler.start");
    await work();
    const { profile } = await inspector.send<{ profile: Profile }>("Profiler.stop");
    return { activeMs: activeMs(profile), profile };
  } finally {
    inspector.close();
  }
}
