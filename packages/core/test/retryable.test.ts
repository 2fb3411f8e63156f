import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KontrolerError, backoffMs, isConnectionError, isRetryable, retryKind } from '@kontroler/core';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('retryKind: one place decides what is retryable', () => {
  const cases: Array<[string, unknown, ReturnType<typeof retryKind>]> = [
    ['serialization failure', withCode('40001'), 'conflict'],
    ['deadlock', withCode('40P01'), 'conflict'],
    ['connection failure (class 08)', withCode('08006'), 'connection'],
    ['admin shutdown / terminated backend', withCode('57P01'), 'connection'],
    ['cannot connect now (starting up)', withCode('57P03'), 'connection'],
    ['socket reset', withCode('ECONNRESET'), 'connection'],
    ['refused', withCode('ECONNREFUSED'), 'connection'],
    ['node-postgres broken client', new Error('Client has encountered a connection error and is not queryable'), 'connection'],
    ['node-postgres terminated', new Error('Connection terminated unexpectedly'), 'connection'],
    ['too many connections', withCode('53300'), 'throttled'],
    ['Kubernetes conflict', { statusCode: 409 }, 'conflict'],
    ['Kubernetes throttled', { statusCode: 429 }, 'throttled'],
    ['HTTP 503', { status: 503 }, 'unavailable'],
    ['retryable KontrolerError', new KontrolerError('UNAVAILABLE', 'later', { retryable: true }), 'unavailable'],
    ['wrapped cause', new Error('save failed', { cause: withCode('57P01') }), 'connection'],
    ['unique violation', withCode('23505'), undefined],
    ['syntax error', withCode('42601'), undefined],
    ['HTTP 400', { statusCode: 400 }, undefined],
    ['lease lost', new KontrolerError('LEASE_LOST', 'gone', { retryable: false }), undefined],
    ['plain error', new Error('boom'), undefined],
    ['not an object', 'ECONNRESET', undefined],
    ['null', null, undefined],
  ];
  for (const [name, err, kind] of cases) {
    test(`${name} → ${kind ?? 'not retryable'}`, () => {
      assert.equal(retryKind(err), kind);
      assert.equal(isRetryable(err), kind !== undefined);
      assert.equal(isConnectionError(err), kind === 'connection');
    });
  }
  test('a cause chain is followed only so deep (a cycle cannot hang it)', () => {
    const a: { cause?: unknown } = {};
    a.cause = a;
    assert.equal(retryKind(a), undefined);
  });
});

describe('backoffMs', () => {
  const policy = { baseMs: 100, maxMs: 30_000 };
  test('doubles from the base, between half and all of the step', () => {
    for (const [retry, full] of [[1, 100], [2, 200], [3, 400], [9, 25_600]] as const) {
      assert.equal(backoffMs(retry, policy, () => 0), full / 2);
      assert.equal(backoffMs(retry, policy, () => 0.999999), full);
    }
  });
  test('never above the cap, even for huge retry counts (the limit)', () => {
    assert.equal(backoffMs(10, policy, () => 0.999999), 30_000);
    assert.equal(backoffMs(1_000_000, policy, () => 0.999999), 30_000);
    assert.equal(backoffMs(1_000_000, policy, () => 0), 15_000);
  });
});
