// Leased limits (`mode: leased` in policy): an isolate takes a lease of several calls' units from the
// store in the round trip of a call that needs one, spends it locally without asking again, and takes
// the next lease in the background once half of it is spent. The store counts every leased unit when
// the lease is granted, before any of it is spent, and a lease dies with the store window it was
// granted in, so admissions never exceed what the store itself would admit (over-admission: none, per
// isolate and in total). What a lease costs is under-admission: units leased but not spent by the
// window's end, and a lease refused at the limit's edge, together under 2 × lease × cost units per
// isolate and key and window (the README states the bound; test/ratelimit/lease.test.ts proves it
// against the real Redis under 50-way concurrency). Close to the edge a lease shrinks to what the
// store last said is left, down to the call's own units. A cooldown started by another isolate
// reaches this one with its next lease: a principal seen cooling down has its calls asked exactly.

import { IsolateCache } from "../isolate-cache.js";
import type { LimitBackend, LimitCheck, LimitResult } from "./backend.js";

type Lease = {
  /** Units still to spend. */
  left: number;
  /** When the store window the units were counted in ends (ms since the epoch): the lease dies then. */
  expires: number;
  /** What the store said was left beyond this lease when it granted it. */
  storeRemaining: number;
  /** A request for more units is under way. */
  pending?: Promise<void>;
  /** The store refused a lease in this window: no more are asked for until it ends. */
  refused?: boolean;
};

const keyOf = (check: LimitCheck) => `${check.limit.id}\n${check.identifier}`;

export class LeaseBook {
  private readonly leases = new IsolateCache<string, Lease>(10_000);
  /** Principals a background lease found cooling down: asked exactly until the store says otherwise. */
  private readonly cooling = new IsolateCache<string, true>(10_000);

  isLeased(check: LimitCheck): boolean {
    return check.limit.lease !== undefined && check.limit.measure === "requests";
  }

  canSpend(check: LimitCheck, now: number): boolean {
    const lease = this.leases.get(keyOf(check));
    return lease !== undefined && lease.expires > now && lease.left >= check.rate;
  }

  /** Spends a call's units from the isolate's lease: the result, or undefined when the store must be asked. */
  spend(check: LimitCheck, now: number): LimitResult | undefined {
    const lease = this.leases.get(keyOf(check));
    if (!lease || !this.canSpend(check, now)) return undefined;
    lease.left -= check.rate;
    return { success: true, remaining: lease.storeRemaining + lease.left, reset: lease.expires };
  }

  /** The lease request under way for this check, if any: a call without units waits for it before asking itself. */
  pending(check: LimitCheck): Promise<void> | undefined {
    return this.leases.get(keyOf(check))?.pending;
  }

  /** A call is asking the store for a lease of this check: later calls wait for its answer. */
  track(check: LimitCheck, request: Promise<unknown>): void {
    const key = keyOf(check);
    const lease = this.leases.get(key) ?? { left: 0, expires: 0, storeRemaining: 0 };
    const pending: Promise<void> = request.then(
      () => {},
      () => {},
    );
    lease.pending = pending;
    this.leases.set(key, lease);
    void pending.then(() => {
      const current = this.leases.get(key);
      if (current?.pending === pending) delete current.pending;
    });
  }

  /** Units to ask the store for with a call: a whole lease, or less near the edge (never less than the call's own). */
  size(check: LimitCheck, now: number): number {
    const whole = check.limit.lease! * check.limit.cost;
    const lease = this.leases.get(keyOf(check));
    if (!lease || lease.expires <= now) return whole;
    const knownLeft = Math.floor(lease.storeRemaining / check.rate) * check.rate;
    return Math.max(check.rate, Math.min(whole, knownLeft));
  }

  /** Records the store's answer to `units` asked with a call that spends `check.rate` of them. */
  granted(check: LimitCheck, units: number, result: LimitResult, now: number): void {
    const key = keyOf(check);
    const lease = this.leases.get(key);
    if (!result.success) {
      this.leases.set(key, { left: 0, expires: result.reset, storeRemaining: 0, refused: true });
      return;
    }
    // Units of the same window add up; a lease from an earlier window is dead.
    const carried = lease && lease.expires === result.reset && lease.expires > now ? lease.left : 0;
    this.leases.set(key, { left: carried + units - check.rate, expires: result.reset, storeRemaining: result.remaining, pending: lease?.pending });
  }

  /** A principal a background lease found cooling down. */
  seenCooling(principal: string): boolean {
    return this.cooling.get(principal) === true;
  }

  /** The store answered a call exactly, cooldown included. */
  cooldownAnswered(principal: string, coolingDown: boolean): void {
    if (coolingDown) this.cooling.set(principal, true);
    else this.cooling.delete(principal);
  }

  /**
   * After a call spent locally: the next lease, asked in the background once half of this one is
   * spent (one request at a time per key), with the principal's cooldown in the same round trip.
   * Undefined when none is due. A failure only means the next call without units asks the store itself.
   */
  refill(backend: LimitBackend, check: LimitCheck, principal: string, cooldownKey: string | undefined, now: number): Promise<void> | undefined {
    const key = keyOf(check);
    const lease = this.leases.get(key);
    const whole = check.limit.lease! * check.limit.cost;
    if (!lease || lease.pending || lease.refused || lease.expires <= now || lease.left * 2 > whole) return undefined;
    const units = this.size(check, now);
    const pending = backend
      .check([{ ...check, rate: units }], cooldownKey)
      .then(
        ({ results: [result], coolingDown }) => {
          if (coolingDown) this.cooling.set(principal, true);
          if (!result) return;
          const current = this.leases.get(key);
          if (!result.success) {
            this.leases.set(key, { left: current && current.expires === result.reset ? current.left : 0, expires: result.reset, storeRemaining: 0, refused: true });
            return;
          }
          // The background lease spends none of its units itself.
          const carried = current && current.expires === result.reset ? current.left : 0;
          this.leases.set(key, { left: carried + units, expires: result.reset, storeRemaining: result.remaining });
        },
        (error: unknown) => console.error(JSON.stringify({ error: `lease of ${check.limit.id} not refilled: ${(error as Error).message}` })),
      )
      .finally(() => {
        const current = this.leases.get(key);
        if (current?.pending === pending) delete current.pending;
      });
    lease.pending = pending;
    return pending;
  }
}
