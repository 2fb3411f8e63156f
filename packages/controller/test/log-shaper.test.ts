import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LogShaper, MIN_LOG_BYTES, MIN_LOG_LINE_BYTES, checkLogLimits, cutMarker, headBytesFor, splitMarker, tailBytesFor, type LogLimits, type StoredPiece } from '@kontroler/controller';

const enc = (s: string) => new TextEncoder().encode(s);

/** Collects pieces, checking they are contiguous from `from`. */
class Sink {
  private parts: Uint8Array[] = [];
  constructor(public end = 0) {}
  take(pieces: readonly StoredPiece[]): void {
    for (const p of pieces) {
      assert.equal(p.offset, this.end, 'pieces are contiguous');
      this.parts.push(p.data.slice());
      this.end += p.data.length;
    }
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function feedAll(sh: LogShaper, sink: Sink, data: Uint8Array, chunk: number, from = 0): void {
  for (let at = from; at < data.length; at += chunk) sink.take(sh.feed(at, data.subarray(at, Math.min(data.length, at + chunk))));
}

describe('log shaper', () => {
  const small: LogLimits = { maxBytes: 1024 * 1024, maxLineBytes: 1000 };

  test('output under the caps is stored unchanged, and re-delivered bytes are ignored', () => {
    const sh = new LogShaper(small);
    const sink = new Sink();
    sink.take(sh.feed(0, enc('hello\nwor')));
    sink.take(sh.feed(6, enc('world\n'))); // overlaps "wor"
    sink.take(sh.finish());
    assert.equal(sink.bytes().toString(), 'hello\nworld\n');
    assert.deepEqual(sh.durable, { stored: 12, received: 12, line: 0 });
  });

  test('a line of exactly the line cap is kept; one byte more is split there with a marker', () => {
    const limits: LogLimits = { maxBytes: 1024 * 1024, maxLineBytes: 100 };
    const at = (s: string) => {
      const sh = new LogShaper(limits);
      const sink = new Sink();
      sink.take(sh.feed(0, enc(s)));
      sink.take(sh.finish());
      return sink.bytes().toString();
    };
    const exact = 'x'.repeat(100);
    assert.equal(at(`${exact}\nnext\n`), `${exact}\nnext\n`);
    assert.equal(at(`${exact}y\nnext\n`), `${exact}${splitMarker(100)}y\nnext\n`);
    // Split at the cap across chunks, every time the cap is reached.
    const sh = new LogShaper(limits);
    const sink = new Sink();
    feedAll(sh, sink, enc('z'.repeat(350)), 7);
    sink.take(sh.finish());
    const lines = sink.bytes().toString().split('\n');
    assert.deepEqual(lines.map((l) => l.length), [100, splitMarker(100).length - 2, 100, splitMarker(100).length - 2, 100, splitMarker(100).length - 2, 50]);
  });

  test('a split never cuts a UTF-8 character', () => {
    const sh = new LogShaper({ maxBytes: 1024 * 1024, maxLineBytes: 100 });
    const sink = new Sink();
    const text = 'é'.repeat(500); // 2 bytes each: the cap falls inside one when odd
    feedAll(sh, sink, enc(`a${text}`), 33);
    sink.take(sh.finish());
    const out = sink.bytes();
    assert.equal(out.toString('utf8').includes('\ufffd'), false);
    const lines = out.toString('utf8').split('\n').filter((l) => !l.startsWith('[kontroler'));
    assert.equal(lines.join(''), `a${text}`);
    for (const l of lines) assert.ok(Buffer.byteLength(l) <= 100);
  });

  test('past the cap: the head, a marker with the bytes cut, and the exact tail; never more than the cap', () => {
    const limits: LogLimits = { maxBytes: 1024 * 1024, maxLineBytes: 64 * 1024 };
    const sh = new LogShaper(limits);
    const sink = new Sink();
    const lines: string[] = [];
    for (let i = 0; lines.length < 700_000; i++) lines.push(`line ${i} ${'.'.repeat(i % 40)}`);
    const input = enc(`${lines.join('\n')}\n`); // ~ 20 MB
    assert.ok(input.length > 20 * 1024 * 1024);
    feedAll(sh, sink, input, 65536);
    const beforeEnd = sink.end;
    assert.equal(beforeEnd, headBytesFor(limits.maxBytes), 'the head is stored as output arrives');
    sink.take(sh.finish());
    const out = sink.bytes();
    assert.ok(out.length <= limits.maxBytes, `${out.length} <= cap`);
    const tail = tailBytesFor(limits.maxBytes);
    const cut = input.length - headBytesFor(limits.maxBytes) - tail;
    const marker = cutMarker(cut);
    assert.deepEqual(out.subarray(0, beforeEnd), Buffer.from(input.subarray(0, beforeEnd)));
    assert.equal(out.subarray(beforeEnd, beforeEnd + marker.length).toString(), marker);
    assert.deepEqual(out.subarray(beforeEnd + marker.length), Buffer.from(input.subarray(input.length - tail)), 'the tail is the end of the output');
    assert.equal(out.length, beforeEnd + marker.length + tail);
  });

  test('a 100 MB line with the default caps: split lines, the cap held, fast', () => {
    const limits: LogLimits = { maxBytes: 64 * 1024 * 1024, maxLineBytes: 64 * 1024 };
    const sh = new LogShaper(limits);
    const sink = new Sink();
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const t0 = Date.now();
    let at = 0;
    for (; at < 100 * 1024 * 1024; at += chunk.length) sink.take(sh.feed(at, chunk));
    sink.take(sh.feed(at, enc('\nbye\n')));
    sink.take(sh.finish());
    const ms = Date.now() - t0;
    const out = sink.bytes();
    assert.ok(out.length <= limits.maxBytes);
    assert.ok(out.length > limits.maxBytes - 1024 * 1024);
    assert.ok(out.toString('latin1').endsWith('a\nbye\n') || out.toString('latin1').endsWith(`${splitMarker(65536).slice(1)}bye\n`));
    assert.match(out.subarray(headBytesFor(limits.maxBytes), headBytesFor(limits.maxBytes) + 200).toString(), /\[kontroler: \d+ bytes cut\]/);
    let longest = 0;
    let cur = 0;
    for (const b of out) {
      if (b === 0x0a) cur = 0;
      else longest = Math.max(longest, ++cur);
    }
    assert.ok(longest <= 64 * 1024, `longest stored line ${longest}`);
    console.log(`# 100 MB line shaped in ${ms} ms into ${out.length} bytes`);
  });

  test('a controller taking over from the durable state stores the same log as one that never stopped', () => {
    const limits: LogLimits = { maxBytes: 8192, maxLineBytes: 100 };
    const input = enc(Array.from({ length: 900 }, (_, i) => `${i}:${'y'.repeat((i * 37) % 250)}`).join('\n'));
    const whole = new Sink();
    const one = new LogShaper(limits);
    feedAll(one, whole, input, 50);
    whole.take(one.finish());
    for (const stopAt of [10, 1000, 3500, 4200, 9000, input.length - 10]) {
      const first = new LogShaper(limits);
      const sink = new Sink();
      feedAll(first, sink, input.subarray(0, stopAt), 50);
      // The store holds first.durable; the runtime re-delivers from durable.received.
      const d = first.durable;
      const kept = new Sink();
      kept.take([{ offset: 0, data: sink.bytes().subarray(0, d.stored) }]);
      const second = new LogShaper(limits, d);
      feedAll(second, kept, input, 50, d.received);
      kept.take(second.finish());
      assert.deepEqual(kept.bytes(), whole.bytes(), `takeover at raw ${stopAt} (durable ${JSON.stringify(d)})`);
    }
  });

  test('bytes never delivered or dropped are replaced by a marker', () => {
    const sh = new LogShaper(small);
    const sink = new Sink();
    sink.take(sh.feed(0, enc('a\n')));
    sink.take(sh.feed(10, enc('b\n')));
    sink.take(sh.skip(12, 5, 'dropped: the database was unavailable'));
    sink.take(sh.feed(17, enc('c\n')));
    sink.take(sh.finish());
    assert.equal(sink.bytes().toString(), 'a\n[kontroler: 8 bytes missing: the runtime never delivered them]\nb\n[kontroler: 5 bytes dropped: the database was unavailable]\nc\n');
    assert.equal(sh.durable.received, 19);
  });

  test('the caps are checked at their limits', () => {
    assert.equal(checkLogLimits({ maxBytes: MIN_LOG_BYTES, maxLineBytes: MIN_LOG_LINE_BYTES }), undefined);
    assert.match(checkLogLimits({ maxBytes: MIN_LOG_BYTES - 1, maxLineBytes: MIN_LOG_LINE_BYTES }) ?? '', /at least 4096/);
    assert.match(checkLogLimits({ maxBytes: MIN_LOG_BYTES, maxLineBytes: MIN_LOG_LINE_BYTES - 1 }) ?? '', /at least 80/);
    assert.match(checkLogLimits({ maxBytes: MIN_LOG_BYTES, maxLineBytes: MIN_LOG_BYTES + 1 }) ?? '', /must not exceed/);
    // The smallest cap still holds: a log of 100 KB stored in at most 4 KiB, head and tail.
    const limits = { maxBytes: MIN_LOG_BYTES, maxLineBytes: MIN_LOG_LINE_BYTES };
    const sh = new LogShaper(limits);
    const sink = new Sink();
    feedAll(sh, sink, enc(Array.from({ length: 10_000 }, (_, i) => `l${i}`).join('\n')), 333);
    sink.take(sh.finish());
    assert.ok(sink.end <= MIN_LOG_BYTES);
    assert.ok(sink.bytes().toString().startsWith('l0\nl1\n'));
    assert.ok(sink.bytes().toString().endsWith('\nl9999'));
  });
});
