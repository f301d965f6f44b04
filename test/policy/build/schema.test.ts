import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { policyFileSchema } from "../../../src/policy/build/schema.js";

describe("policy JSON Schema", () => {
  it("is up to date with the zod schema (run `npm run policy:schema` after changing it)", () => {
    const committed = JSON.parse(readFileSync("policies/policy.schema.json", "utf8"));
    expect(committed).toEqual(z.toJSONSchema(policyFileSchema, { io: "input", unrepresentable: "any" }));
    expect(Object.keys(committed.properties)).toEqual(expect.arrayContaining(["gateway", "origins", "roles", "rules", "limits"]));
  });
});
