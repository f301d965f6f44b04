// `npm run conformance`: runs @modelcontextprotocol/conformance 0.2 (server mode) with the requirements
// of both spec revisions (2025-11-25 and 2026-07-28) against its reference everything-server directly,
// then through the gateway in workerd (the origin's own endpoint, and a virtual server whose one origin
// it is), and compares check by check. The runner sends no Authorization
// header, so a small loopback proxy adds an admin token: the gateway runs with its production defaults.
// Exits 1 when a check that passes directly fails through the gateway; checks the reference server
// fails on its own are listed, and those the gateway passes anyway are counted as its own.

import { execFile, spawn } from "node:child_process";
import { createServer, request as httpRequest } from "node:http";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildWorker } from "../../cli/build.js";
import { startGateway } from "../support/gateway.js";

const ORIGIN_PORT = 21401;
const PROXY_PORT = 21402;
const WORKER = ".warden/conformance/worker.js";
const REVISIONS = ["2025-11-25", "2026-07-28"] as const;

/**
 * Checks a virtual server over one origin passes differently from that origin's own endpoint, by design,
 * with why. Printed with every run; anything else that passes on the origin's endpoint must pass here.
 */
const VIRTUAL_DIFFERENCES: Record<string, string> = {
  "server-sse-multiple-streams/server-sse-streams-functional#0":
    "a virtual server answers a listing with one merged JSON message, never an SSE stream, so this check of concurrent SSE listing streams reports INFO (SSE optional) instead of SUCCESS",
};

/** Every check of one run, by `scenario/check id`, with its status (SUCCESS, FAILURE, WARNING, …). */
type Checks = Map<string, string>;
/** Why a check failed, by the same key, for the report of regressions. */
const reasons = new Map<string, string>();

async function runSuite(url: string, revision: string): Promise<Checks> {
  const output = mkdtempSync(join(tmpdir(), "conformance-"));
  const args = ["node_modules/@modelcontextprotocol/conformance/dist/index.js", "server", "--url", url, "--requirements", revision, "-o", output];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
  if (process.env.CONFORMANCE_VERBOSE) console.log(stdout);
  const checks: Checks = new Map();
  for (const directory of readdirSync(output)) {
    const scenario = directory.replace(/^server-/, "").replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, "");
    const file = join(output, directory, "checks.json");
    let results: { id: string; status: string; errorMessage?: string }[];
    try {
      results = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue;
    }
    results.forEach((check, index) => {
      const key = `${scenario}/${check.id}#${results.slice(0, index).filter((other) => other.id === check.id).length}`;
      checks.set(key, check.status);
      if (check.errorMessage && url.includes(`:${PROXY_PORT}/`)) reasons.set(`${revision} ${url.endsWith("-virtual") ? "virtual " : ""}${key}`, check.errorMessage.slice(0, 300));
    });
  }
  return checks;
}

const passed = (checks: Checks) => [...checks.values()].filter((status) => status === "SUCCESS").length;
const failed = (checks: Checks) => [...checks.values()].filter((status) => status === "FAILURE").length;

const origin = spawn(process.execPath, ["node_modules/tsx/dist/cli.mjs", "--tsconfig", "test/conformance/tsconfig.json", "test/conformance/everything-server.ts"], {
  env: { ...process.env, PORT: String(ORIGIN_PORT) },
  stdio: ["ignore", "pipe", "inherit"],
});
// Whatever ends this script, the origin it started ends with it.
process.on("exit", () => origin.kill());
await new Promise<void>((resolve) => origin.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("running") && resolve()));

await buildWorker({ policyDirs: ["policies", "test/conformance/policies"], outFile: WORKER });
const gateway = await startGateway({ scriptPath: WORKER });
const token = await gateway.mint(["admin"]);
const target = new URL(gateway.url);
const proxyErrors: string[] = [];
const proxy = createServer((incoming, outgoing) => {
  const headers = { ...incoming.headers, authorization: `Bearer ${token}` };
  // A fresh connection per request: no keep-alive race with workerd closing an idle socket.
  const upstream = httpRequest({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers, agent: false }, (answer) => {
    outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(outgoing);
  });
  upstream.on("error", (error) => {
    proxyErrors.push(`${incoming.method} ${incoming.url}: ${error.message}`);
    outgoing.destroy();
  });
  incoming.pipe(upstream);
});
await new Promise<void>((resolve, reject) => {
  proxy.once("error", (error) => reject(new Error(`conformance proxy cannot listen on ${PROXY_PORT} (${error.message}): is another conformance run still going?`)));
  proxy.listen(PROXY_PORT, "127.0.0.1", resolve);
}).catch(async (error: Error) => {
  console.error(error.message);
  await gateway.close();
  process.exit(1);
});

