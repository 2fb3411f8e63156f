import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkSchedule, hasCode, isValidTimezone, missedFireTimes, nextFireTimes } from '@kontroler/core';

const iso = (ds: Date[]): string[] => ds.map((d) => d.toISOString());

describe('checkSchedule', () => {
  test('5 fields and descriptors', () => {
    assert.deepEqual(checkSchedule('  */15   *  * * * '), { ok: true, pattern: '*/15 * * * *' });
    assert.deepEqual(checkSchedule('@daily'), { ok: true, pattern: '0 0 * * *' });
    assert.deepEqual(checkSchedule('@Weekly'), { ok: true, pattern: '0 0 * * 0' });
    assert.equal(checkSchedule('5/15 * * * *').ok, true, 'robfig/cron accepts N/step');
    assert.equal(checkSchedule('0 9 * JAN-MAR MON-FRI').ok, true);
  });
  test('refusals say why', () => {
    const msg = (s: string): string => {
      const r = checkSchedule(s);
      assert.equal(r.ok, false, s);
      return r.ok ? '' : r.message;
    };
    assert.match(msg('0 0 * * * *'), /6 fields.*no seconds field/);
    assert.match(msg('* *'), /2 fields; expected 5/);
    assert.match(msg('@every 1h'), /unknown descriptor/);
    assert.match(msg('* 25 * * *'), /invalid cron pattern/);
    assert.match(msg('0 0 31 4 *'), /never fires/);
    assert.match(msg(''), /empty/);
  });
});

test('isValidTimezone', () => {
  for (const tz of ['UTC', 'Europe/Stockholm', 'America/New_York', 'Asia/Kolkata']) assert.equal(isValidTimezone(tz), true, tz);
  for (const tz of ['', 'Mars/Base', '+02:00', '-5', 'Europe/Nowhere']) assert.equal(isValidTimezone(tz), false, tz);
});

describe('nextFireTimes', () => {
  test('strictly after the reference, ascending', () => {
    assert.deepEqual(iso(nextFireTimes('*/15 * * * *', 'UTC', new Date('2024-01-01T00:15:00Z'), 3)), [
      '2024-01-01T00:30:00.000Z',
      '2024-01-01T00:45:00.000Z',
      '2024-01-01T01:00:00.000Z',
    ]);
  });
  test('in a time zone, across a DST change', () => {
    // Stockholm: CET (UTC+1) until 2024-03-31 02:00 local, then CEST (UTC+2).
    assert.deepEqual(iso(nextFireTimes('30 2 * * *', 'Europe/Stockholm', new Date('2024-03-29T12:00:00Z'), 3)), [
      '2024-03-30T01:30:00.000Z',
      '2024-03-31T01:00:00.000Z', // 02:30 does not exist that day; fixed-time jobs run right after the gap
      '2024-04-01T00:30:00.000Z',
    ]);
  });
  test('descriptors', () => {
    assert.deepEqual(iso(nextFireTimes('@monthly', 'UTC', new Date('2024-01-15T00:00:00Z'), 2)), ['2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z']);
  });
  test('invalid input throws VALIDATION_FAILED', () => {
    assert.throws(() => nextFireTimes('* * * * * *', 'UTC', new Date(), 1), (e) => hasCode(e, 'VALIDATION_FAILED'));
    assert.throws(() => nextFireTimes('* * * * *', 'Mars/Base', new Date(), 1), (e) => hasCode(e, 'VALIDATION_FAILED'));
    assert.deepEqual(nextFireTimes('* * * * *', 'UTC', new Date(), 0), []);
  });
});

describe('missedFireTimes', () => {
  const from = new Date('2024-01-01T00:00:00Z');
  test('the latest `max` in (from, to], ascending; `to` itself counts, `from` does not', () => {
    assert.deepEqual(iso(missedFireTimes('*/10 * * * *', 'UTC', from, new Date('2024-01-01T01:00:00Z'), 3)), [
      '2024-01-01T00:40:00.000Z',
      '2024-01-01T00:50:00.000Z',
      '2024-01-01T01:00:00.000Z',
    ]);
    assert.deepEqual(iso(missedFireTimes('*/10 * * * *', 'UTC', from, new Date('2024-01-01T00:25:00Z'), 10)), [
      '2024-01-01T00:10:00.000Z',
      '2024-01-01T00:20:00.000Z',
    ]);
  });
  test('a long gap is cheap and returns only the most recent', () => {
    const t0 = Date.now();
    const r = missedFireTimes('* * * * *', 'UTC', new Date('2000-01-01T00:00:00Z'), new Date('2024-06-01T12:00:30Z'), 1);
    assert.deepEqual(iso(r), ['2024-06-01T12:00:00.000Z']);
    assert.ok(Date.now() - t0 < 2000);
  });
  test('nothing missed', () => {
    assert.deepEqual(missedFireTimes('0 0 * * *', 'UTC', from, new Date('2024-01-01T12:00:00Z'), 5), []);
    assert.deepEqual(missedFireTimes('* * * * *', 'UTC', from, from, 5), []);
    assert.deepEqual(missedFireTimes('* * * * *', 'UTC', from, new Date('2024-01-01T00:10:00Z'), 0), []);
  });
});
