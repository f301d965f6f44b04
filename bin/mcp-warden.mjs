#!/usr/bin/env node
// The mcp-warden command: runs cli/main.ts (TypeScript) through tsx's loader.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
