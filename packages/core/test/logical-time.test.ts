import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fireTimesInRange, formatLogicalTime, parseLogicalTime, previousFireTime } from '@kontroler/core';

const at = (s: string) => Date.parse(s);

describe('formatLogicalTime', () => {
  test('RFC 3339 in the time zone, with its offset at that instant (DST in and out)', () => {
    assert.equal(formatLogicalTime(at('2026-01-15T12:00:00Z'), 'UTC'), '2026-01-15T12:00:00+00:00');
    assert.equal(formatLogicalTime(at('2026-01-15T12:00:00Z'), 'Europe/Berlin'), '2026-01-15T13:00:00+01:00');
    // Berlin springs forward at 01:00Z on 2026-03-29: 00:59:59Z is 01:59:59+01:00, 01:00Z is 03:00+02:00.
    assert.equal(formatLogicalTime(at('2026-03-29T00:59:59Z'), 'Europe/Berlin'), '2026-03-29T01:59:59+01:00');
    assert.equal(formatLogicalTime(at('2026-03-29T01:00:00Z'), 'Europe/Berlin'), '2026-03-29T03:00:00+02:00');
    // ... and falls back at 01:00Z on 2026-10-25: 02:30 is seen twice, with two offsets.
    assert.equal(formatLogicalTime(at('2026-10-25T00:30:00Z'), 'Europe/Berlin'), '2026-10-25T02:30:00+02:00');
    assert.equal(formatLogicalTime(at('2026-10-25T01:30:00Z'), 'Europe/Berlin'), '2026-10-25T02:30:00+01:00');
    assert.equal(formatLogicalTime(at('2026-07-01T00:00:00Z'), 'America/New_York'), '2026-06-30T20:00:00-04:00');
    assert.equal(formatLogicalTime(at('2026-07-01T00:00:00Z'), 'Asia/Kolkata'), '2026-07-01T05:30:00+05:30');
    assert.equal(formatLogicalTime(at('2026-07-01T00:00:00.250Z'), 'UTC'), '2026-07-01T00:00:00.250+00:00');
    // Midnight is 00, never 24 (hourCycle h23).
    assert.equal(formatLogicalTime(at('2026-07-01T22:00:00Z'), 'Europe/Berlin'), '2026-07-02T00:00:00+02:00');
  });
  test('every formatted time parses back to the same instant', () => {
    for (let t = at('2026-03-28T20:00:00Z'); t < at('2026-03-29T06:00:00Z'); t += 15 * 60_000) {
      for (const tz of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'UTC']) {
        const p = parseLogicalTime(formatLogicalTime(t, tz));
        assert.ok(p.ok && p.ms === t, `${tz} ${new Date(t).toISOString()}`);
      }
    }
  });
  test('an unknown time zone throws VALIDATION_FAILED', () => {
    assert.throws(() => formatLogicalTime(0, 'Mars/Olympus'), (e: { code?: string }) => e.code === 'VALIDATION_FAILED');
  });
});

describe('parseLogicalTime', () => {
  test('RFC 3339 with Z or an offset; fractions', () => {
    assert.deepEqual(parseLogicalTime('2026-01-31T00:00:00Z'), { ok: true, ms: at('2026-01-31T00:00:00Z') });
    assert.deepEqual(parseLogicalTime('2026-01-31T01:00:00+01:00'), { ok: true, ms: at('2026-01-31T00:00:00Z') });
    assert.deepEqual(parseLogicalTime('2026-01-30T19:30:00.5-04:30'), { ok: true, ms: at('2026-01-31T00:00:00.500Z') });
  });
  test('refuses what is not one, naming the format', () => {
    for (const bad of ['2026-01-31', '2026-01-31T00:00:00', 'yesterday', '2026-02-30T00:00:00Z', '2026-01-31T24:00:00Z', '2026-01-31T00:00:00+25:00', `2026-01-31T00:00:00.${'1'.repeat(40)}Z`]) {
      const p = parseLogicalTime(bad);
      assert.equal(p.ok, false, bad);
      assert.match(p.ok ? '' : p.message, /RFC 3339/);
    }
  });
});

describe('fire times', () => {
  test('fireTimesInRange: [from, to), oldest first, through DST; `more` past the bound', () => {
    const r = fireTimesInRange('0 * * * *', 'Europe/Berlin', new Date('2026-03-29T00:00:00Z'), new Date('2026-03-29T03:00:00Z'), 100);
    assert.deepEqual(r.times.map((d) => formatLogicalTime(d.getTime(), 'Europe/Berlin')), ['2026-03-29T01:00:00+01:00', '2026-03-29T03:00:00+02:00', '2026-03-29T04:00:00+02:00']);
    assert.equal(r.more, false);
    const bounded = fireTimesInRange('0 * * * *', 'UTC', new Date('2026-01-01T00:00:00Z'), new Date('2026-01-02T00:00:00Z'), 10);
    assert.equal(bounded.times.length, 10);
    assert.equal(bounded.more, true);
    assert.equal(fireTimesInRange('0 0 * * *', 'UTC', new Date('2026-01-01T00:00:01Z'), new Date('2026-01-02T00:00:00Z'), 10).times.length, 0, 'from after the fire, to exclusive');
  });
  test('previousFireTime: strictly before', () => {
    assert.equal(previousFireTime('0 0 * * *', 'UTC', new Date('2026-01-02T00:00:00Z'))?.toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(previousFireTime('0 0 * * *', 'UTC', new Date('2026-01-02T00:00:00.500Z'))?.toISOString(), '2026-01-02T00:00:00.000Z');
    assert.equal(previousFireTime('0 0 * * *', 'Europe/Berlin', new Date('2026-03-30T22:00:00Z'))?.toISOString(), '2026-03-29T22:00:00.000Z');
  });
});