let exitCode = 1;
try {
  let countedPassed = 0;
  let countedFailed = 0;
  const regressions: string[] = [];
  for (const revision of REVISIONS) {
    const direct = await runSuite(`http://127.0.0.1:${ORIGIN_PORT}/mcp`, revision);
    const through = await runSuite(`http://127.0.0.1:${PROXY_PORT}/mcp/conformance`, revision);
    const virtual = await runSuite(`http://127.0.0.1:${PROXY_PORT}/mcp/conformance-virtual`, revision);
    const names = [...new Set([...direct.keys(), ...through.keys(), ...virtual.keys()])].sort();
    const lost = names.filter((name) => direct.get(name) === "SUCCESS" && through.get(name) !== "SUCCESS");
    // A virtual server over one origin must pass exactly what that origin's own endpoint passes.
    const virtualLost = names.filter((name) => through.get(name) === "SUCCESS" && virtual.get(name) !== "SUCCESS" && !Object.hasOwn(VIRTUAL_DIFFERENCES, name));
    for (const name of names.filter((name) => Object.hasOwn(VIRTUAL_DIFFERENCES, name) && virtual.get(name) !== through.get(name))) console.log(`virtual server differs by design: ${name}: ${VIRTUAL_DIFFERENCES[name]}`);
    const gained = names.filter((name) => direct.get(name) !== "SUCCESS" && through.get(name) === "SUCCESS");
    const scenarios = [...new Set(names.map((name) => name.split("/")[0]!))];
    console.log(`\n--requirements ${revision}`);
    console.log(`${"scenario".padEnd(48)}${"direct".padEnd(22)}${"through mcp-warden".padEnd(22)}through a virtual server`);
    for (const scenario of scenarios) {
      const count = (checks: Checks) => {
        const own = [...checks].filter(([name]) => name.startsWith(`${scenario}/`));
        return `${own.filter(([, status]) => status === "SUCCESS").length} passed, ${own.filter(([, status]) => status === "FAILURE").length} failed`;
      };
      console.log(`${scenario.padEnd(48)}${count(direct).padEnd(22)}${count(through).padEnd(22)}${count(virtual)}`);
    }
    console.log(`direct:  Total: ${passed(direct)} passed, ${failed(direct)} failed`);
    console.log(`through: Total: ${passed(through)} passed, ${failed(through)} failed`);
    console.log(`virtual: Total: ${passed(virtual)} passed, ${failed(virtual)} failed`);
    if (gained.length) console.log(`passed through the gateway, failed directly (the gateway enforces them): ${gained.join(", ")}`);
    for (const name of lost) console.log(`PASSED DIRECTLY, FAILED THROUGH THE GATEWAY: ${name}: ${reasons.get(`${revision} ${name}`) ?? "no result"}`);
    for (const name of virtualLost) console.log(`PASSED THROUGH /mcp/conformance, FAILED THROUGH THE VIRTUAL SERVER: ${name}: ${reasons.get(`${revision} virtual ${name}`) ?? "no result"}`);
    regressions.push(...lost.map((name) => `${revision} ${name}`), ...virtualLost.map((name) => `${revision} virtual ${name}`));
    // The closing line of `npm test` counts every check the gateway must pass: those the origin passes, and those it adds.
    countedPassed += passed(through);
    countedFailed += lost.length;
    if (direct.size === 0 || through.size === 0 || virtual.size === 0) regressions.push(`${revision}: no checks ran`);
  }
  writeFileSync(".warden/conformance-total.txt", `Total: ${countedPassed} passed, ${countedFailed} failed`);
  if (proxyErrors.length) console.log(`proxy errors: ${proxyErrors.join("; ")}`);
  exitCode = regressions.length === 0 ? 0 : 1;
  console.log(exitCode === 0 ? "\nconformance through the gateway: every check that passes directly passes" : `\nconformance regressions: ${regressions.join(", ")} (gateway log: .warden/conformance-gateway.log)`);
  writeFileSync(".warden/conformance-gateway.log", gateway.logs.join("\n"));
} finally {
  proxy.close();
  await gateway.close();
  origin.kill();
}
process.exit(exitCode);
