// Network and time conditions: the caller's address in CIDR ranges (IPv4 and IPv6), its country and
// ASN from Cloudflare's `request.cf`, and a UTC time window. Pure code over facts the policy stage
// extracts from the request (CF-Connecting-IP, request.cf, the clock). A fact that is missing or
// unreadable never lets a call through: an allow rule's condition on it fails, a deny rule's holds
// (fail closed). Used by the rule engine (decide.ts), the token binding (decision.ts) and, at build
// time, to validate the ranges a policy or a token names.

import type { CompiledConditions } from "./types.js";

/** What conditions are decided on: each may be missing (no CF-Connecting-IP, no `request.cf`). */
export type CallerFacts = { address?: string; country?: string; asn?: number; now: number };

/** Which condition refused (audit field `condition`). */
export type ConditionName = "address" | "country" | "asn" | "time";

/** An address as a number: IPv4 in 32 bits, IPv6 in 128 (an IPv4-mapped IPv6 address is its IPv4 address). */
type Address = { version: 4 | 6; value: bigint };
export type AddressRange = Address & { bits: number };

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): bigint | undefined {
  const match = IPV4.exec(text);
  if (!match) return undefined;
  return match.slice(1).reduce((value, octet) => (value << 8n) | BigInt(octet), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  if (text.length > 45) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  /** A run of groups as 16-bit words; a dotted IPv4 address may only end the whole address. */
  const words = (half: string, endsAddress: boolean): bigint[] | undefined => {
    if (half === "") return [];
    const groups = half.split(":");
    const out: bigint[] = [];
    for (const [index, group] of groups.entries()) {
      if (endsAddress && index === groups.length - 1 && group.includes(".")) {
        const v4 = parseIpv4(group);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (HEX_GROUP.test(group)) out.push(BigInt(`0x${group}`));
      else return undefined;
    }
    return out;
  };
  const head = words(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? words(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  let all: bigint[];
  if (halves.length === 1) all = head;
  else if (head.length + tail.length <= 7) all = [...head, ...Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  else return undefined;
  if (all.length !== 8) return undefined;
  return all.reduce((value, word) => (value << 16n) | word, 0n);
}

const MAPPED_V4 = 0xffffn << 32n;

/** A textual IPv4 or IPv6 address (no zone, no brackets, no port), or undefined when it is not exactly one. */
export function parseAddress(text: string): Address | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  if (!text.includes(":")) return undefined;
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  // ::ffff:a.b.c.d is the IPv4 address a.b.c.d, so an IPv4 range covers it.
  return v6 >> 32n === 0xffffn ? { version: 4, value: v6 - MAPPED_V4 } : { version: 6, value: v6 };
}

/**
 * `address/bits` with no host bits set (`10.0.0.1/8` is ambiguous and refused), or a bare address (a
 * single host). Undefined when it is not one.
 */
export function parseRange(text: string): AddressRange | undefined {
  const slash = text.indexOf("/");
  const written = slash === -1 ? text : text.slice(0, slash);
  const address = parseAddress(written);
  // An IPv4-mapped IPv6 range would mix the two widths: write the IPv4 range instead.
  if (!address || (address.version === 4 && written.includes(":"))) return undefined;
  const width = address.version === 4 ? 32 : 128;
  if (slash === -1) return { ...address, bits: width };
  const bitsText = text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(bitsText) || Number(bitsText) > width) return undefined;
  const bits = Number(bitsText);
  const hostMask = (1n << BigInt(width - bits)) - 1n;
  return (address.value & hostMask) === 0n ? { ...address, bits } : undefined;
}

export function inRange(range: AddressRange, address: Address): boolean {
  if (range.version !== address.version) return false;
  const shift = BigInt((range.version === 4 ? 32 : 128) - range.bits);
  return address.value >> shift === range.value >> shift;
}

/** Whether the address (text, as CF-Connecting-IP carries it) lies in one of the ranges; a missing or unreadable address lies in none. */
export function inAnyRange(ranges: readonly AddressRange[], address: string | undefined): boolean {
  const parsed = address === undefined ? undefined : parseAddress(address);
  return parsed !== undefined && ranges.some((range) => inRange(range, parsed));
}

/** A rule's conditions, parsed once per isolate. */
export type PreparedConditions = CompiledConditions & { ranges?: AddressRange[] };

export function prepareConditions(conditions: CompiledConditions): PreparedConditions {
  return conditions.addresses ? { ...conditions, ranges: conditions.addresses.map((text) => parseRange(text)!) } : conditions;
}

/** Each condition: true when it holds, false when it does not, undefined when its fact is missing. */
function evaluate(conditions: PreparedConditions, facts: CallerFacts): [ConditionName, boolean | undefined][] {
  const results: [ConditionName, boolean | undefined][] = [];
  if (conditions.ranges) {
    const parsed = facts.address === undefined ? undefined : parseAddress(facts.address);
    results.push(["address", parsed && conditions.ranges.some((range) => inRange(range, parsed))]);
  }
  if (conditions.countries) results.push(["country", facts.country === undefined ? undefined : conditions.countries.includes(facts.country)]);
  if (conditions.asns) results.push(["asn", facts.asn === undefined ? undefined : conditions.asns.includes(facts.asn)]);
  if (conditions.time) {
    const at = new Date(facts.now);
    const minute = at.getUTCHours() * 60 + at.getUTCMinutes();
    const { days, fromMinute, toMinute } = conditions.time;
    results.push(["time", Number.isFinite(facts.now) ? days.includes(at.getUTCDay()) && minute >= fromMinute && minute < toMinute : undefined]);
  }
  return results;
}

/**
 * For an allow rule: the first condition that does not hold (a missing fact does not), or undefined
 * when all hold and the rule applies.
 */
export function unmetCondition(conditions: PreparedConditions, facts: CallerFacts): ConditionName | undefined {
  return evaluate(conditions, facts).find(([, holds]) => holds !== true)?.[0];
}

/** For a deny rule: whether it applies — every condition holds, a missing fact counting as holding. */
export function denyApplies(conditions: PreparedConditions, facts: CallerFacts): boolean {
  return evaluate(conditions, facts).every(([, holds]) => holds !== false);
}

/** What explain prints for a fact. */
export function describeFacts(facts: CallerFacts): string {
  return [
    `address ${facts.address ?? "(missing)"}`,
    `country ${facts.country ?? "(missing)"}`,
    `asn ${facts.asn ?? "(missing)"}`,
    `time ${Number.isFinite(facts.now) ? new Date(facts.now).toISOString() : "(missing)"}`,
  ].join(", ");
}
