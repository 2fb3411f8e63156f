// When a candidate may take or keep a coordination.k8s.io Lease, as client-go's leaderelection
// decides it. Pure: the clock and the time the record was last seen changing are inputs, and
// expiry is judged by the local observation time, not the holder's renewTime (clock skew).

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

export type LeaseDecision = 'renew' | 'acquire' | 'wait';

/**
 * - `renew`: we hold it;
 * - `acquire`: free (no holder) or expired (unchanged for its duration since we last saw it change);
 * - `wait`: someone else holds it.
 */
export function decideLease(spec: LeaseSpec | undefined, me: string, now: number, observedAt: number, defaultDurationMs: number): LeaseDecision {
  const holder = spec?.holderIdentity ?? '';
  if (holder === me) return 'renew';
  if (holder === '') return 'acquire';
  const duration = spec?.leaseDurationSeconds ? spec.leaseDurationSeconds * 1000 : defaultDurationMs;
  return observedAt + duration <= now ? 'acquire' : 'wait';
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The spec we write to take or keep the lease. */
export function nextLeaseSpec(spec: LeaseSpec | undefined, me: string, now: number, durationMs: number): LeaseSpec {
  const holding = (spec?.holderIdentity ?? '') === me;
  return {
    holderIdentity: me,
    leaseDurationSeconds: Math.max(1, Math.round(durationMs / 1000)),
    acquireTime: holding && spec?.acquireTime ? spec.acquireTime : microTime(now),
    renewTime: microTime(now),
    leaseTransitions: (spec?.leaseTransitions ?? 0) + (holding ? 0 : 1),
  };
}
