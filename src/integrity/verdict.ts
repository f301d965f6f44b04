// The integrity verdict for one tools/call, read by the policy stage into its Decision: a name that is
// no tool name, a tool without a pin on a pinned origin that blocks drift, or a tool a listing caught
// (the registry) is refused before anything reaches the origin. A registry that cannot be read fails closed.

import { GatewayError } from "../errors.js";
import type { OriginIntegrity } from "../policy/types.js";
import { isToolName } from "./poison.js";
import { blockedTool } from "./registry.js";
import type { IntegrityFlag } from "./review.js";

export async function toolCallVerdict(
  kv: KVNamespace,
  policyVersion: string,
  origin: string,
  settings: OriginIntegrity,
  pins: Record<string, string> | undefined,
  tool: string,
): Promise<IntegrityFlag | undefined> {
  if (!isToolName(tool)) return { tool: tool.slice(0, 128), reason: "poisoned", findings: ["tool-name"], action: "blocked" };
  if (pins && settings.drift === "block" && !Object.hasOwn(pins, tool)) return { tool, reason: "unpinned", action: "blocked" };
  try {
    return await blockedTool(kv, policyVersion, origin, tool, Date.now());
  } catch (error) {
    throw new GatewayError("integrityStoreUnavailable", `integrity records unreadable: ${String(error).slice(0, 200)}`);
  }
}
