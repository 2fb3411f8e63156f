import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogText, color256, findMatches, markSpans, parseLine, stripAnsi } from '../dist-lib/features/logs/ansi.js';

test('plain text and SGR colours become spans with theme classes', () => {
  const { line } = parseLine('ok \x1b[31;1mFAIL\x1b[0m done');
  assert.equal(line.text, 'ok FAIL done');
  assert.deepEqual(line.spans, [{ text: 'ok ' }, { text: 'FAIL', cls: 'fg-1 b' }, { text: ' done' }]);
});

test('256 and true colour, bright colours, inverse', () => {
  assert.deepEqual(parseLine('\x1b[38;5;196mx').line.spans, [{ text: 'x', fg: color256(196) }]);
  assert.deepEqual(parseLine('\x1b[48;2;1;2;3my').line.spans, [{ text: 'y', bg: 'rgb(1,2,3)' }]);
  assert.deepEqual(parseLine('\x1b[92mz').line.spans, [{ text: 'z', cls: 'fg-10' }]);
  assert.deepEqual(parseLine('\x1b[7mi').line.spans, [{ text: 'i', cls: 'fg-inv bg-inv' }]);
  assert.equal(color256(16), 'rgb(0,0,0)');
  assert.equal(color256(232), 'rgb(8,8,8)');
});

test('styles carry across lines and chunks; other escapes are dropped', () => {
  const log = new LogText();
  log.append('\x1b[32mgreen\nstill gr');
  log.append('een\x1b[0m\n\x1b[2K\x1b]0;title\x07plain\n');
  assert.deepEqual(log.lines.map((l) => l.text), ['green', 'still green', 'plain']);
  assert.deepEqual(log.lines[1]!.spans, [{ text: 'still green', cls: 'fg-2' }]);
  assert.deepEqual(log.lines[2]!.spans, [{ text: 'plain' }]);
});

test('an unfinished last line is shown and completed by the next chunk', () => {
  const log = new LogText();
  log.append('a\nhal');
  assert.deepEqual(log.lines.map((l) => l.text), ['a', 'hal']);
  log.append('f\nb');
  assert.deepEqual(log.lines.map((l) => l.text), ['a', 'half', 'b']);
  assert.equal(log.rawText(), 'a\nhalf\nb');
});

test('carriage returns overwrite the line as in a terminal; CRLF is a line end', () => {
  const log = new LogText();
  log.append('10%\r50%\r100%\nwin\r\n');
  assert.deepEqual(log.lines.map((l) => l.text), ['100%', 'win']);
});

test('stripAnsi', () => {
  assert.equal(stripAnsi('\x1b[1;31mred\x1b[0m\x1b[K'), 'red');
});

test('several megabytes parse in well under a second', () => {
  const log = new LogText();
  const line = 'INFO \x1b[36m2024-01-01T00:00:00Z\x1b[0m worker processed item with a fairly long line of text\n';
  const chunk = line.repeat(2000);
  const t0 = performance.now();
  for (let i = 0; i < 40; i++) log.append(chunk); // ~7 MB
  const ms = performance.now() - t0;
  assert.equal(log.lines.length, 80_000);
  assert.ok(ms < 3000, `took ${ms} ms`);
  const t1 = performance.now();
  assert.equal(findMatches(log.lines, 'WORKER', { limit: 100_000 }).length, 80_000);
  assert.ok(performance.now() - t1 < 1000);
});

test('findMatches (case-insensitive by default) and markSpans split spans at match boundaries', () => {
  const { line } = parseLine('ab\x1b[31mcdAB\x1b[0mx');
  const m = findMatches([line], 'ab');
  assert.deepEqual(m, [{ line: 0, start: 0, end: 2 }, { line: 0, start: 4, end: 6 }]);
  assert.deepEqual(findMatches([line], 'ab', { caseSensitive: true }), [{ line: 0, start: 0, end: 2 }]);
  const marked = markSpans(line.spans, [{ start: 1, end: 3 }, { start: 4, end: 6, current: true }]);
  assert.deepEqual(marked, [
    { text: 'a' },
    { text: 'b', mark: true },
    { text: 'c', cls: 'fg-1', mark: true },
    { text: 'd', cls: 'fg-1' },
    { text: 'AB', cls: 'fg-1', mark: true, current: true },
    { text: 'x' },
  ]);
});
