// The log viewer's line bookkeeping: byte ends (for stored times), the task's line numbers (the
// runtime's own notices not counted), `#L120`, per-line times from chunk times, "matching only".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogText } from '../dist-lib/features/logs/ansi.js';
import { isKontrolerLine, lineFromHash, lineTimeLabel, lineTimes, shownLines, utf8Length } from '../dist-lib/features/logs/log-lines.js';

test('line numbers are the task\'s: the runtime\'s notice before the first line and shaper markers are not numbered', () => {
  const log = new LogText();
  log.append('[kontroler] local runtime: alpine; running its script with /bin/sh on this machine\nfirst\nsec');
  log.append('ond\n[kontroler: 120 bytes cut]\n[kontroler] said by the task\nlast');
  assert.deepEqual(log.lines.map((l) => l.text), ['[kontroler] local runtime: alpine; running its script with /bin/sh on this machine', 'first', 'second', '[kontroler: 120 bytes cut]', '[kontroler] said by the task', 'last']);
  assert.deepEqual(log.numbers, [0, 1, 2, 0, 3, 4], 'a task line that looks like a notice, after the task\'s first line, is the task\'s');
  assert.deepEqual(log.indexOfNumber, [1, 2, 4, 5]);
  // The unfinished last line grows without being numbered twice.
  log.append(' line\n');
  assert.deepEqual(log.numbers, [0, 1, 2, 0, 3, 4]);
  assert.equal(log.lines[5]!.text, 'last line');
  assert.equal(isKontrolerLine('[kontroler: line split at 65536 bytes]', 9), true);
  assert.equal(isKontrolerLine('[kontroler] x', 0), true);
  assert.equal(isKontrolerLine('[kontroler] x', 1), false);
});

test('byte ends of lines count UTF-8 bytes and newlines, across chunks', () => {
  const log = new LogText();
  log.append('aé\n€');
  log.append('𝄞\n\nend');
  // 'aé\n' = 1 + 2 + 1; '€𝄞\n' = 3 + 4 + 1; '\n' = 1; 'end' = 3 (unfinished).
  assert.deepEqual(log.ends, [4, 12, 13, 16]);
  assert.equal(utf8Length('€𝄞'), 7);
});

test('a line\'s time is its last byte\'s chunk\'s; unknown past the chunks or for chunks without a time', () => {
  const ends = [4, 12, 13, 16];
  const chunks = [
    { offset: 0, size: 6, storedAt: 1000 },
    { offset: 6, size: 7, storedAt: 2000 },
    { offset: 13, size: 2, storedAt: null },
  ];
  assert.deepEqual(lineTimes(ends, chunks), [1000, 2000, 2000, undefined]);
  assert.deepEqual(lineTimes(ends, []), [undefined, undefined, undefined, undefined]);
  assert.equal(lineTimeLabel(Date.parse('2024-05-01T10:04:05.250Z'), 'UTC'), '10:04:05.250');
});

test('#L links and the matching-only rows', () => {
  assert.equal(lineFromHash('#L120'), 120);
  for (const bad of ['', '#L0', '#L', '#Lx', '#l5', '#L1234567890', '#L12a']) assert.equal(lineFromHash(bad), undefined, bad);
  assert.deepEqual(shownLines(10, [1, 1, 4, 9, 12]), [1, 4, 9]);
  assert.equal(shownLines(10, undefined), undefined);
});
