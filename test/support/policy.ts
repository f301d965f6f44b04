// The policy compiler's refusal, as a list: what the compiler tests assert on.

import { PolicyError, compilePolicy, type PolicySource } from "../../src/policy/build/compile.js";

/** The problems the compiler finds in these sources and pins; none when they compile. */
export function compileProblems(sources: PolicySource[], pins: PolicySource[] = []): string[] {
  try {
    compilePolicy(sources, pins);
    return [];
  } catch (error) {
    if (error instanceof PolicyError) return error.problems;
    throw error;
  }
}
