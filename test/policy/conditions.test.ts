// Network and time conditions (src/policy/conditions.ts) and how the rule engine applies them
// (decide.ts): strict address and range parsing (IPv4, IPv6, IPv4-mapped, host bits), range
// membership, each condition on allow and deny rules with every fact present, wrong or missing
// (fail closed), listings, explain's trace, the compiler's checks, and the token binding in decideMessage.

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/policy/build/compile.js";
import { compileProblems } from "../support/policy.js";
import { denyApplies, describeFacts, inAnyRange, parseAddress, parseRange, prepareConditions, unmetCondition, type CallerFacts } from "../../src/policy/conditions.js";
import { PolicyEngine } from "../../src/policy/decide.js";
import { decideMessage, TOKEN_BINDING } from "../../src/policy/decision.js";
import { METHODS } from "../../src/mcp/methods.js";

describe("addresses and ranges", () => {
  it("reads IPv4 and IPv6 addresses exactly, and nothing else", () => {
    expect(parseAddress("10.1.2.3")).toEqual({ version: 4, value: 0x0a010203n });
    expect(parseAddress("2001:db8::1")).toEqual({ version: 6, value: (0x20010db8n << 96n) | 1n });
    expect(parseAddress("::")).toEqual({ version: 6, value: 0n });
    expect(parseAddress("::1")).toEqual({ version: 6, value: 1n });
    expect(parseAddress("1:2:3:4:5:6:7:8")).toEqual({ version: 6, value: 0x00010002000300040005000600070008n });
    expect(parseAddress("64:ff9b::192.0.2.33")).toEqual({ version: 6, value: (0x64ff9bn << 96n) | 0xc0000221n });
    // IPv4-mapped IPv6 is the IPv4 address.
    expect(parseAddress("::ffff:10.0.0.1")).toEqual({ version: 4, value: 0x0a000001n });
    for (const bad of ["", "10.1.2", "10.1.2.3.4", "010.1.2.3", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "0x0a.1.1.1", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1:::2", "12345::", "fe80::1%eth0", "[::1]", "1.2.3.4:80", "::ffff:1.2.3", "1.2.3.4::", "g::1", "1:2:3:4:5:6:7::8:9"]) {
      expect({ bad, parsed: parseAddress(bad) }).toEqual({ bad, parsed: undefined });
    }
  });

  it("reads ranges with no host bits set, and refuses ambiguous ones", () => {
    expect(parseRange("10.0.0.0/8")).toEqual({ version: 4, value: 0x0a000000n, bits: 8 });
    expect(parseRange("192.0.2.7")).toEqual({ version: 4, value: 0xc0000207n, bits: 32 });
    expect(parseRange("2001:db8::/32")).toMatchObject({ version: 6, bits: 32 });
    expect(parseRange("0.0.0.0/0")).toMatchObject({ bits: 0 });
    expect(parseRange("::/0")).toMatchObject({ version: 6, bits: 0 });
    for (const bad of ["10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "2001:db8::1/32", "2001:db8::/129", "::ffff:10.0.0.0/104", "10.0.0.0/8/8", "example.com/8"]) {
      expect({ bad, parsed: parseRange(bad) }).toEqual({ bad, parsed: undefined });
    }
  });

  it("finds an address in its ranges, across the IPv4 and IPv6 families only where they are the same", () => {
    const ranges = ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"].map((text) => parseRange(text)!);
    for (const inside of ["10.0.0.0", "10.255.255.255", "192.0.2.7", "::ffff:10.2.3.4", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"]) expect({ inside, found: inAnyRange(ranges, inside) }).toEqual({ inside, found: true });
    for (const outside of ["11.0.0.0", "9.255.255.255", "192.0.2.8", "2001:db9::", "::a00:1", "not an address", undefined]) expect({ outside, found: inAnyRange(ranges, outside) }).toEqual({ outside, found: false });
    expect(inAnyRange([parseRange("0.0.0.0/0")!], "203.0.113.9")).toBe(true);
    expect(inAnyRange([parseRange("0.0.0.0/0")!], "2001:db8::1")).toBe(false);
  });
});

const policy = compilePolicy([
  {
    file: "p.yaml",
    content: {
      origins: { o: { url: "https://o.example/mcp" } },
      roles: { viewer: {} },
      rules: [
        { id: "office", effect: "allow", roles: ["viewer"], origin: "o", tools: ["deploy"], conditions: { addresses: ["10.0.0.0/8", "2001:db8::/32"] } },
        { id: "office-hours", effect: "allow", roles: ["viewer"], origin: "o", tools: ["deploy"], conditions: { time: { days: ["mon", "tue", "wed", "thu", "fri"], hours: "08:00-18:00" } } },
        { id: "german-isp", effect: "allow", roles: ["viewer"], origin: "o", tools: ["report"], conditions: { countries: ["DE"], asns: [3320] } },
        { id: "open", effect: "allow", roles: ["viewer"], origin: "o", tools: ["read"] },
        { id: "embargo", effect: "deny", roles: ["viewer"], origin: "o", tools: ["*"], conditions: { countries: ["KP"] } },
        { id: "maintenance", effect: "deny", roles: ["viewer"], origin: "o", tools: ["read"], conditions: { time: { days: ["sun"], hours: "02:00-04:00" } } },
      ],
    },
  },
]);
const engine = new PolicyEngine(policy);
const viewer = engine.expandRoles(["viewer"]);
// Wednesday 2026-01-14 10:30 UTC (office hours), and Saturday 2026-01-17 12:00 UTC (neither office hours nor maintenance).
const WEDNESDAY = Date.UTC(2026, 0, 14, 10, 30);
const SATURDAY = Date.UTC(2026, 0, 17, 12, 0);
const at = (facts: Partial<CallerFacts>): CallerFacts => ({ address: "192.0.2.1", country: "DE", asn: 3320, now: SATURDAY, ...facts });
const decide = (tool: string, facts: CallerFacts) => engine.decide("o", "tool", tool, viewer, {}, undefined, facts);

describe("addresses at the edges of the notation", () => {
  it("reads the longest IPv6 address, a dotted IPv4 tail without ::, and :: standing for one group", () => {
    expect(parseAddress("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")).toEqual({ version: 6, value: (1n << 128n) - 1n });
    expect(parseAddress("1:2:3:4:5:6:1.2.3.4")).toEqual({ version: 6, value: 0x00010002000300040005000601020304n });
    expect(parseAddress("1:2:3:4::5:6:7")).toEqual({ version: 6, value: 0x00010002000300040000000500060007n });
    // A dotted IPv4 group anywhere but at the end is not an address.
    for (const bad of ["1:2:3:4:5:1.2.3.4:7", "1.2.3.4::1", "1::1.2.3.4:5"]) expect({ bad, parsed: parseAddress(bad) }).toEqual({ bad, parsed: undefined });
  });

  it("refuses an IPv4-mapped range and a prefix longer than the address", () => {
    expect(parseRange("::ffff:10.0.0.0/104")).toBeUndefined();
    expect(parseRange("::ffff:10.0.0.1")).toBeUndefined();
    expect(parseRange("0.0.0.0/33")).toBeUndefined();
    expect(parseRange("::/129")).toBeUndefined();
    expect(parseRange("10.0.0.1/32")).toEqual({ version: 4, value: 0x0a000001n, bits: 32 });
    expect(parseRange("::1/128")).toEqual({ version: 6, value: 1n, bits: 128 });
  });
});

describe("conditions on their own", () => {
  const NOON = Date.UTC(2026, 0, 15, 12, 0); // a Thursday
  const at = (hour: number, minute: number) => Date.UTC(2026, 0, 15, hour, minute);

  it("holds a time window to the minute", () => {
    const window = prepareConditions({ time: { days: [4], fromMinute: 9 * 60 + 10, toMinute: 9 * 60 + 40 } });
    expect(unmetCondition(window, { now: at(9, 15) })).toBeUndefined();
    expect(unmetCondition(window, { now: at(9, 5) })).toBe("time");
    expect(unmetCondition(window, { now: at(9, 40) })).toBe("time");
  });

  it("counts a missing ASN as holding for a deny rule and failing for an allow rule", () => {
    const asn = prepareConditions({ asns: [64500] });
    expect(denyApplies(asn, { now: NOON })).toBe(true);
    expect(denyApplies(asn, { now: NOON, asn: 64501 })).toBe(false);
    expect(unmetCondition(asn, { now: NOON })).toBe("asn");
  });

  it("applies a deny rule only when every condition holds", () => {
    const both = prepareConditions({ countries: ["XX"], asns: [64500] });
    expect(denyApplies(both, { now: NOON, country: "XX", asn: 64500 })).toBe(true);
    expect(denyApplies(both, { now: NOON, country: "XX", asn: 64501 })).toBe(false);
    expect(denyApplies(both, { now: NOON, country: "YY", asn: 64500 })).toBe(false);
  });

  it("describes the facts for explain, each missing one named", () => {
    expect(describeFacts({ address: "10.0.0.1", country: "DE", asn: 64500, now: NOON })).toBe("address 10.0.0.1, country DE, asn 64500, time 2026-01-15T12:00:00.000Z");
    expect(describeFacts({ now: Number.NaN })).toBe("address (missing), country (missing), asn (missing), time (missing)");
  });
});

describe("rule conditions", () => {
  it("lets an allow rule apply only when its conditions hold; the first rule whose condition failed is the one reported", () => {
    expect(decide("deploy", at({ address: "10.9.9.9" }))).toEqual({ effect: "allow", rule: "office" });
    expect(decide("deploy", at({ address: "2001:db8::7" }))).toEqual({ effect: "allow", rule: "office" });
    expect(decide("deploy", at({ now: WEDNESDAY }))).toEqual({ effect: "allow", rule: "office-hours" });
    expect(decide("deploy", at({ now: Date.UTC(2026, 0, 14, 18, 0) }))).toMatchObject({ effect: "deny", rule: "office", condition: "address" });
    expect(decide("deploy", at({ now: Date.UTC(2026, 0, 14, 7, 59) }))).toMatchObject({ effect: "deny", rule: "office", condition: "address" });
    expect(decide("deploy", at({}))).toEqual({ effect: "deny", rule: "office", reason: "condition address not met (rule office)", condition: "address" });
  });

  it("fails closed on a missing fact: an allow rule's condition on it fails", () => {
    expect(decide("report", at({}))).toEqual({ effect: "allow", rule: "german-isp" });
    expect(decide("report", at({ country: "AT" }))).toMatchObject({ effect: "deny", condition: "country" });
    expect(decide("report", at({ asn: 13335 }))).toMatchObject({ effect: "deny", condition: "asn" });
    const { asn: _, ...noAsn } = at({});
    expect(decide("report", noAsn)).toMatchObject({ effect: "deny", condition: "asn" });
    const { address: __, ...noAddress } = at({});
    expect(decide("deploy", noAddress)).toMatchObject({ effect: "deny", condition: "address" });
    expect(decide("deploy", at({ address: "10.0.0.1, 10.0.0.2" }))).toMatchObject({ effect: "deny", condition: "address" });
    expect(decide("deploy", at({ address: "192.0.2.1", now: Number.NaN }))).toMatchObject({ effect: "deny", condition: "address" });
    // No facts at all (the engine's default): every conditional allow fails, unconditional rules work.
    expect(engine.decide("o", "tool", "report", viewer, {})).toMatchObject({ effect: "deny", rule: "embargo" });
  });

  it("applies a deny rule only when its conditions hold, and when they lack a fact (fail closed)", () => {
    expect(decide("read", at({}))).toEqual({ effect: "allow", rule: "open" });
    expect(decide("read", at({ country: "KP" }))).toEqual({ effect: "deny", rule: "embargo", reason: "denied by rule embargo" });
    const { country: _, ...noCountry } = at({});
    expect(decide("read", noCountry)).toMatchObject({ effect: "deny", rule: "embargo" });
    expect(decide("read", at({ now: Date.UTC(2026, 0, 18, 2, 0) }))).toMatchObject({ effect: "deny", rule: "maintenance" });
    expect(decide("read", at({ now: Date.UTC(2026, 0, 18, 3, 59) }))).toMatchObject({ effect: "deny", rule: "maintenance" });
    expect(decide("read", at({ now: Date.UTC(2026, 0, 18, 4, 0) }))).toEqual({ effect: "allow", rule: "open" });
    expect(decide("read", at({ now: Date.UTC(2026, 0, 19, 3, 0) }))).toEqual({ effect: "allow", rule: "open" });
    // A deny that applies wins over an allow whose conditions hold.
    expect(decide("deploy", at({ address: "10.0.0.1", country: "KP" }))).toMatchObject({ effect: "deny", rule: "embargo" });
  });

  it("shows in listings only what the caller may use under its conditions", () => {
    const visible = (tool: string, facts: CallerFacts) => engine.isVisible("o", "tool", tool, viewer, facts);
    expect(visible("deploy", at({ address: "10.0.0.1" }))).toBe(true);
    expect(visible("deploy", at({}))).toBe(false);
    expect(visible("read", at({}))).toBe(true);
    expect(visible("read", at({ country: "KP" }))).toBe(false);
    expect(visible("report", at({ asn: 1 }))).toBe(false);
  });

  it("explains which condition made each rule apply or not", () => {
    const trace: string[] = [];
    engine.decide("o", "tool", "deploy", viewer, {}, trace, at({}));
    expect(trace).toEqual([
      "embargo (p.yaml#rules.4): deny does not apply: its conditions do not hold",
      "office (p.yaml#rules.0): allow does not apply: condition address not met",
      "office-hours (p.yaml#rules.1): allow does not apply: condition time not met",
    ]);
  });
});

describe("the token's address binding", () => {
  const facts = (tokenAddresses: string[] | undefined, address: string | undefined, method = "tools/call") =>
    decideMessage(engine, {
      origin: "o",
      originPolicy: policy.origins.o!,
      row: METHODS[method]!,
      method,
      ...(method === "tools/call" ? { target: { kind: "tool" as const, name: "read" }, args: {} } : {}),
      roles: ["viewer"],
      caller: { ...(address ? { address } : {}), country: "DE", now: WEDNESDAY },
      ...(tokenAddresses ? { tokenAddresses } : {}),
    });

  it("refuses every message from outside the token's ranges, lifecycle included", () => {
    expect(facts(["10.0.0.0/8"], "10.1.1.1")).toMatchObject({ effect: "allow", rule: "open" });
    expect(facts(["10.0.0.0/8"], "192.0.2.1")).toMatchObject({ effect: "deny", rule: TOKEN_BINDING, condition: "address", refusal: { kind: "denied", detail: "this token may not be used from this network" } });
    expect(facts(["10.0.0.0/8"], undefined)).toMatchObject({ effect: "deny", rule: TOKEN_BINDING });
    expect(facts(["10.0.0.0/8"], "192.0.2.1", "initialize")).toMatchObject({ effect: "deny", rule: TOKEN_BINDING });
    expect(facts(["2001:db8::/32"], "2001:db8::1", "initialize")).toMatchObject({ effect: "allow" });
    expect(facts(undefined, "192.0.2.1")).toMatchObject({ effect: "allow", rule: "open" });
    // A range that does not parse holds nothing.
    expect(facts(["10.0.0.1/8"], "10.0.0.1")).toMatchObject({ effect: "deny", rule: TOKEN_BINDING });
  });
});

describe("the compiler's checks of conditions", () => {
  const compile = (conditions: unknown) =>
    compileProblems([{ file: "c.yaml", content: { origins: { o: { url: "https://o.example/mcp" } }, roles: { viewer: {} }, rules: [{ id: "r", effect: "allow", roles: ["viewer"], origin: "o", tools: ["t"], conditions }] } }]);

  it("compiles days and hours to UTC minutes, and every day when only hours are given", () => {
    const compiled = (conditions: unknown) => compilePolicy([{ file: "c.yaml", content: { origins: { o: { url: "https://o.example/mcp" } }, roles: { viewer: {} }, rules: [{ id: "r", effect: "allow", roles: ["viewer"], origin: "o", tools: ["t"], conditions }] } }]).rules[0]!.conditions;
    expect(compiled({ time: { days: ["fri", "mon"], hours: "08:30-24:00" } })).toEqual({ time: { days: [1, 5], fromMinute: 510, toMinute: 1440 } });
    expect(compiled({ time: { hours: "00:00-06:00" } })).toEqual({ time: { days: [0, 1, 2, 3, 4, 5, 6], fromMinute: 0, toMinute: 360 } });
    expect(compiled({ addresses: ["10.0.0.0/8"], countries: ["T1"], asns: [64512] })).toEqual({ addresses: ["10.0.0.0/8"], countries: ["T1"], asns: [64512] });
  });

  it("refuses what would be ambiguous or empty", () => {
    expect(compile({ addresses: ["10.0.0.1/8"] })).toEqual([expect.stringContaining("c.yaml: rules.0.conditions.addresses.0: an IPv4 or IPv6 address or CIDR range")]);
    expect(compile({ addresses: [] })).not.toEqual([]);
    expect(compile({ countries: ["de"] })).toEqual([expect.stringContaining("upper-case ISO 3166-1")]);
    expect(compile({ asns: [0] })).not.toEqual([]);
    expect(compile({ time: { hours: "18:00-08:00" } })).toEqual([expect.stringContaining("write two rules for a window across midnight")]);
    expect(compile({ time: { hours: "8:00-18:00" } })).toContainEqual(expect.stringContaining("UTC HH:MM-HH:MM"));
    expect(compile({ time: { days: ["someday"] } })).not.toEqual([]);
    expect(compile({ time: {} })).toEqual([expect.stringContaining("time needs days, hours or both")]);
    expect(compile({})).toEqual([expect.stringContaining("conditions need addresses, countries, asns or time")]);
    expect(compile({ cidr: ["10.0.0.0/8"] })).not.toEqual([]);
  });
});

describe("the command line", () => {
  const cli = (...args: string[]) => spawnSync("node_modules/.bin/tsx", ["cli/main.ts", ...args], { encoding: "utf8" });

  it("explains a decision under the caller's address, country, ASN and time", () => {
    const denied = cli("policy", "explain", "--role", "developer", "--origin", "everything", "--tool", "get-env", "--address", "203.0.113.9", "--country", "DE", "--asn", "3320", "--at", "2026-12-08T10:00Z");
    expect(denied.stdout).toContain("caller: address 203.0.113.9, country DE, asn 3320, time 2026-12-08T10:00:00.000Z");
    expect(denied.stdout).toContain("developer-env-private-networks (policies/everything.yaml#rules.7): allow does not apply: condition address not met");
    expect(denied.stdout).toContain("DENY by developer-env-private-networks: condition address not met");
    const allowed = cli("policy", "explain", "--role", "developer", "--origin", "everything", "--tool", "get-env", "--address", "192.168.1.2");
    expect(allowed.stdout).toContain("ALLOW by developer-env-private-networks");
    expect(cli("policy", "matrix", "--origin", "everything").stdout).toMatch(/get-env\s+allow\s+cond\s+deny/);
  }, 60_000);

  it("refuses to bind a token to a range that does not parse, before anything is stored", () => {
    const result = cli("token", "create", "--principal", "alice", "--roles", "viewer", "--addresses", "10.0.0.0/8,10.0.0.1/8");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--addresses takes IPv4 or IPv6 CIDR ranges with no host bits set, not 10.0.0.1/8");
  }, 30_000);
});
