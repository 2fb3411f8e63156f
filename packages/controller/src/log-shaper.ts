// Turns an attempt's raw output into the log that is stored, within bounds (pure; no I/O):
// - a line longer than `maxLineBytes` is split there, with a marker line after the first part;
// - the stored log never exceeds `maxBytes`: its head (the first `maxBytes - tailBytes` bytes,
//   less room for the marker) is stored as output arrives; past it, only the last `tailBytes`
//   are kept (in memory) and stored when the attempt ends, after a marker saying how many bytes
//   were cut in between;
// - output that could not be kept (dropped while the store was unavailable, or never delivered by
//   the runtime) is replaced by a marker saying so.
// Raw offsets (what the runtime counts) and stored offsets differ once anything is marked; the
// state records both, so a controller taking over resumes the raw stream where the stored log
// ends (`durableReceived`), as long as the head is not full.

/** Default cap of a stored attempt log (`KONTROLER_MAX_LOG_BYTES`). */
export const DEFAULT_MAX_LOG_BYTES = 64 * 1024 * 1024;
/** Default longest stored line before it is split (`KONTROLER_MAX_LOG_LINE_BYTES`). */
export const DEFAULT_MAX_LOG_LINE_BYTES = 64 * 1024;
/** Most bytes of the tail kept once a log passes its head (the tail is half the cap, at most this). */
export const MAX_LOG_TAIL_BYTES = 8 * 1024 * 1024;
/** Smallest accepted log cap: room for a head, a tail and the marker. */
export const MIN_LOG_BYTES = 4 * 1024;
/** Smallest accepted line cap. */
export const MIN_LOG_LINE_BYTES = 80;
/** Room kept under the cap for the cut marker (its longest form is well below this). */
const MARKER_ROOM = 96;

export interface LogLimits {
  readonly maxBytes: number;
  readonly maxLineBytes: number;
}

/** The tail kept past the head, for a cap of `maxBytes`. */
export function tailBytesFor(maxBytes: number): number {
  return Math.min(MAX_LOG_TAIL_BYTES, Math.floor(maxBytes / 2));
}

/** Bytes of the head: stored as they arrive. */
export function headBytesFor(maxBytes: number): number {
  return maxBytes - tailBytesFor(maxBytes) - MARKER_ROOM;
}

/** Checks limits read from settings; returns the problem, or undefined. */
export function checkLogLimits(l: LogLimits): string | undefined {
  if (!Number.isSafeInteger(l.maxBytes) || l.maxBytes < MIN_LOG_BYTES) return `the log cap must be an integer of at least ${MIN_LOG_BYTES} bytes`;
  if (!Number.isSafeInteger(l.maxLineBytes) || l.maxLineBytes < MIN_LOG_LINE_BYTES) return `the line cap must be an integer of at least ${MIN_LOG_LINE_BYTES} bytes`;
  if (l.maxLineBytes > l.maxBytes) return 'the line cap must not exceed the log cap';
  return undefined;
}

export const cutMarker = (n: number): string => `\n[kontroler: ${n} bytes cut]\n`;
export const splitMarker = (maxLine: number): string => `\n[kontroler: line split at ${maxLine} bytes]\n`;
export const droppedMarker = (n: number, why: string): string => `\n[kontroler: ${n} bytes ${why}]\n`;

/** A piece of stored log: bytes at a stored offset. */
export interface StoredPiece {
  readonly offset: number;
  readonly data: Uint8Array;
}

/** What must be in the store once the pieces produced so far are written (scalars only). */
export interface DurableLogState {
  /** Stored bytes. */
  readonly stored: number;
  /** Raw position up to which everything is in the stored log: where a takeover resumes. */
  readonly received: number;
  /** Length of the unterminated last line of the stored log (for the line cap after a takeover). */
  readonly line: number;
}

const enc = new TextEncoder();
const NL = 0x0a;

/** The last `max` bytes of a stream, in pieces; evicting is O(1) amortised. */
class Tail {
  private parts: Uint8Array[] = [];
  private first = 0;
  size = 0;
  /** Bytes evicted so far. */
  evicted = 0;

  constructor(private readonly max: number) {}

  push(data: Uint8Array): void {
    if (data.length >= this.max) {
      this.evicted += this.size + data.length - this.max;
      this.parts = [data.slice(data.length - this.max)];
      this.first = 0;
      this.size = this.max;
      return;
    }
    this.parts.push(data.slice());
    this.size += data.length;
    while (this.size > this.max) {
      const p = this.parts[this.first]!;
      const over = this.size - this.max;
      if (p.length <= over) {
        this.first++;
        this.size -= p.length;
        this.evicted += p.length;
      } else {
        this.parts[this.first] = p.subarray(over);
        this.size -= over;
        this.evicted += over;
      }
    }
    if (this.first > 1024 && this.first * 2 > this.parts.length) {
      this.parts = this.parts.slice(this.first);
      this.first = 0;
    }
  }

  take(): Uint8Array[] {
    const out = this.parts.slice(this.first);
    this.parts = [];
    this.first = 0;
    this.size = 0;
    return out;
  }
}

/**
 * Shapes one attempt's output (see top). Not thread-safe, no I/O; the caller stores the pieces it
 * returns, in order, with `durable` at that point.
 */
export class LogShaper {
  /** Raw bytes consumed (stored, kept in the tail, or cut). */
  private received: number;
  /** Stored bytes (the head; after `finish` also the marker and the tail). */
  private stored: number;
  /** Length of the current (unterminated) line in the shaped output. */
  private line: number;
  private durableReceived: number;
  private durableLine: number;
  private readonly tail: Tail;
  private readonly head: number;
  private out: StoredPiece[] = [];
  private ended = false;

