// Server-Sent Events as the WHATWG spec parses them: text in, whole events out, whatever the network
// chunking. Holds at most one event in memory and refuses one larger than a limit (in UTF-8 bytes,
// like a JSON body). Also writes events.

/** `retry` is the reconnection time the origin asks for, in milliseconds. */
export type SseEvent = { event: string; data: string; id?: string; retry?: number };

export class SseTooLargeError extends Error {}

export class SseParser {
  /** The start of a line whose end has not arrived yet, in pieces (joined once, when it ends). */
  private partial: string[] = [];
  private partialBytes = 0;
  private data: string[] = [];
  private dataBytes = 0;
  private event = "";
  private id: string | undefined;
  private retry: number | undefined;
  /** A chunk ended in CR: a LF starting the next chunk belongs to the same line break. */
  private pendingCr = false;

  constructor(private readonly maxEventBytes: number) {}

  /** Feeds decoded text and returns the events it completes. Linear in the text fed, however it is chunked. */
  push(text: string): SseEvent[] {
    if (text === "") return [];
    if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.pendingCr = false;
    const events: SseEvent[] = [];
    const lineBreak = /[\r\n]/g;
    let start = 0;
    for (let match = lineBreak.exec(text); match; match = lineBreak.exec(text)) {
      const end = match.index;
      let next = end + 1;
      if (text.charCodeAt(end) === 0x0d) {
        if (next === text.length) this.pendingCr = true;
        else if (text.charCodeAt(next) === 0x0a) next++;
      }
      let line = text.slice(start, end);
      if (this.partial.length) {
        line = this.partial.join("") + line;
        this.partial = [];
        this.partialBytes = 0;
      }
      const event = this.line(line);
      if (event) events.push(event);
      start = next;
      lineBreak.lastIndex = next;
    }
    if (start < text.length) {
      this.partial.push(text.slice(start));
      this.partialBytes += utf8Length(text, start);
    }
    if (this.partialBytes + this.dataBytes > this.maxEventBytes) throw new SseTooLargeError("event too large");
    return events;
  }

  /** True when the stream stopped in the middle of an event. */
  get midEvent(): boolean {
    return this.partialBytes > 0 || this.data.length > 0;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        this.dataBytes += utf8Length(value, 0) + 1;
        if (this.dataBytes > this.maxEventBytes) throw new SseTooLargeError("event too large");
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        if (!value.includes("\0")) this.id = value;
        break;
      case "retry":
        if (/^\d{1,9}$/.test(value)) this.retry = Number(value);
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const dispatches = this.data.length > 0 || this.retry !== undefined;
    const event: SseEvent = { event: this.event || "message", data: this.data.join("\n") };
    if (this.id !== undefined) event.id = this.id;
    if (this.retry !== undefined) event.retry = this.retry;
    this.data = [];
    this.dataBytes = 0;
    this.event = "";
    this.id = undefined;
    this.retry = undefined;
    return dispatches ? event : undefined;
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

/** The UTF-8 size of `text` from `start`: its length when it is ASCII (one fast scan), else counted. */
export function utf8Length(text: string, start: number): number {
  const part = start === 0 ? text : text.slice(start);
  if (!NON_ASCII.test(part)) return part.length;
  let bytes = 0;
  for (let i = 0; i < part.length; i++) {
    const code = part.charCodeAt(i);
    // A surrogate pair is 4 bytes: 2 for each half.
    bytes += code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code <= 0xdfff) ? 2 : 3;
  }
  return bytes;
}

/** One event on the wire. `data` must not contain line breaks (re-serialized JSON never does). */
export function encodeSseEvent(data: string, id?: string, retry?: number): string {
  return `${id === undefined ? "" : `id: ${id}\n`}${retry === undefined ? "" : `retry: ${retry}\n`}event: message\ndata: ${data}\n\n`;
}

/** An event without a message: an id the client can resume from, and/or a reconnection time (2025-11-25 priming and polling). */
export function encodeSseControl(id: string | undefined, retry: number | undefined): string {
  return `${id === undefined ? "" : `id: ${id}\n`}${retry === undefined ? "" : `retry: ${retry}\n`}data: \n\n`;
}
