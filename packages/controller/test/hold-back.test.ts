import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HAND_BACK_BACKOFF, HoldBack } from '@kontroler/controller';

describe('HoldBack', () => {
  test('each failure of a run holds it back longer, up to the limit; success forgets it', () => {
    const h = new HoldBack(HAND_BACK_BACKOFF, () => 0.999999);
    assert.deepEqual([1, 2, 3].map(() => h.hold(7, 0)), [1_000, 2_000, 4_000]);
    for (let i = 0; i < 20; i++) h.hold(7, 0);
    assert.equal(h.hold(7, 0), HAND_BACK_BACKOFF.maxMs, 'capped at the limit');
    assert.deepEqual(h.held(HAND_BACK_BACKOFF.maxMs - 1), [7]);
    assert.deepEqual(h.held(HAND_BACK_BACKOFF.maxMs), [], 'free once the delay is over');
    h.clear(7);
    assert.equal(h.hold(7, 0), 1_000, 'a success resets the count');
  });

  test('entries are forgotten once their hold ended more than the longest delay ago (bounded)', () => {
    const h = new HoldBack(HAND_BACK_BACKOFF, () => 0.999999);
    for (let id = 0; id < 1000; id++) h.hold(id, 0);
    assert.equal(h.held(500).length, 1000);
    h.held(1_000 + HAND_BACK_BACKOFF.maxMs + 1);
    assert.equal(h.hold(1, 2_000_000), 1_000, 'forgotten: counts from the first delay again');
  });
});
