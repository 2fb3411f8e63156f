// The webhook certificate plan: a fresh Secret gets a CA; a serving certificate is renewed with a
// third of its life left, or when it lacks a DNS name or another CA signed it; a CA near its end
// is replaced and the old one stays in the bundle while it is valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { planCert, renewTls, splitPem, type CertWants } from '@kontroler/kube-operator';

const DAY = 86_400_000;
const want: CertWants = { dnsNames: ['kontroler-webhook.ns.svc', 'kontroler-webhook'], leafDays: 30, caDays: 90 };
const t0 = Date.parse('2026-01-01T00:00:00Z');

test('an empty or unreadable Secret gets a new CA and serving certificate, which is then kept', () => {
  assert.equal(planCert(undefined, t0, want).kind, 'ca');
  assert.equal(planCert({ 'ca.crt': 'garbage', 'ca.key': 'x' }, t0, want).kind, 'ca');
  const tls = renewTls(undefined, { kind: 'ca', reason: 'test' }, t0, want);
  const leaf = new X509Certificate(tls['tls.crt']);
  const ca = new X509Certificate(splitPem(tls['ca.crt'])[0] ?? '');
  assert.ok(leaf.verify(ca.publicKey));
  for (const n of want.dnsNames) assert.equal(leaf.checkHost(n), n);
  assert.deepEqual(planCert(tls, t0, want), { kind: 'keep' });
  assert.deepEqual(planCert(tls, t0 + 19 * DAY, want), { kind: 'keep' });
});

test('the serving certificate is renewed with a third of its life left, by the same CA', () => {
  const tls = renewTls(undefined, { kind: 'ca', reason: 'test' }, t0, want);
  const plan = planCert(tls, t0 + 21 * DAY, want);
  if (plan.kind === 'keep') return assert.fail('renewal expected');
  assert.equal(plan.kind, 'leaf');
  const next = renewTls(tls, plan, t0 + 21 * DAY, want);
  assert.equal(next['ca.crt'], tls['ca.crt'], 'the CA bundle is unchanged: no caBundle change needed');
  assert.notEqual(next['tls.crt'], tls['tls.crt']);
  assert.deepEqual(planCert(next, t0 + 21 * DAY, want), { kind: 'keep' });
});

test('a certificate lacking a wanted DNS name, or signed by another CA, is reissued', () => {
  const tls = renewTls(undefined, { kind: 'ca', reason: 'test' }, t0, want);
  assert.match(JSON.stringify(planCert(tls, t0, { ...want, dnsNames: [...want.dnsNames, 'other.ns.svc'] })), /does not name other\.ns\.svc/);
  const other = renewTls(undefined, { kind: 'ca', reason: 'test' }, t0, want);
  assert.equal(planCert({ ...tls, 'tls.crt': other['tls.crt'], 'tls.key': other['tls.key'] }, t0, want).kind, 'leaf');
});

test('a CA that would end before a fresh serving certificate is replaced; the old CA stays trusted while valid', () => {
  const tls = renewTls(undefined, { kind: 'ca', reason: 'test' }, t0, want);
  const late = t0 + 70 * DAY; // the CA (90 days) ends within a serving certificate's 30 days
  const plan = planCert(tls, late, want);
  if (plan.kind === 'keep') return assert.fail('renewal expected');
  assert.equal(plan.kind, 'ca');
  const next = renewTls(tls, plan, late, want);
  const bundle = splitPem(next['ca.crt']);
  assert.equal(bundle.length, 2);
  assert.equal(bundle[1], splitPem(tls['ca.crt'])[0], 'the old CA follows the new one');
  assert.ok(new X509Certificate(next['tls.crt']).verify(new X509Certificate(bundle[0] ?? '').publicKey));
  // Once the old CA has expired, the next new CA drops it.
  const later = renewTls(next, { kind: 'ca', reason: 'test' }, t0 + 95 * DAY, want);
  assert.equal(splitPem(later['ca.crt']).length, 2, 'the second CA is valid still, the first is gone');
  assert.ok(!later['ca.crt'].includes(splitPem(tls['ca.crt'])[0] ?? 'x'));
});
