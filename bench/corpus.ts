// Inputs for the scrubber benchmarks, deterministic from a fixed seed. `mixedToolOutput` is what tools
// return most of the time — JSON API listings, log lines, CSV, directory listings, source code and
// prose — with a credential or a personal datum every few kilobytes. `gatewaySources` is this
// project's own README and source: text dense in the words the assignment finder starts on (token,
// key, secret), the scrubber's slowest realistic input. `adversarial` is built to make a careless
// pattern backtrack.

import { readFileSync } from "node:fs";

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const WORDS = "the of deploy build request server client cache origin region node worker queue status result value update create delete list read write user team project branch commit release version config metric alert latency error retry".split(" ");
const PLANTED = [
  "ghp_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8",
  "AKIAZ7QXW3N5P2R8T4VY",
  "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
  "postgres://app:S3cr3tPassw0rd@db.internal:5432/app",
  "jo.smith@corp.example",
  "+44 20 7946 0958",
  "4111 1111 1111 1111",
];

export function mixedToolOutput(targetBytes: number): string {
  const next = random(20261126);
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
  const sentence = (words: number) => Array.from({ length: words }, () => pick(WORDS)).join(" ");
  const code = readFileSync("src/mcp/jsonrpc.ts", "utf8") + readFileSync("src/answer/relay.ts", "utf8");
  const prose = readFileSync("docs/threat-model.md", "utf8");
  const parts: string[] = [];
  let size = 0;
  let serial = 0;
  while (size < targetBytes) {
    let part: string;
    switch (serial++ % 6) {
      case 0:
        part = JSON.stringify({
          items: Array.from({ length: 20 }, (_, i) => ({
            id: 100_000 + serial * 20 + i,
            title: sentence(6),
            state: pick(["open", "closed"]),
            url: `https://api.example.com/repos/acme/${pick(WORDS)}/issues/${serial * 20 + i}`,
            created_at: new Date(1_700_000_000_000 + serial * 3_600_000 + i * 60_000).toISOString(),
            labels: [pick(WORDS), pick(WORDS)],
            body: sentence(30),
          })),
        });
        break;
      case 1:
        part = Array.from({ length: 40 }, (_, i) => `${new Date(1_700_000_000_000 + serial * 1000 + i).toISOString()} ${pick(["INFO", "WARN", "DEBUG", "ERROR"])} ${pick(WORDS)}-service[${1000 + i}] ${sentence(9)} duration_ms=${Math.floor(next() * 900)} ip=10.${i}.${serial % 255}.${(i * 7) % 255}`).join("\n");
        break;
      case 2:
        part = ["id,name,region,requests,errors,p99_ms", ...Array.from({ length: 50 }, (_, i) => `${i},${pick(WORDS)}-${i},${pick(["eu-west", "us-east", "ap-south"])},${Math.floor(next() * 1e6)},${Math.floor(next() * 100)},${(next() * 300).toFixed(1)}`)].join("\n");
        break;
      case 3:
        part = Array.from({ length: 40 }, (_, i) => `-rw-r--r--  1 app  staff  ${Math.floor(next() * 99_999).toString().padStart(6)} Nov ${1 + (i % 28)} 12:${String(i % 60).padStart(2, "0")} ${pick(WORDS)}_${i}.${pick(["ts", "json", "md", "log"])}`).join("\n");
        break;
      case 4: {
        const at = Math.floor(next() * (code.length - 4000));
        part = code.slice(at, at + 4000);
        break;
      }
      default: {
        const at = Math.floor(next() * Math.max(1, prose.length - 4000));
        part = prose.slice(at, at + 4000);
      }
    }
    part += `\n${pick(["note", "contact", "config", "see"])}: ${PLANTED[serial % PLANTED.length]}\n`;
    parts.push(part);
    size += part.length;
  }
  return parts.join("\n");
}

export function gatewaySources(): string {
  return (readFileSync("README.md", "utf8") + readFileSync("src/index.ts", "utf8") + "\nkey ghp_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8 mail jo@corp.example\n").repeat(20);
}

export const adversarial = (): string =>
  "password=".repeat(50_000) + "a@".repeat(100_000) + "1".repeat(200_000) + "sk-".repeat(50_000) + "-----BEGIN RSA PRIVATE KEY-----\n" + "A".repeat(200_000);
