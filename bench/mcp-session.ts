// A live MCP session for the load benches: initialize + notifications/initialized on one endpoint,
// and the headers every later request of that session carries.

const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/** initialize + notifications/initialized: the headers of a live MCP session on this endpoint. */
export async function openSession(url: string, headers: Record<string, string>): Promise<Record<string, string>> {
  const initialize = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } } };
  const response = await fetch(url, { method: "POST", headers: { ...MCP_HEADERS, ...headers }, body: JSON.stringify(initialize) });
  await response.text();
  if (response.status !== 200) throw new Error(`initialize at ${url}: HTTP ${response.status}`);
  const sessionId = response.headers.get("mcp-session-id");
  const session = { ...MCP_HEADERS, ...headers, "mcp-protocol-version": "2025-11-25", ...(sessionId ? { "mcp-session-id": sessionId } : {}) };
  await (await fetch(url, { method: "POST", headers: session, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) })).text();
  return session;
}
