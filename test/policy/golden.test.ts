// The golden decision cases of policies/tests against the policy in policies/: what `mcp-warden policy check` runs.
import { beforeAll, describe, expect, it } from "vitest";
import { readGoldenCases, runGoldenCases } from "../../cli/golden.js";
import { loadPolicy } from "../../cli/policy-files.js";
import { loadSqlParser } from "../../src/policy/sql.js";

const policy = loadPolicy(["policies"]);
const cases = readGoldenCases("policies/tests");
beforeAll(loadSqlParser);

describe("golden decisions of the demo policy", () => {
  it("has cases", () => expect(cases.length).toBeGreaterThan(10));
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    expect(runGoldenCases(policy, [c])).toEqual([]);
  });
  it("reports a case whose expectation is wrong", () => {
    const wrong = { ...cases[0]!, expect: { decision: "deny" as const, rule: "default-deny" } };
    expect(runGoldenCases(policy, [wrong])).toHaveLength(1);
  });
});
