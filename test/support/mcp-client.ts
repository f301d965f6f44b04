// The real MCP SDK client, connected to the gateway with a bearer token.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export async function connect(url: string, token: string, options: { capabilities?: Record<string, unknown> } = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "mcp-warden-test", version: "1.0.0" }, { capabilities: options.capabilities ?? {} });
  await client.connect(transport);
  return { client, transport };
}

/** A raw POST as a client would send it, for the error paths the SDK never takes. */
export function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });
}

/** A JSON answer body, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const jsonBody = (response: Response): Promise<any> => response.json();
