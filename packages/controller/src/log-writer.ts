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

type Entry = (
  | { readonly kind: 'data'; readonly key: AttemptLogKey; readonly offset: number; readonly data: Uint8Array; readonly seq: number }
  | { readonly kind: 'drop'; readonly key: AttemptLogKey; readonly offset: number; n: number; readonly seq: number }
  | { readonly kind: 'end'; readonly key: AttemptLogKey; readonly seq: number }
) & {
  /** Taken by `takeEnd` (it stores the entry with the attempt's end): skipped by the queue. */
  taken?: boolean;
};

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
  /** The queued entries of each attempt, in order (what `takeEnd` takes). */
  private readonly byKey = new Map<string, Entry[]>();
  /** Attempts whose end `takeEnd` is taking: batches leave their entries to it. */
  private readonly taking = new Set<string>();
  /** The batch being written: its attempts, and a promise settled once it is stored (or the writer gave up). */
  private inFlight: { readonly keys: ReadonlySet<string>; readonly done: Promise<void>; readonly settle: () => void } | undefined;
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
        this.queue(k, e);
        this.lastDrop.set(k, e);
      }
    } else {
      this.queue(k, { kind: 'data', key, offset: chunk.offset, data: chunk.data, seq: ++this.seq });
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

  /**
   * An attempt this controller just created (its row saved with an empty log) is about to start:
   * its stored log is empty, so its output needs no read of the log's state first.
   */
  fresh(key: AttemptLogKey): void {
    const k = id(key);
    if (!this.shapers.has(k)) this.shapers.set(k, new LogShaper(this.limits, { stored: 0, received: 0, line: 0 }));
  }

  /** The attempt ended: its kept tail (past the cap) is stored with the next write. */
  end(key: AttemptLogKey): void {
    if (this.closing) return;
    const k = id(key);
    this.queue(k, { kind: 'end', key: { runId: key.runId, task: key.task, attempt: key.attempt }, seq: ++this.seq });
    this.schedule(false);
  }

  /**
   * The attempt ended (all its output handed in): takes what of its log is not stored yet, with
   * its kept tail, out of the queue, as one append for the caller to store together with the
   * attempt's end (the state save does: one write instead of two). Waits for a write of its
   * earlier output that is under way, so the append continues exactly where the stored log will
   * end; undefined when nothing is left to store. From then on the writer forgets the attempt.
   * Rejects only when the writer is closed first (as `flush`).
   */
  async takeEnd(key: AttemptLogKey): Promise<AttemptLogAppend | undefined> {
    const k = id(key);
    const attempt = { runId: key.runId, task: key.task, attempt: key.attempt };
    this.taking.add(k);
    try {
      while (this.inFlight?.keys.has(k)) await this.inFlight.done;
      let shaper = this.shapers.get(k);
      for (let failures = 0; shaper === undefined; failures++) {
        if (this.closing) throw this.closedError();
        try {
          const [s] = await getLogStates(this.pool, [attempt]);
          shaper = this.shapers.get(k) ?? new LogShaper(this.limits, { stored: s?.size ?? 0, received: s?.received ?? 0, line: s?.line ?? 0 });
        } catch (err) {
          this.onError(err);
          await new Promise((r) => setTimeout(r, backoff(failures + 1)));
        }
      }
      const entries = this.byKey.get(k) ?? [];
      this.byKey.delete(k);
      const from = shaper.durable.stored;
      const pieces: StoredPiece[] = [];
      for (const e of entries) {
        e.taken = true;
        if (e.kind === 'data') {
          this.pendingBytes -= e.data.byteLength;
          pieces.push(...shaper.feed(e.offset, e.data));
        } else if (e.kind === 'drop') {
          pieces.push(...shaper.skip(e.offset, e.n, 'dropped: the database was unavailable'));
          if (this.lastDrop.get(k) === e) this.lastDrop.delete(k);
        }
      }
      pieces.push(...shaper.finish());
      this.shapers.delete(k);
      const d = shaper.durable;
      if (d.stored === from) return undefined;
      return { from, state: { ...attempt, size: d.stored, received: d.received, line: d.line }, chunks: rechunk(attempt, from, pieces) };
    } finally {
      this.taking.delete(k);
    }
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
    const gone = this.closedError();
    for (const w of this.waiters.splice(0)) w.reject(gone);
  }

  private closedError(): KontrolerError {
    return new KontrolerError('UNAVAILABLE', 'the log writer closed before this output was stored; the attempt is adopted with its output by the next controller');
  }

  private queue(k: string, e: Entry): void {
    this.pending.push(e);
    const mine = this.byKey.get(k);
    if (mine) mine.push(e);
    else this.byKey.set(k, [e]);
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
        this.inFlight ??= inFlight(batch);
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
        this.inFlight?.settle();
        this.inFlight = undefined;
        this.settle();
        // Between batches, wait for company unless someone waits or plenty is buffered.
        if (!this.closing && this.waiters.length === 0 && this.pendingBytes < BATCH_BYTES) return;
      } catch (err) {
        this.onError(err);
        failures++;
        if (this.closing && Date.now() >= this.closeDeadline) {
          this.inFlight?.settle(); // its takers then see the writer closed
          this.inFlight = undefined;
          return;
        }
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.min(backoff(failures), Math.max(0, this.closeDeadline - Date.now())));
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
      if (e.kind === 'data' && !e.taken) bytes += e.data.byteLength;
      n++;
    }
    // Entries of attempts whose end is being taken stay with the taker (`byKey` keeps them).
    const entries = this.pending.slice(0, n).filter((e) => !e.taken && !this.taking.has(id(e.key)));
    // Until every attempt of the batch has a shaper (a forgetRun may drop one meanwhile); from
    // then on all is synchronous. Throws when the store is down: nothing is taken off the queue.
    for (;;) {
      const unknown = new Map<string, AttemptLogKey>();
      for (const e of entries) if (!this.shapers.has(id(e.key)) && !this.taking.has(id(e.key))) unknown.set(id(e.key), e.key);
      if (unknown.size === 0) break;
      for (const s of await getLogStates(this.pool, [...unknown.values()])) {
        this.shapers.set(id(s), new LogShaper(this.limits, { stored: s.size, received: s.received, line: s.line }));
      }
    }
    let lastSeq = this.written;
    for (const e of this.pending.splice(0, n)) {
      lastSeq = Math.max(lastSeq, e.seq);
      // Entries taken, or left to a taker (`byKey` keeps them), are counted off by their taker.
      if (e.kind === 'data' && !e.taken && !this.taking.has(id(e.key))) this.pendingBytes -= e.data.byteLength;
    }
    const perAttempt = new Map<string, { key: AttemptLogKey; from: number; pieces: StoredPiece[] }>();
    const ended: string[] = [];
    for (const e of entries) {
      const k = id(e.key);
      if (e.taken || this.taking.has(k)) continue; // taken while the states were read
      const mine = this.byKey.get(k);
      mine?.shift(); // entries leave the queue in order: this is the attempt's first
      if (mine?.length === 0) this.byKey.delete(k);
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

/** The in-flight marker of a batch: the attempts it writes, settled once it is stored. */
function inFlight(batch: Batch): { keys: ReadonlySet<string>; done: Promise<void>; settle: () => void } {
  let settle = (): void => undefined;
  const done = new Promise<void>((r) => (settle = r));
  return { keys: new Set(batch.appends.map((a) => id(a.state))), done, settle };
}

/** Jittered exponential backoff of the failures-th retry. */
function backoff(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(failures - 1, 10)) * (0.5 + Math.random() / 2);
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
