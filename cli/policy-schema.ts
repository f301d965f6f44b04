// `npm run policy:schema`: writes policies/policy.schema.json from the zod schema, for editor
// completion in policy files (`# yaml-language-server: $schema=./policy.schema.json`).

import { writeFileSync } from "node:fs";
import { z } from "zod";
import { policyFileSchema } from "../src/policy/build/schema.js";

const schema = z.toJSONSchema(policyFileSchema, { io: "input", unrepresentable: "any" });
writeFileSync("policies/policy.schema.json", `${JSON.stringify(schema, null, 2)}\n`);
console.log("wrote policies/policy.schema.json");
