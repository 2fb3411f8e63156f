// Throttles repeated failures per key (a username and client address, or an address and a DAG)
// with growing delays: the first `freeFailures` are answered normally, then each further failure
// makes the key wait `baseDelayMs`, doubled each time, up to `maxDelayMs`. Nothing is locked: a key
// only slows itself down, so a third party's wrong passwords cannot lock a user out from elsewhere.
// In memory, per server process (several replicas each throttle, which still bounds guessing).
// Memory is bounded: at most `maxKeys` keys, the one that failed least recently evicted first.

import { isIPv6 } from 'node:net';
import type { RateLimitConfig } from '../config.js';

/** Most keys a throttle tracks (default). */
export const MAX_THROTTLE_KEYS = 100_000;

export interface ThrottleOptions {
  /** Failures answered normally before delays start. */
  freeFailures: number;
  /** The first delay (ms), doubled at each further failure. */
  baseDelayMs: number;
  /** The longest delay (ms). */
  maxDelayMs: number;
  /** A key without a failure for this long is forgotten (ms). */
  forgetAfterMs: number;
  /** Most keys tracked; the least recently failed is evicted (default MAX_THROTTLE_KEYS). */
  maxKeys?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  blockedUntil: number;
}

export class FailureThrottle {
  // Insertion order = order of the last failure (re-inserted at each one): the head is the oldest.
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly o: ThrottleOptions) {
    this.now = o.now ?? Date.now;
    this.maxKeys = o.maxKeys ?? MAX_THROTTLE_KEYS;
  }

  /** Seconds until `key` may try again (for Retry-After), or 0 when it may now. */
  retryAfter(key: string): number {
    const e = this.live(key);
    if (!e) return 0;
    const wait = e.blockedUntil - this.now();
    return wait > 0 ? Math.ceil(wait / 1000) : 0;
  }

  /** Records a failure of `key`; returns the seconds it must now wait (0 while failures are free). */
  fail(key: string): number {
    const t = this.now();
    const e = this.live(key) ?? { failures: 0, lastFailure: t, blockedUntil: 0 };
    e.failures++;
    e.lastFailure = t;
    const over = e.failures - this.o.freeFailures;
    if (over >= 0) e.blockedUntil = t + Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(over, 40));
    this.entries.delete(key);
    this.entries.set(key, e);
    this.evict();
    return e.blockedUntil > t ? Math.ceil((e.blockedUntil - t) / 1000) : 0;
  }

  /** Forgets `key` (after a success). */
  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Keys tracked now. */
  get size(): number {
    return this.entries.size;
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && this.expired(e, this.now())) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private expired(e: Entry, t: number): boolean {
    return e.lastFailure + this.o.forgetAfterMs <= t && e.blockedUntil <= t;
  }

  /**
   * Over the bound: drops the least recently failed keys, 1% of the bound at a time, so the scan
   * from the map's head (which may skip deleted slots) is paid once per many failures.
   */
  private evict(): void {
    if (this.entries.size <= this.maxKeys) return;
    let drop = this.entries.size - this.maxKeys + Math.floor(this.maxKeys / 100);
    for (const k of this.entries.keys()) {
      if (drop-- <= 0) break;
      this.entries.delete(k);
    }
  }
}

/** A throttle from a configuration entry (delays 1 s, 2 s, 4 s, ... up to `maxDelaySeconds`). */
export function throttleFrom(c: RateLimitConfig, now?: () => number): FailureThrottle {
  return new FailureThrottle({
    freeFailures: c.max,
    baseDelayMs: (c.baseDelaySeconds ?? 1) * 1000,
    maxDelayMs: (c.maxDelaySeconds ?? c.windowSeconds) * 1000,
    forgetAfterMs: c.windowSeconds * 1000,
    ...(now ? { now } : {}),
  });
}

/**
 * The client address as a throttle key: IPv4 as is (also when IPv4-mapped), IPv6 by its /64
 * prefix, since one host usually holds a whole /64 and could otherwise try from endless addresses.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]!.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
