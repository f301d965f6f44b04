// The demo origins' HTTP side: a stateless MCP Streamable HTTP endpoint at POST /mcp on loopback, a
// fresh SDK server per request (the SDK's stateless mode), plus any extra routes an origin answers itself.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/**
 * Listens on 127.0.0.1:`port`. `otherRoute` answers a request outside /mcp and returns true, or returns
 * false to let it be a 404.
 */
export async function serveStatelessMcp(
  port: number,
  mcpServer: () => McpServer,
  otherRoute: (request: IncomingMessage, response: ServerResponse) => boolean = () => false,
): Promise<Server> {
  const http = createServer(async (request, response) => {
    try {
      if (request.url !== "/mcp") return void (otherRoute(request, response) || response.writeHead(404).end());
      if (request.method !== "POST") return void response.writeHead(405, { allow: "POST" }).end();
      const body = JSON.parse(await readBody(request));
      const server = mcpServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      response.on("close", () => void transport.close().then(() => server.close()));
      await server.connect(transport);
      await transport.handleRequest(request, response, body);
    } catch {
      if (!response.headersSent) response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }));
    }
  });
  await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  return http;
}
