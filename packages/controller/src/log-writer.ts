// Stores attempt output: shapes it within bounds (log-shaper.ts) and writes it in batches, one
// write at a time, strictly in order, retrying with backoff until it is stored.
import { KontrolerError } from '@kontroler/core';
import type { AttemptLogAppend, AttemptLogKey, LogChunk, PoolLike } from '@kontroler/store';
import { appendLogs, getLogStates } from '@kontroler/store';
import { DEFAULT_MAX_LOG_BYTES, DEFAULT_MAX_LOG_LINE_BYTES, LogShaper, type LogLimits, type StoredPiece } from './log-shaper.js';

/** Most raw output waiting to be written (all attempts) before more is dropped with a marker. */
export const DEFAULT_LOG_BUFFER_BYTES = 32 * 1024 * 1024;
/** Largest stored chunk row. */
export const LOG_CHUNK_BYTES = 64 * 1024;
/** Raw bytes per write (a batch may hold more: an ended attempt's tail). */
const BATCH_BYTES = 512 * 1024;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** How long `close()` keeps trying to write what is left. */
const CLOSE_TIMEOUT_MS = 5_000;

export interface LogWriterOptions {
  readonly limits?: LogLimits;
  /** How long output may wait for company before it is written. */
  readonly intervalMs?: number;
  /** See DEFAULT_LOG_BUFFER_BYTES. */
  readonly maxBufferedBytes?: number;
}

type Entry =
  | { readonly kind: 'data'; readonly key: AttemptLogKey; readonly offset: number; readonly data: Uint8Array; readonly seq: number }
  | { readonly kind: 'drop'; readonly key: AttemptLogKey; readonly offset: number; n: number; readonly seq: number }
  | { readonly kind: 'end'; readonly key: AttemptLogKey; readonly seq: number };

interface Batch {
  readonly appends: AttemptLogAppend[];
  readonly lastSeq: number;
  readonly ended: string[];
}

const id = (k: AttemptLogKey): string => `${k.runId}\u0000${k.task}\u0000${k.attempt}`;

/**
 * Buffers attempt output and writes it to the store. `flush()` resolves only once everything
 * handed in before it is stored (a failed write is retried, with backoff, in order, before
 * anything newer); callers that record an attempt's end wait on it. While the store is down,
 * at most `maxBufferedBytes` of output wait; more is dropped and a marker in the log says how
 * many bytes. Writes never leave a gap: each continues exactly where the attempt's stored log ends.
 */