  /** Resumes from what the store holds (`initial`: zeros for a new attempt). */
  constructor(
    private readonly limits: LogLimits,
    initial: DurableLogState = { stored: 0, received: 0, line: 0 },
  ) {
    this.stored = initial.stored;
    this.received = initial.received;
    this.line = initial.line;
    this.durableReceived = initial.received;
    this.durableLine = initial.line;
    this.tail = new Tail(tailBytesFor(limits.maxBytes));
    this.head = headBytesFor(limits.maxBytes);
  }

  get durable(): DurableLogState {
    return { stored: this.stored, received: this.durableReceived, line: this.durableLine };
  }

  get finished(): boolean {
    return this.ended;
  }

  /** Raw bytes consumed so far. */
  get position(): number {
    return this.received;
  }

  /**
   * Feeds raw output at raw offset `offset`. Bytes already consumed are ignored (a re-delivery);
   * bytes never delivered before `offset` are marked as missing. Returns the pieces to store now
   * (the head). After `finish`, everything is ignored.
   */
  feed(offset: number, data: Uint8Array): StoredPiece[] {
    if (this.ended) return [];
    if (offset > this.received) this.lose(offset - this.received, 'missing: the runtime never delivered them');
    let pos = Math.max(0, this.received - offset);
    const max = this.limits.maxLineBytes;
    while (pos < data.length) {
      const nl = data.indexOf(NL, pos);
      const lineEnd = nl < 0 ? data.length : nl; // exclusive of the newline
      const roomInLine = max - this.line;
      if (lineEnd - pos > roomInLine) {
        const take = roomInLine > 0 ? utf8Cut(data, pos, roomInLine) : 0;
        if (take > 0) {
          this.emitRaw(data.subarray(pos, pos + take));
          pos += take;
        }
        this.emitMarker(splitMarker(max));
        continue;
      }
      const end = nl < 0 ? data.length : nl + 1;
      this.emitRaw(data.subarray(pos, end));
      pos = end;
    }
    return this.drain();
  }

  /**
   * Accounts for raw bytes [offset, offset + n) that could not be kept (`why`, e.g. "dropped:
   * the database was unavailable"): a marker stands in for them. Returns the pieces to store.
   */
  skip(offset: number, n: number, why: string): StoredPiece[] {
    if (this.ended) return [];
    if (offset > this.received) this.lose(offset - this.received, 'missing: the runtime never delivered them');
    const lost = offset + n - this.received;
    if (lost > 0) this.lose(lost, why);
    return this.drain();
  }

  /** The attempt ended: returns the cut marker (if anything was cut) and the kept tail. */
  finish(): StoredPiece[] {
    if (this.ended) return [];
    this.ended = true;
    const cut = this.tail.evicted;
    const parts = cut > 0 ? [enc.encode(cutMarker(cut)), ...this.tail.take()] : this.tail.take();
    for (const p of parts) {
      this.out.push({ offset: this.stored, data: p });
      this.stored += p.length;
    }
    this.durableReceived = this.received;
    this.durableLine = this.line;
    return this.drain();
  }

  private drain(): StoredPiece[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private lose(n: number, why: string): void {
    this.emitMarker(droppedMarker(n, why));
    this.received += n;
    if (this.tail.size === 0) this.durableReceived = this.received;
  }

  /**
   * Appends shaped bytes: to the head while it has room and the tail is empty, else to the tail
   * (`whole`: all or nothing, for markers, so a takeover never meets half a marker). Returns the
   * bytes the head took.
   */
  private emit(data: Uint8Array, whole = false): number {
    let took = 0;
    const room = this.head - this.stored;
    if (room > 0 && this.tail.size === 0 && this.tail.evicted === 0 && !(whole && data.length > room)) {
      took = Math.min(room, data.length);
      if (took > 0) {
        this.out.push({ offset: this.stored, data: data.subarray(0, took) });
        this.stored += took;
      }
    }
    if (took < data.length) this.tail.push(data.subarray(took));
    return took;
  }

  /** Emits raw bytes `seg` (at most one newline, at its end) and advances the raw position. */
  private emitRaw(seg: Uint8Array): void {
    const raw = this.received;
    const lineBefore = this.line;
    const took = this.emit(seg);
    this.received += seg.length;
    this.line = seg[seg.length - 1] === NL ? 0 : this.line + seg.length;
    if (took === seg.length) {
      this.durableReceived = this.received;
      this.durableLine = this.line;
    } else if (took > 0) {
      // The head filled inside this segment, before its newline (if any).
      this.durableReceived = raw + took;
      this.durableLine = lineBefore + took;
    }
  }

  /** Emits a marker line (no raw bytes behind it); it ends the current line. */
  private emitMarker(text: string): void {
    const took = this.emit(enc.encode(this.line === 0 ? text.slice(1) : text), true);
    this.line = 0;
    if (took > 0) this.durableLine = 0;
  }
}

/**
 * `n` (≥ 1) bytes from `at`, less up to 3 so as not to split a UTF-8 character: 0 when the
 * character starting at `at` itself does not fit (the split comes before it), `n` when the
 * character began before `at` (in an earlier chunk; nothing better can be done).
 */
function utf8Cut(data: Uint8Array, at: number, n: number): number {
  const cont = (i: number): boolean => ((data[i] ?? 0) & 0xc0) === 0x80;
  let k = n;
  while (k > 0 && n - k < 3 && cont(at + k)) k--;
  if (k > 0 && !cont(at + k)) return k;
  if (k === 0 && !cont(at)) return 0;
  return n;
}
