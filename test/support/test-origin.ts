// A small MCP origin on node:http for the tests and benchmarks: it records every request's headers
// and body, speaks 2025-06-18/2025-11-25 (with sessions) and 2026-07-28 (stateless), and misbehaves
// on purpose when a tool with a fault's name is called (slow, hanging, garbage, cut streams, ...).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export type RecordedRequest = { method: string; headers: IncomingMessage["headers"]; body: string };

const TOOLS = [
  "echo",
  "sse-echo",
  "slow",
  "hang",
  "cut",
  "garbage",
  "html",
  "huge",
  "huge-json",
  "bad-gzip",
  "latin1",
  "deep",
  "crash",
  "sampling",
  "leak",
  "leak-strict",
  "drip",
  "steady",
].map((name) => ({ name, description: `test tool ${name}`, inputSchema: { type: "object" } as Record<string, unknown> }));
// 2026-07-28 parameter headers: two arguments a client mirrors into Mcp-Param-Region and Mcp-Param-Count.
TOOLS.push({
  name: "regional",
  description: "test tool regional",
  inputSchema: { type: "object", properties: { region: { type: "string", "x-mcp-header": "Region" }, count: { type: "integer", "x-mcp-header": "Count" }, note: { type: "string" } } },
});

export type TestOrigin = {
  requests: RecordedRequest[];
  server: Server;
  close(): Promise<void>;
};

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