export class LogWriter {
  private readonly limits: LogLimits;
  private readonly intervalMs: number;
  private readonly maxBuffered: number;
  private pending: Entry[] = [];
  private pendingBytes = 0;
  private readonly lastDrop = new Map<string, Entry & { kind: 'drop' }>();
  private readonly shapers = new Map<string, LogShaper>();
  private seq = 0;
  private written = 0;
  private waiters: Array<{ seq: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private loop: Promise<void> | undefined;
  private closing = false;
  private closeDeadline = Number.POSITIVE_INFINITY;
  private wakeBackoff: (() => void) | undefined;

  constructor(
    private readonly pool: PoolLike,
    private readonly onError: (err: unknown) => void,
    opts: LogWriterOptions = {},
  ) {
    this.limits = opts.limits ?? { maxBytes: DEFAULT_MAX_LOG_BYTES, maxLineBytes: DEFAULT_MAX_LOG_LINE_BYTES };
    this.intervalMs = opts.intervalMs ?? 100;
    this.maxBuffered = opts.maxBufferedBytes ?? DEFAULT_LOG_BUFFER_BYTES;
  }

  /** Raw output bytes waiting to be written. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** New output of an attempt (`offset`: its raw byte offset, as the runtime counts). */
  add(chunk: LogChunk): void {
    if (this.closing || chunk.data.byteLength === 0) return;
    const key = { runId: chunk.runId, task: chunk.task, attempt: chunk.attempt };
    const k = id(key);
    if (this.pendingBytes + chunk.data.byteLength > this.maxBuffered) {
      const last = this.lastDrop.get(k);
      if (last && last.offset + last.n === chunk.offset) {
        // Still queued (taken entries leave lastDrop): widen it. Its seq stays: seqs rise along
        // the queue, and a flush waits for the latest entry, which is this one or a later one.
        last.n += chunk.data.byteLength;
      } else {
        const e = { kind: 'drop' as const, key, offset: chunk.offset, n: chunk.data.byteLength, seq: ++this.seq };
        this.pending.push(e);
        this.lastDrop.set(k, e);
      }
    } else {
      this.pending.push({ kind: 'data', key, offset: chunk.offset, data: chunk.data, seq: ++this.seq });
      this.pendingBytes += chunk.data.byteLength;
      this.lastDrop.delete(k);
    }
    this.schedule(this.pendingBytes >= BATCH_BYTES);
  }

  /**
   * Drops the shaping state (and any kept tail) of a run's attempts, e.g. once its lease is lost;
   * output that still arrives for them starts again from what the store holds.
   */
  forgetRun(runId: number): void {
    for (const k of [...this.shapers.keys()]) if (k.startsWith(`${runId}\u0000`)) this.shapers.delete(k);
  }

  /** The attempt ended: its kept tail (past the cap) is stored with the next write. */
  end(key: AttemptLogKey): void {
    if (this.closing) return;
    this.pending.push({ kind: 'end', key: { runId: key.runId, task: key.task, attempt: key.attempt }, seq: ++this.seq });
    this.schedule(false);
  }

  /**
   * Resolves once everything handed in before the call is stored. Never resolves early: while
   * the store fails it keeps retrying; rejects only when the writer is closed first.
   */
  flush(): Promise<void> {
    const target = this.seq;
    if (this.written >= target) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ seq: target, resolve, reject }));
    this.schedule(true);
    return p;
  }

  /**
   * Writes what is buffered, trying for at most `timeoutMs`; then gives up (what is not stored
   * stays with the runtime: whoever adopts the attempt reads it again) and rejects pending flushes.
   */
  async close(timeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
    this.closing = true;
    this.closeDeadline = Date.now() + timeoutMs;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.kick();
    await this.loop;
    const gone = new KontrolerError('UNAVAILABLE', 'the log writer closed before this output was stored; the attempt is adopted with its output by the next controller');
    for (const w of this.waiters.splice(0)) w.reject(gone);
  }

  private schedule(now: boolean): void {
    if (this.loop) return;
    if (now) {
      this.kick();
      return;
    }
    this.timer ??= setTimeout(() => this.kick(), this.intervalMs);
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeBackoff?.();
    if (this.loop) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      if (this.pending.length > 0 && !this.closing) this.schedule(this.waiters.length > 0 || this.pendingBytes >= BATCH_BYTES);
    });
  }

  private async run(): Promise<void> {
    let batch: Batch | undefined;
    let failures = 0;
    while (batch || this.pending.length > 0) {
      try {
        batch ??= await this.nextBatch();
        const r = await appendLogs(this.pool, batch.appends);
        for (const k of r.refused) {
          // Someone else wrote this attempt's log (a takeover): start again from what is stored.
          this.onError(new KontrolerError('CONFLICT', `log of run ${k.runId} ${k.task}#${k.attempt}: the stored log ends at ${k.size}, not where this write starts; re-reading its state`));
          this.shapers.delete(id(k));
        }
        for (const k of batch.ended) this.shapers.delete(k);
        this.written = batch.lastSeq;
        batch = undefined;
        failures = 0;
        this.settle();
        // Between batches, wait for company unless someone waits or plenty is buffered.
        if (!this.closing && this.waiters.length === 0 && this.pendingBytes < BATCH_BYTES) return;
      } catch (err) {
        this.onError(err);
        failures++;
        if (this.closing && Date.now() >= this.closeDeadline) return;
        const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(failures - 1, 10));
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.min(delay * (0.5 + Math.random() / 2), Math.max(0, this.closeDeadline - Date.now())));
          this.wakeBackoff = () => {
            // A close cuts the wait short; new output does not.
            if (this.closing) {
              clearTimeout(t);
              r();
            }
          };
        });
        this.wakeBackoff = undefined;
      }
    }
  }

  private settle(): void {
    const ready = this.waiters.filter((w) => w.seq <= this.written);
    this.waiters = this.waiters.filter((w) => w.seq > this.written);
    for (const w of ready) w.resolve();
  }

  /** Takes entries off the queue (up to a batch) and shapes them. Shaping happens once: a failed write is retried with the same batch. */
  private async nextBatch(): Promise<Batch> {
    let bytes = 0;
    let n = 0;
    while (n < this.pending.length && (n === 0 || bytes < BATCH_BYTES)) {
      const e = this.pending[n]!;
      if (e.kind === 'data') bytes += e.data.byteLength;
      n++;
    }
    const entries = this.pending.slice(0, n);
    // Until every attempt of the batch has a shaper (a forgetRun may drop one meanwhile); from
    // then on all is synchronous. Throws when the store is down: nothing is taken off the queue.
    for (;;) {
      const unknown = new Map<string, AttemptLogKey>();
      for (const e of entries) if (!this.shapers.has(id(e.key))) unknown.set(id(e.key), e.key);
      if (unknown.size === 0) break;
      for (const s of await getLogStates(this.pool, [...unknown.values()])) {
        this.shapers.set(id(s), new LogShaper(this.limits, { stored: s.size, received: s.received, line: s.line }));
      }
    }
    this.pending.splice(0, n);
    this.pendingBytes -= bytes;
    const perAttempt = new Map<string, { key: AttemptLogKey; from: number; pieces: StoredPiece[] }>();
    const ended: string[] = [];
    let lastSeq = this.written;
    for (const e of entries) {
      const k = id(e.key);
      const shaper = this.shapers.get(k)!;
      const slot = perAttempt.get(k) ?? { key: e.key, from: shaper.durable.stored, pieces: [] };
      perAttempt.set(k, slot);
      if (e.kind === 'data') slot.pieces.push(...shaper.feed(e.offset, e.data));
      else if (e.kind === 'drop') {
        slot.pieces.push(...shaper.skip(e.offset, e.n, 'dropped: the database was unavailable'));
        if (this.lastDrop.get(k) === e) this.lastDrop.delete(k);
      } else {
        slot.pieces.push(...shaper.finish());
        ended.push(k);
      }
      lastSeq = Math.max(lastSeq, e.seq);
    }
    const appends: AttemptLogAppend[] = [];
    for (const [k, slot] of perAttempt) {
      const shaper = this.shapers.get(k)!;
      const d = shaper.durable;
      if (d.stored === slot.from) continue; // everything went to the tail: nothing to store yet
      appends.push({ from: slot.from, state: { ...slot.key, size: d.stored, received: d.received, line: d.line }, chunks: rechunk(slot.key, slot.from, slot.pieces) });
    }
    return { appends, lastSeq, ended };
  }
}

/** Contiguous pieces from `from` as rows of at most LOG_CHUNK_BYTES. */
function rechunk(key: AttemptLogKey, from: number, pieces: readonly StoredPiece[]): LogChunk[] {
  const total = pieces.reduce((n, p) => n + p.data.byteLength, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    all.set(p.data, at);
    at += p.data.byteLength;
  }
  const out: LogChunk[] = [];
  for (let i = 0; i < total; i += LOG_CHUNK_BYTES) {
    out.push({ ...key, offset: from + i, data: all.subarray(i, Math.min(total, i + LOG_CHUNK_BYTES)) });
  }
  return out;
}
