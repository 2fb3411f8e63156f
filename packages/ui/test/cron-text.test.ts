import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCron, scheduleInWords } from '../dist-lib/lib/cron-text.js';

test('a cron schedule in words, with its time zone', () => {
  assert.equal(describeCron('30 2 * * 1-5'), 'At 02:30, Monday through Friday');
  assert.equal(describeCron('*/15 * * * *'), 'Every 15 minutes');
  assert.equal(scheduleInWords('0 6 * * *', 'Europe/Paris'), 'At 06:00 (Europe/Paris)');
});

test('an expression cronstrue cannot read has no words (the expression is shown alone)', () => {
  assert.equal(describeCron('not a cron'), undefined);
  assert.equal(scheduleInWords('not a cron', 'UTC'), 'not a cron (UTC)');
});
