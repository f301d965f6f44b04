// The compiled policy bundle, produced at build time by cli/build.ts from policies/*.yaml.
declare module "warden:policy" {
  import type { CompiledPolicy } from "./types.js";
  const policy: CompiledPolicy;
  export default policy;
}
