// The shape of src/ that the pipeline depends on: src/index.ts only wires the stages, nothing imports
// it, no module imports another in a loop (type imports included), and the Worker's import graph holds
// no build-time or Node-only module. Read from the sources, so a change that breaks it fails here.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { expect, it } from "vitest";

const SRC = "src";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [join(dir, entry.name)] : [],
  );
}

const files = sources(SRC);
const specifiers = (file: string) => [...readFileSync(file, "utf8").matchAll(/from\s+"([^"]+)"/g)].map((match) => match[1]!);
const graph = new Map(files.map((file) => [file, specifiers(file).filter((spec) => spec.startsWith(".")).map((spec) => normalize(join(dirname(file), spec.replace(/\.js$/, ".ts"))))]));

it("keeps src/index.ts to wiring: short, and imported by nothing", () => {
  expect(readFileSync(join(SRC, "index.ts"), "utf8").split("\n").length).toBeLessThan(120);
  for (const [file, imports] of graph) expect({ file, importsIndex: imports.includes(join(SRC, "index.ts")) }).toEqual({ file, importsIndex: false });
});

it("has no import loop in src/", () => {
  const loops: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") loops.push([...path.slice(path.indexOf(next)), next].map((step) => relative(SRC, step)).join(" → "));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of files) if (!state.has(file)) visit(file);
  expect(loops).toEqual([]);
});

it("keeps build-time and Node-only modules out of what the Worker imports", () => {
  const reached = new Set<string>();
  const walk = (file: string) => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const next of graph.get(file) ?? []) walk(next);
  };
  walk(join(SRC, "index.ts"));
  expect([...reached].filter((file) => file.includes(join("policy", "build")))).toEqual([]);
  expect([...reached].flatMap((file) => specifiers(file).filter((spec) => spec.startsWith("node:")).map((spec) => `${file}: ${spec}`))).toEqual([]);
});
