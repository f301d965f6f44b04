// Failed authentications per address: the unit counted (IPv4 address, IPv6 /64) and the block an
// isolate applies once the store says the address is over its limit.

import { describe, expect, it } from "vitest";
import { addressKey, failedAuthGuard } from "../../src/ratelimit/failed-auth.js";

describe("addressKey", () => {
  it("counts IPv4 addresses one by one and IPv6 addresses per /64", () => {
    expect(addressKey("203.0.113.9")).toBe("203.0.113.9");
    expect(addressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0DB8:0001:0002::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("2001:db8:1:2:ffff::")).toBe(addressKey("2001:db8:1:2::9"));
  });
});

describe("failedAuthGuard", () => {
  it("refuses nothing until the store reports the address over its limit, then every address of its /64", async () => {
    let count = 0;
    // A fake store that counts: over 2 failures, the address is over its limit until the window resets.
    const identifiers: string[] = [];
    const store = () =>
      ({
        consume: async (checks: { identifier: string }[]) => {
          identifiers.push(checks[0]!.identifier);
          return [{ success: ++count <= 2, remaining: 0, reset: 1_000_000 + 60_000 }];
        },
      }) as never;
    const guard = failedAuthGuard({ limit: 2, windowMs: 60_000 }, store);
    const env = {} as never;
    for (let i = 0; i < 2; i++) await guard.recordFailure(env, "2001:db8:1:2::5", 1_000_000);
    expect(() => guard.refuseIfBlocked("2001:db8:1:2::77", 1_000_000)).not.toThrow();
    await guard.recordFailure(env, "2001:db8:1:2::5", 1_000_000);
    expect(() => guard.refuseIfBlocked("2001:db8:1:2::77", 1_000_001)).toThrow(expect.objectContaining({ kind: "rateLimited" }));
    expect(() => guard.refuseIfBlocked("2001:db8:1:3::77", 1_000_001)).not.toThrow();
    expect(() => guard.refuseIfBlocked("2001:db8:1:2::77", 1_000_000 + 60_001)).not.toThrow();
    expect(new Set(identifiers)).toEqual(new Set(["address:2001:db8:1:2::/64"]));
  });
});
