import { describe, expect, it } from "vitest";
import { SseParser, SseTooLargeError, encodeSseEvent } from "../../src/mcp/sse.js";

const stream = 'id: 1\nevent: message\ndata: {"a":1}\n\n: comment\r\ndata: line one\r\ndata: line two\r\n\r\nid: 3\rdata:no-space\r\rdata: \n\n';
const expected = [
  { event: "message", data: '{"a":1}', id: "1" },
  { event: "message", data: "line one\nline two" },
  { event: "message", data: "no-space", id: "3" },
  { event: "message", data: "" },
];

describe("SSE parser", () => {
  it("parses whole events with LF, CRLF and CR line ends", () => {
    expect(new SseParser(1024).push(stream)).toEqual(expected);
  });

  it("gives the same events however the stream is split", () => {
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b += 7) {
        const parser = new SseParser(1024);
        const events = [...parser.push(stream.slice(0, a)), ...parser.push(stream.slice(a, b)), ...parser.push(stream.slice(b))];
        expect(events).toEqual(expected);
        expect(parser.midEvent).toBe(false);
      }
    }
  });

  it("knows when a stream stopped in the middle of an event", () => {
    const parser = new SseParser(1024);
    parser.push('data: {"half":');
    expect(parser.midEvent).toBe(true);
  });

  it("refuses an event over the limit, however it arrives", () => {
    expect(() => new SseParser(100).push(`data: ${"x".repeat(200)}\n\n`)).toThrow(SseTooLargeError);
    const parser = new SseParser(100);
    expect(() => {
      for (let i = 0; i < 50; i++) parser.push("xxxxxxxxxx");
    }).toThrow(SseTooLargeError);
    const lines = new SseParser(100);
    expect(() => lines.push("data: 0123456789\n".repeat(20))).toThrow(SseTooLargeError);
  });

  it("stays linear on a long line fed in small chunks", () => {
    const parser = new SseParser(64 * 1024 * 1024);
    const chunk = "y".repeat(1024);
    parser.push("data: ");
    for (let i = 0; i < 8 * 1024; i++) parser.push(chunk);
    expect(parser.push("\n\n")[0]!.data.length).toBe(8 * 1024 * 1024);
  });

  it("writes events the parser reads back", () => {
    const text = encodeSseEvent('{"x":"y"}', "abc") + encodeSseEvent("{}");
    expect(new SseParser(1024).push(text)).toEqual([
      { event: "message", data: '{"x":"y"}', id: "abc" },
      { event: "message", data: "{}" },
    ]);
  });
});
