// `npm start`: the local demo in one command. Starts the reference origin (server-everything) on
// 127.0.0.1:3001, the pinned demo origin (demo/toolbox.ts) on 127.0.0.1:3002, the SQLite demo origin
// (demo/sql.ts) on 127.0.0.1:3003 and the demo OpenID provider (demo/idp.ts) on 127.0.0.1:3004, makes the dev secrets (.dev.vars) if there are none, mints one demo token per role
// into the local KV that `wrangler dev` uses, starts the gateway in workerd with `wrangler dev` on
// 127.0.0.1:8787, and prints the endpoints (the virtual server /mcp/all over both origins among them),
// the tokens and ready-to-paste MCP Inspector commands (the JWT resource-server endpoint /mcp/jwt-demo, whose
// tokens the demo provider issues, among them).
// Ctrl-C stops both processes.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { projectNode, readDevVars } from "./wrangler.js";
import { createTokens } from "./tokens.js";
import { startToolbox } from "../demo/toolbox.js";
import { startSqlOrigin } from "../demo/sql.js";
import { IDP_CLIENT_SECRET, startIdp } from "../demo/idp.js";

/** policies/jwt.yaml: an endpoint in JWT mode, and the demo provider's machine client that gets its tokens. */
const JWT_ENDPOINT = "http://127.0.0.1:8787/mcp/jwt-demo";
const JWT_CLIENT = { clientId: "reporting-agent", clientSecret: "reporting-agent-demo-secret" };

const ORIGIN_PORT = 3001;
const TOOLBOX_PORT = 3002;
const SQL_PORT = 3003;
const GATEWAY_PORT = 8787;
/** The demo OpenID provider; policies/oauth.yaml names it as the upstream issuer. */
const IDP_PORT = 3004;
const ROLES = ["viewer", "developer", "admin"] as const;
const children: ChildProcess[] = [];

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

function ensureDevVars(): void {
  const vars = existsSync(".dev.vars") ? readDevVars() : {};
  if (vars.TOKEN_PEPPER && vars.SESSION_SECRET && vars.OIDC_CLIENT_SECRET) return;
  const secret = () => randomBytes(32).toString("base64url");
  // INSECURE_DEV_LOOPBACK_CLIENT_METADATA admits http://127.0.0.1 client metadata documents: local demo only, never in production.
  const lines = [
    `SESSION_SECRET=${vars.SESSION_SECRET ?? secret()}`,
    `TOKEN_PEPPER=${vars.TOKEN_PEPPER ?? secret()}`,
    `OIDC_CLIENT_SECRET=${IDP_CLIENT_SECRET}`,
    "INSECURE_DEV_LOOPBACK_CLIENT_METADATA=true",
    ...Object.entries(vars)
      .filter(([name]) => !["SESSION_SECRET", "TOKEN_PEPPER", "OIDC_CLIENT_SECRET", "INSECURE_DEV_LOOPBACK_CLIENT_METADATA"].includes(name))
      .map(([name, value]) => `${name}=${value}`),
  ];
  writeFileSync(".dev.vars", `${lines.join("\n")}\n`, { mode: 0o600 });
  console.log("made local secrets in .dev.vars (git-ignored)");
}

function start(command: string, args: string[], name: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => `[${name}] ${line}`)
      .join("\n");
  child.stdout!.on("data", (chunk: Buffer) => console.log(prefix(chunk)));
  child.stderr!.on("data", (chunk: Buffer) => console.error(prefix(chunk)));
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the demo`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  setTimeout(() => process.exit(code), 500).unref();
}

async function waitFor(url: string, seconds: number): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${seconds} s`);
}

