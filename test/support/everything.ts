// Starts the real reference origin, @modelcontextprotocol/server-everything, in streamable HTTP mode.

import { spawn, type ChildProcess } from "node:child_process";

export async function startEverything(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["node_modules/@modelcontextprotocol/server-everything/dist/index.js", "streamableHttp"], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server-everything did not start within 20 s")), 20_000);
    const onOutput = (chunk: Buffer) => {
      if (chunk.toString().includes("listening")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onOutput);
    child.stderr!.on("data", onOutput);
    child.on("exit", (code) => reject(new Error(`server-everything exited with ${code}`)));
  });
  return child;
}
