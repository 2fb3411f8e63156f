// Remembers resolved credentials for a few seconds so a busy client does not cost a database
// round trip per request. Any credential or role change anywhere (NOTIFY on the auth channel, or
// a change made through this server) clears it at once; the TTL only bounds the case where
// notifications are down.
import type { Principal } from '../rbac.js';

export class AuthCache {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();
  /** Bumped by every clear: a lookup that started before a clear must not be cached after it. */
  private gen = 0;

  constructor(
    private readonly ttlMs = 5000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(credential: string): Principal | undefined {
    const e = this.entries.get(credential);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.entries.delete(credential);
      return undefined;
    }
    return e.principal;
  }

  /** Take before looking a credential up; pass to `set`. */
  generation(): number {
    return this.gen;
  }

  /** Caches until the TTL or the credential's own expiry, whichever is first (unless cleared since `generation`). */
  set(credential: string, principal: Principal, expiresAt: number | null, generation: number): void {
    if (this.ttlMs <= 0 || generation !== this.gen) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(credential, { principal, until: Math.min(this.now() + this.ttlMs, expiresAt ?? Number.POSITIVE_INFINITY) });
  }

  clear(): void {
    this.gen++;
    this.entries.clear();
  }
}