async function main(): Promise<void> {
  for (const port of [ORIGIN_PORT, TOOLBOX_PORT, SQL_PORT, GATEWAY_PORT, IDP_PORT]) {
    if (await portInUse(port)) throw new Error(`port ${port} is in use: stop what runs there (another npm start?) and try again`);
  }
  ensureDevVars();
  const node = projectNode();
  start(node, ["node_modules/@modelcontextprotocol/server-everything/dist/index.js", "streamableHttp"], "origin", { PORT: String(ORIGIN_PORT) });
  await startToolbox(TOOLBOX_PORT);
  await startSqlOrigin(SQL_PORT);
  await startIdp(IDP_PORT, [`http://127.0.0.1:${GATEWAY_PORT}/oauth/callback`, `http://localhost:${GATEWAY_PORT}/oauth/callback`], { resources: [JWT_ENDPOINT], machineClients: [JWT_CLIENT] });

  const tokens = await createTokens(
    ROLES.map((role) => ({ principal: `demo-${role}`, name: `demo ${role}`, roles: [role], expiresInSeconds: 7 * 24 * 3600, note: "made by npm start" })),
    { remote: false },
  );
  const demoTokens = Object.fromEntries(ROLES.map((role, index) => [role, tokens[index]!]));
  mkdirSync(".warden", { recursive: true });
  writeFileSync(".warden/demo-tokens.json", `${JSON.stringify(demoTokens, null, 2)}\n`, { mode: 0o600 });

  start(node, ["node_modules/wrangler/bin/wrangler.js", "dev", "--ip", "127.0.0.1", "--port", String(GATEWAY_PORT), "--show-interactive-dev-session=false"], "gateway", {
    WRANGLER_SEND_METRICS: "false",
  });
  await waitFor(`http://127.0.0.1:${GATEWAY_PORT}/.well-known/mcp-warden`, 120);
  const version = readFileSync("dist/policy-version.txt", "utf8").trim();
  const vars = readDevVars();
  const limiter = vars.UPSTASH_REDIS_REST_URL && vars.UPSTASH_REDIS_REST_TOKEN ? `Upstash Redis at ${vars.UPSTASH_REDIS_REST_URL}` : "the embedded Durable Object store (set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN in .dev.vars for Upstash)";
  const endpoint = `http://127.0.0.1:${GATEWAY_PORT}/mcp/everything`;
  const toolbox = `http://127.0.0.1:${GATEWAY_PORT}/mcp/toolbox`;
  const sql = `http://127.0.0.1:${GATEWAY_PORT}/mcp/sql`;
  const all = `http://127.0.0.1:${GATEWAY_PORT}/mcp/all`;
  console.log(`
mcp-warden is running (policy ${version}).

  MCP endpoint:  ${endpoint}
  origin:        server-everything on http://127.0.0.1:${ORIGIN_PORT}/mcp (reached only through the gateway's policy)
  2nd endpoint:  ${toolbox} (demo/toolbox.ts on http://127.0.0.1:${TOOLBOX_PORT}/mcp, tools pinned)
  3rd endpoint:  ${sql} (demo/sql.ts on http://127.0.0.1:${SQL_PORT}/mcp, SQLite, SQL parsed by the gateway)
  virtual:       ${all} (everything and toolbox behind one endpoint: everything__echo, add-numbers, toolbox__weather, ...)
  rate limits:   ${limiter}
  demo tokens:   .warden/demo-tokens.json
${ROLES.map((role) => `    ${role.padEnd(10)} ${demoTokens[role]}`).join("\n")}

Call echo through the gateway with the MCP Inspector CLI:

  npx -y @modelcontextprotocol/inspector@2 --cli ${endpoint} --transport http --header "Authorization: Bearer ${demoTokens.viewer}" --method tools/call --tool-name echo --tool-arg message=hello

See what each role may do: swap the token, or use --method tools/list.

Tool integrity: ${toolbox} has pinned tools (policies/pins/toolbox.yaml). Call weather once and it
turns on you, changing its description; list again and the gateway has hidden it, and refuses it:

  npx -y @modelcontextprotocol/inspector@2 --cli ${toolbox} --transport http --header "Authorization: Bearer ${demoTokens.viewer}" --method tools/call --tool-name weather --tool-arg city=Paris
  npx -y @modelcontextprotocol/inspector@2 --cli ${toolbox} --transport http --header "Authorization: Bearer ${demoTokens.viewer}" --method tools/list
  node bin/mcp-warden.mjs pin --check toolbox

SQL arguments: ${sql} has one \`query\` tool that runs any SQLite statement. The gateway parses it first:
the viewer gets one read of customers, orders and products; a write, a second statement or the
secrets table is refused (the admin token may write):

  npx -y @modelcontextprotocol/inspector@2 --cli ${sql} --transport http --header "Authorization: Bearer ${demoTokens.viewer}" --method tools/call --tool-name query --tool-arg "sql=SELECT name, city FROM customers"
  npx -y @modelcontextprotocol/inspector@2 --cli ${sql} --transport http --header "Authorization: Bearer ${demoTokens.viewer}" --method tools/call --tool-name query --tool-arg "sql=SELECT * FROM secrets"

Check this configuration against the deployment checklist: node bin/mcp-warden.mjs doctor

OAuth (policies/oauth.yaml): the gateway is the authorization server of its endpoints, and a local
OpenID provider on http://127.0.0.1:${IDP_PORT} logs people in. A client that registers with a Client ID
Metadata Document (Dynamic Client Registration is not offered) connects to ${endpoint}; sign in as
alice (developer) or bob (viewer), any password; carol and mallory show the refusal page.

JWT resource-server mode (policies/jwt.yaml): ${JWT_ENDPOINT} takes the provider's JWT access tokens
instead of the gateway's. Get one for the machine client reporting-agent (mapped to viewer) and call:

  JWT=$(curl -s -u ${JWT_CLIENT.clientId}:${JWT_CLIENT.clientSecret} -d grant_type=client_credentials -d resource=${JWT_ENDPOINT} http://127.0.0.1:${IDP_PORT}/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
  npx -y @modelcontextprotocol/inspector@2 --cli ${JWT_ENDPOINT} --transport http --header "Authorization: Bearer $JWT" --method tools/call --tool-name echo --tool-arg message=hello

One endpoint over everything and toolbox (a virtual server, \`servers:\` in policies/gateway.yaml): tools are
namespaced by origin, each origin's own rules, pins and limits still apply:

  npx -y @modelcontextprotocol/inspector@2 --cli ${all} --transport http --header "Authorization: Bearer ${demoTokens.viewer}" --method tools/list
  npx -y @modelcontextprotocol/inspector@2 --cli ${all} --transport http --header "Authorization: Bearer ${demoTokens.viewer}" --method tools/call --tool-name add-numbers --tool-arg a=2 --tool-arg b=3

Ctrl-C stops the demo.
`);
}

process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
main().catch((error: Error) => {
  console.error(`npm start failed: ${error.message}`);
  stop(1);
});
