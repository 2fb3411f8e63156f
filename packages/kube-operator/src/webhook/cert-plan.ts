// What to do with the webhook's TLS material kept in a Secret: keep it, issue a new serving
// certificate with the stored CA, or make a new CA (and a serving certificate). Decided from the
// stored PEM and the time alone, so every replica decides alike; `renewTls` carries a plan out.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { issueServingCert, newAuthority, type ServingCert } from './certs.js';

/** The Secret's keys: serving certificate and key, the CA bundle (current CA first) and the current CA's key. */
export interface StoredTls {
  readonly 'tls.crt'?: string;
  readonly 'tls.key'?: string;
  readonly 'ca.crt'?: string;
  readonly 'ca.key'?: string;
}

export interface CertWants {
  readonly dnsNames: readonly string[];
  /** Serving certificate lifetime; it is renewed once less than a third of it is left. */
  readonly leafDays: number;
  /** CA lifetime; a new CA is made once it would end before a fresh serving certificate. */
  readonly caDays: number;
}

export type CertPlan = { readonly kind: 'keep' } | { readonly kind: 'leaf' | 'ca'; readonly reason: string };

const DAY_MS = 86_400_000;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificates of a bundle, in order. */
export function splitPem(bundle: string): string[] {
  return bundle.match(PEM_CERT) ?? [];
}

function parse(pem: string | undefined): X509Certificate | undefined {
  if (!pem) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function keyMatches(cert: X509Certificate, keyPem: string | undefined): boolean {
  if (!keyPem) return false;
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** What to do with `stored` at `now` (ms) for `want`. Pure: no key is made here. */
export function planCert(stored: StoredTls | undefined, now: number, want: CertWants): CertPlan {
  const ca = parse(splitPem(stored?.['ca.crt'] ?? '')[0]);
  if (!ca || !keyMatches(ca, stored?.['ca.key'])) return { kind: 'ca', reason: stored?.['ca.crt'] ? 'the stored CA or its key is unreadable' : 'no certificate yet' };
  if (Date.parse(ca.validTo) < now + want.leafDays * DAY_MS) return { kind: 'ca', reason: `the CA expires ${ca.validTo}` };
  const leaf = parse(stored?.['tls.crt']);
  if (!leaf || !keyMatches(leaf, stored?.['tls.key'])) return { kind: 'leaf', reason: 'the serving certificate or its key is unreadable' };
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return { kind: 'leaf', reason: 'the serving certificate is not signed by the current CA' };
  const missing = want.dnsNames.find((n) => leaf.checkHost(n, { wildcards: false }) === undefined);
  if (missing !== undefined) return { kind: 'leaf', reason: `the serving certificate does not name ${missing}` };
  const from = Date.parse(leaf.validFrom);
  const to = Date.parse(leaf.validTo);
  if (now >= to - (to - from) / 3) return { kind: 'leaf', reason: `the serving certificate expires ${leaf.validTo}` };
  return { kind: 'keep' };
}

/**
 * New Secret contents for a 'leaf' or 'ca' plan (makes keys: not pure). A new CA is put first in
 * the bundle, followed by the old CAs still valid at `now`, so replicas still serving a certificate
 * of an old CA stay trusted until they pick the new one up.
 */
export function renewTls(stored: StoredTls | undefined, plan: Exclude<CertPlan, { kind: 'keep' }>, now: number, want: CertWants): Required<StoredTls> {
  const at = new Date(now);
  const old = splitPem(stored?.['ca.crt'] ?? '').filter((pem) => {
    const c = parse(pem);
    return c !== undefined && Date.parse(c.validTo) > now;
  });
  const authority = plan.kind === 'ca' ? newAuthority({ days: want.caDays, now: at }) : { cert: old[0] ?? '', key: stored?.['ca.key'] ?? '' };
  const bundle = plan.kind === 'ca' ? [authority.cert.trim(), ...old] : old;
  const leaf = issueServingCert(authority, { dnsNames: want.dnsNames, days: want.leafDays, now: at });
  return { 'tls.crt': leaf.cert, 'tls.key': leaf.key, 'ca.crt': `${bundle.join('\n')}\n`, 'ca.key': authority.key };
}

/** The serving material of complete stored contents. */
export function servingOf(t: Required<StoredTls>): ServingCert {
  return { cert: t['tls.crt'], key: t['tls.key'], ca: t['ca.crt'] };
}