function json(response: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(200, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

function sse(response: ServerResponse): (message: unknown) => void {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  return (message) => response.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
}

export async function startTestOrigin(port: number, options: { leak?: string } = {}): Promise<TestOrigin> {
  const requests: RecordedRequest[] = [];
  let sessions = 0;
  let taskCount = 0;
  let eventCount = 0;
  const tasks = new Map<string, Record<string, unknown>>();
  const replayable = new Map<string, unknown>();
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    requests.push({ method: request.method ?? "", headers: request.headers, body });
    if (request.method === "DELETE") return void response.writeHead(200).end();
    // Resumption: a GET after an event id this origin sent replays that event (a result, with the same id).
    const lastEventId = request.headers["last-event-id"];
    if (request.method === "GET" && typeof lastEventId === "string" && replayable.has(lastEventId)) {
      response.writeHead(200, { "content-type": "text/event-stream" });
      return void response.end(`id: ${lastEventId}\nevent: message\ndata: ${JSON.stringify(replayable.get(lastEventId))}\n\n`);
    }
    if (request.method !== "POST") return void response.writeHead(405).end();
    let message: { id?: string | number; method?: string; params?: Record<string, any> };
    try {
      message = JSON.parse(body);
    } catch {
      return void response.writeHead(400).end();
    }
    if (message.id === undefined || message.method === undefined) return void response.writeHead(202).end();
    const reply = (result: unknown) => ({ jsonrpc: "2.0", id: message.id, result });
    const secretText = (args: Record<string, unknown>) => `here is a secret: ${options.leak ?? ""} and ${String(args.extra ?? "")}`;
    // Tasks: a task-augmented tools/call is answered with a task; its result comes with tasks/result.
    const taskState = (taskId: string) => ({ taskId, status: "completed", createdAt: "2026-01-01T00:00:00Z", lastUpdatedAt: "2026-01-01T00:00:00Z", ttl: null });
    if (message.method === "tools/call" && message.params?.task !== undefined) {
      const taskId = `origin-task-${++taskCount}`;
      tasks.set(taskId, message.params?.arguments ?? {});
      return json(response, reply({ task: taskState(taskId) }));
    }
    // 2026-07-28 tasks extension: the server decides a call becomes a task (flat CreateTaskResult), and
    // tasks/get inlines the finished task's result.
    if (message.method === "tools/call" && message.params?.arguments?.v2task) {
      const taskId = `v2-task-${++taskCount}`;
      tasks.set(taskId, message.params?.arguments ?? {});
      return json(response, reply({ resultType: "task", ...taskState(taskId), status: "working" }));
    }
    if (message.method === "tasks/get" && String(message.params?.taskId).startsWith("v2-task-")) {
      const taskId = String(message.params?.taskId);
      const args = tasks.get(taskId);
      if (!args) return json(response, { jsonrpc: "2.0", id: message.id, error: { code: -32602, message: "no such task" } });
      return json(response, reply({ resultType: "complete", ...taskState(taskId), result: { content: [{ type: "text", text: secretText(args) }] } }));
    }
    if (message.method === "tasks/get" || message.method === "tasks/result") {
      const taskId = String(message.params?.taskId);
      const args = tasks.get(taskId);
      if (!args) return json(response, { jsonrpc: "2.0", id: message.id, error: { code: -32602, message: "no such task" } });
      return json(response, reply(message.method === "tasks/get" ? taskState(taskId) : { content: [{ type: "text", text: secretText(args) }], _meta: { "io.modelcontextprotocol/related-task": { taskId } } }));
    }
    switch (message.method) {
      case "initialize": {
        const requested = message.params?.protocolVersion;
        const protocolVersion = requested === "2025-06-18" ? requested : "2025-11-25";
        return json(response, reply({ protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "test-origin", version: "1.0.0" }, instructions: "Call echo\u200b to test;\u202e hidden" }), {
          "mcp-session-id": `session-${++sessions}`,
        });
      }
      case "tools/list":
        return json(response, reply({ tools: TOOLS }));
      // Listings whose second item hides invisible characters in its description.
      case "prompts/list":
        return json(response, reply({ prompts: [{ name: "clean-prompt", description: "Greets" }, { name: "hidden-prompt", description: "Greets\u200b\u202eloudly" }], ttlMs: 3_600_000, cacheScope: "public" }));
      // Two pages: the second behind the cursor "page-2".
      case "resources/list":
        if (message.params?.cursor === "page-2") return json(response, reply({ resources: [{ uri: "test://page-2", name: "second page" }] }));
        return json(response, reply({ resources: [{ uri: "test://clean", name: "clean" }, { uri: "test://hidden", name: "hid\u2060den" }], nextCursor: "page-2" }));
      case "resources/templates/list":
        return json(response, reply({ resourceTemplates: [{ uriTemplate: "test://clean/{id}", name: "clean" }, { uriTemplate: "test://hidden/{id}", name: "t", description: "\ufeffx" }] }));
      case "tools/call":
        break;
      default:
        return json(response, reply({}));
    }
    const name = message.params?.name;
    const args = message.params?.arguments ?? {};
    const text = (value: string) => reply({ content: [{ type: "text", text: value }] });
    switch (name) {
      case "echo":
        return json(response, text(String(args.message ?? "")));
      case "sse-echo": {
        const send = sse(response);
        send({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: `about to echo ${args.message ?? ""}` } });
        send(text(String(args.message ?? "")));
        return void response.end();
      }
      case "slow":
        return void setTimeout(() => json(response, text("late")), 3000);
      case "steady": {
        // Progress every 500 ms for 3 s: longer than the recorder's 1.5 s idle timeout, never idle that long.
        const send = sse(response);
        let sent = 0;
        const timer = setInterval(() => {
          if (++sent <= 6) return send({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: `step ${sent}` } });
          clearInterval(timer);
          send(text("finished"));
          response.end();
        }, 500);
        return;
      }
      case "hang": {
        const send = sse(response);
        send({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "started" } });
        return; // never answers
      }
      case "cut":
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.write(`event: message\ndata: {"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"res`);
        return void setTimeout(() => response.socket?.destroy(), 50);
      case "garbage":
        response.writeHead(200, { "content-type": "application/json" });
        return void response.end("this is not json {");
      case "html":
        response.writeHead(200, { "content-type": "text/html" });
        return void response.end("<html>error page with http://127.0.0.1 internals</html>");
      case "huge": {
        const send = sse(response);
        send(text("x".repeat(9 * 1024 * 1024)));
        return void response.end();
      }
      case "huge-json":
        return json(response, text("x".repeat(9 * 1024 * 1024)));
      case "latin1":
        response.writeHead(200, { "content-type": "application/json" });
        return void response.end(Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{"content":[{"type":"text","text":"caf`), Buffer.from([0xe9]), Buffer.from('"}]}}')]));
      case "bad-gzip":
        response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
        return void response.end(JSON.stringify(text("claims to be gzip but is not")));
      case "deep": {
        let nested: unknown = "bottom";
        for (let i = 0; i < 100; i++) nested = { nested };
        return json(response, reply({ content: [], structuredContent: nested }));
      }
      case "crash":
        response.writeHead(500, { "content-type": "text/plain" });
        return void response.end("Error: database password=hunter2 at /srv/app/index.js:10");
      case "sampling": {
        const send = sse(response);
        send({ jsonrpc: "2.0", id: "server-1", method: "sampling/createMessage", params: { messages: [], maxTokens: 10 } });
        return void setTimeout(() => {
          send(text("after sampling"));
          response.end();
        }, 300);
      }
      case "leak":
      case "leak-strict": {
        if (!args.sse) return json(response, text(secretText(args)));
        // With an event id, so a client can resume the stream (and have the result replayed) on GET.
        const eventId = `ev-${++eventCount}`;
        replayable.set(eventId, text(secretText(args)));
        response.writeHead(200, { "content-type": "text/event-stream" });
        return void response.end(`id: ${eventId}\nevent: message\ndata: ${JSON.stringify(text(secretText(args)))}\n\n`);
      }
      case "mrtr": {
        // 2026-07-28 multi round-trip: asks for a confirmation (elicitation) and a sample (sampling) until answered.
        const params = message.params ?? {};
        if (params.requestState === "origin-state-1" && params.inputResponses?.sample) return json(response, text(`answered: ${Object.keys(params.inputResponses).sort().join(",")}`));
        return json(response, reply({
          resultType: "input_required",
          inputRequests: {
            confirm: { method: "elicitation/create", params: { message: "Proceed?", requestedSchema: { type: "object", properties: { ok: { type: "boolean" } } } } },
            sample: { method: "sampling/createMessage", params: { messages: [{ role: "user", content: { type: "text", text: "hi" } }], maxTokens: 5 } },
          },
          requestState: "origin-state-1",
        }));
      }
      case "image-leak":
        // Fields named like binary data that hold text: they are scrubbed, not passed as binary.
        return json(response, reply({ content: [{ type: "image", mimeType: "image/png", data: `password=${options.leak ?? ""}` }], structuredContent: { type: "image", data: `password=${options.leak ?? ""}` } }));
      case "drip": {
        // One SSE event written a few bytes at a time: a secret in it spans many network chunks.
        response.writeHead(200, { "content-type": "text/event-stream" });
        const event = `event: message\ndata: ${JSON.stringify(text(String(args.message ?? "")))}\n\n`;
        let at = 0;
        const next = () => {
          if (at >= event.length) return void response.end();
          response.write(event.slice(at, at + 5));
          at += 5;
          setTimeout(next, 1);
        };
        return next();
      }
      default:
        return json(response, text(`called ${String(name)}`));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    requests,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
