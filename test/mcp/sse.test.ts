import { describe, expect, it } from "vitest";
import { SseParser, SseTooLargeError, encodeSseControl, encodeSseEvent, utf8Length } from "../../src/mcp/sse.js";

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

describe("SSE fields and byte counts", () => {
  const events = (text: string, max = 1000) => new SseParser(max).push(text);

  it("reads field lines with and without a colon or the space after it, ignores comments and unknown fields, and reads retry", () => {
    expect(events("data:a\ndata: b\ndata\nretry: 5\n: comment\nfoo:bar\nevent:note\n\n")).toEqual([{ event: "note", data: "a\nb\n", retry: 5 }]);
    expect(events("retry: x5\ndata: a\n\n")).toEqual([{ event: "message", data: "a" }]);
    expect(events("data: x:y\n\n")).toEqual([{ event: "message", data: "x:y" }]);
    expect(events("data:  two spaces\n\n")).toEqual([{ event: "message", data: " two spaces" }]);
    // A line that ends in a colon is a field with an empty value, not a comment.
    expect(events("data:\n\n")).toEqual([{ event: "message", data: "" }]);
    expect(events("data: x\nid:\n\n")).toEqual([{ event: "message", data: "x", id: "" }]);
  });

  it("reads retry only as a whole number of at most nine digits, and reports a retry-only event", () => {
    expect(events("retry: 5x\ndata: a\n\nretry: 1234567890\ndata: b\n\n")).toEqual([{ event: "message", data: "a" }, { event: "message", data: "b" }]);
    expect(events("retry: 3000\n\n")).toEqual([{ event: "message", data: "", retry: 3000 }]);
    expect(events("retry: 3000\ndata: c\n\ndata: d\n\n")).toEqual([{ event: "message", data: "c", retry: 3000 }, { event: "message", data: "d" }]);
  });

  it("writes retry into events and control events, and reads them back", () => {
    expect(encodeSseEvent("{}")).toBe("event: message\ndata: {}\n\n");
    expect(encodeSseControl("e-2", undefined)).toBe("id: e-2\ndata: \n\n");
    const text = encodeSseEvent("{}", undefined, 2500) + encodeSseControl("e-1", 4000) + encodeSseControl(undefined, 100) + encodeSseControl("e-2", undefined);
    expect(events(text)).toEqual([
      { event: "message", data: "{}", retry: 2500 },
      { event: "message", data: "", id: "e-1", retry: 4000 },
      { event: "message", data: "", retry: 100 },
      { event: "message", data: "", id: "e-2" },
    ]);
  });

  it("keeps the last id without NUL, resets event and id after each dispatch, and dispatches nothing without data", () => {
    expect(events("id: 1\nid: 2\ndata: a\n\ndata: b\n\n")).toEqual([
      { event: "message", data: "a", id: "2" },
      { event: "message", data: "b" },
    ]);
    expect(events("id: 1\nid: bad\u0000\ndata: a\n\n")).toEqual([{ event: "message", data: "a", id: "1" }]);
    expect(events("event: x\nid: 3\n\ndata: a\n\n")).toEqual([{ event: "message", data: "a" }]);
    expect(events("\n\n\n")).toEqual([]);
  });

  it("joins a line split over several chunks, and a CR LF split between chunks", () => {
    const parser = new SseParser(1000);
    expect(parser.push("da")).toEqual([]);
    expect(parser.push("ta: he")).toEqual([]);
    expect(parser.midEvent).toBe(true);
    expect(parser.push("llo\r")).toEqual([]);
    expect(parser.push("\n\r\n")).toEqual([{ event: "message", data: "hello" }]);
    expect(parser.midEvent).toBe(false);
    expect(parser.push("")).toEqual([]);
  });

  it("counts data in UTF-8 bytes, one more per line, against the limit", () => {
    // "é" is two bytes: 2 + 1 for the line = 3.
    expect(events("data: é\n\n", 3)).toEqual([{ event: "message", data: "é" }]);
    expect(() => events("data: é\n\n", 2)).toThrow(SseTooLargeError);
    expect(() => events("data: ab\n", 2)).toThrow(SseTooLargeError);
    expect(events("data: a\n\n", 2)).toEqual([{ event: "message", data: "a" }]);
    // A partial line counts with the data before it.
    const parser = new SseParser(6);
    parser.push("data: ab\n");
    expect(() => parser.push("data: abcd")).toThrow(SseTooLargeError);
    // An unfinished line counts whole, field name included.
    expect(new SseParser(16).push("data: abcdefghij")).toEqual([]);
    expect(() => new SseParser(15).push("data: abcdefghij")).toThrow(SseTooLargeError);
  });

  it("sizes text in UTF-8", () => {
    expect(utf8Length("abc", 0)).toBe(3);
    expect(utf8Length("abc", 1)).toBe(2);
    expect(utf8Length("a\u007f", 0)).toBe(2);
    expect(utf8Length("\u0080", 0)).toBe(2);
    expect(utf8Length("\u07ff", 0)).toBe(2);
    expect(utf8Length("\u0800", 0)).toBe(3);
    expect(utf8Length("\ud7ff", 0)).toBe(3);
    expect(utf8Length("😀", 0)).toBe(4);
    expect(utf8Length("\ue000", 0)).toBe(3);
    expect(utf8Length("\uffff", 0)).toBe(3);
    expect(utf8Length("aé€😀", 0)).toBe(new TextEncoder().encode("aé€😀").length);
    expect(utf8Length("aé€😀", 1)).toBe(new TextEncoder().encode("é€😀").length);
    expect(utf8Length("éa", 1)).toBe(1);
  });
});

describe("SSE edges", () => {
  it("counts an unfinished line together with the data before it", () => {
    const parser = new SseParser(12);
    parser.push("data: ab\n");
    expect(() => parser.push("data: abcd")).toThrow(SseTooLargeError);
    expect(new SseParser(12).push("data: abcd")).toEqual([]);
  });

  it("leaves the id out of an event that has none", () => {
    const [event] = new SseParser(100).push("data: a\n\n");
    expect(Object.keys(event!)).toEqual(["event", "data"]);
  });

  it("sizes surrogate pairs at the edges of the surrogate range as four bytes", () => {
    expect(utf8Length("\u{10000}", 0)).toBe(4);
    expect(utf8Length("\u{10FFFF}", 0)).toBe(4);
    expect(utf8Length("\ud800\udc00", 0)).toBe(4);
  });
});
