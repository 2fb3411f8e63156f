// A worker thread for the CPU-heavy part of applying a large DAG (parse + validate + resolve +
// hash: seconds for 100,000 tasks), so the event loop keeps answering /healthz and every other
// request meanwhile. One thread, started on first use and kept; jobs wait in a bounded queue and
// run one at a time; a job that runs past its time limit stops the thread (a new one starts for
// the next job) and is answered with an error, as is a job whose thread dies (e.g. out of memory).
import { Worker, type MessagePort } from 'node:worker_threads';
import { messageOf } from '@kontroler/core';
import type { PrepareDagJob, PrepareDagResult } from './dag-prepare.js';
import { apiError } from './http-errors.js';

export interface DagWorkerConfig {
  /** Bodies of at most this many bytes are prepared on the event loop (default 256 KiB). */
  inlineMaxBytes: number;
  /** Longest a job may run in the thread (default 30,000 ms); past it the thread is replaced. */
  timeoutMs: number;
  /** Longest a job may wait for the thread to start and take it (default 30,000 ms). */
  startTimeoutMs: number;
  /** Most jobs waiting for the thread (default 8); past it requests answer 503 with Retry-After. */
  maxQueued: number;
  /** Old-generation heap of the thread (default 2048 MiB); past it the thread dies and the job fails. */
  maxOldGenerationMb: number;
}

export const DEFAULT_DAG_WORKER: DagWorkerConfig = { inlineMaxBytes: 256 * 1024, timeoutMs: 30_000, startTimeoutMs: 30_000, maxQueued: 8, maxOldGenerationMb: 2048 };

interface Pending<J, R> {
  id: number;
  job: J;
  resolve(r: R): void;
  reject(e: unknown): void;
}

/**
 * The thread and its queue. `close()` stops the thread; jobs still waiting are refused. The
 * thread runs `threadUrl`, a module that calls `serveJobs` (by default the API's DAG jobs).
 */
export class DagWorker<J = PrepareDagJob, R = PrepareDagResult> {
  private worker: Worker | undefined;
  private running: (Pending<J, R> & { timer: NodeJS.Timeout }) | undefined;
  private readonly queue: Pending<J, R>[] = [];
  private nextId = 1;
  private closed = false;
  /** Threads started so far (a replaced thread counts again). */
  started = 0;

  constructor(
    private readonly config: DagWorkerConfig,
    private readonly threadUrl: URL = new URL('./dag-worker-thread.js', import.meta.url),
  ) {}

  /** Whether a body this size goes to the thread. */
  takes(text: string): boolean {
    return Buffer.byteLength(text) > this.config.inlineMaxBytes;
  }

  /** Runs a job in the thread. Rejects with UNAVAILABLE when the queue is full, the job times out or the thread dies. */
  run(job: J): Promise<R> {
    if (this.closed) return Promise.reject(apiError('UNAVAILABLE', 'the server is shutting down'));
    if (this.queue.length >= this.config.maxQueued) {
      return Promise.reject(apiError('UNAVAILABLE', `${this.queue.length} large DAGs are waiting to be validated (dagWorker.maxQueued): retry later`, [], { 'retry-after': '5' }));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(apiError('UNAVAILABLE', 'the server is shutting down'));
    const w = this.worker;
    this.worker = undefined;
    if (this.running !== undefined) this.fail(apiError('UNAVAILABLE', 'the server is shutting down'));
    if (w !== undefined) await w.terminate();
  }

  private pump(): void {
    if (this.running !== undefined || this.closed) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    const worker = this.thread();
    // Two bounds: until the thread takes the job (a new thread loads its modules first), then the job's own.
    const timer = setTimeout(() => {
      this.discard(worker);
      this.fail(apiError('UNAVAILABLE', `the thread validating large DAGs did not start within ${this.config.startTimeoutMs / 1000} s (dagWorker.startTimeoutMs): retry later`));
    }, this.config.startTimeoutMs);
    this.running = { ...next, timer };
    worker.postMessage({ id: next.id, job: next.job });
  }

  /** The thread took the running job: its own time limit starts. */
  private taken(worker: Worker, id: number): void {
    const r = this.running;
    if (r === undefined || r.id !== id) return;
    clearTimeout(r.timer);
    r.timer = setTimeout(() => {
      this.discard(worker);
      this.fail(apiError('UNAVAILABLE', `validating the DAG took longer than ${this.config.timeoutMs / 1000} s (dagWorker.timeoutMs) and was stopped: split the DAG, or raise the limit`));
    }, this.config.timeoutMs);
  }

  private thread(): Worker {
    if (this.worker !== undefined) return this.worker;
    const w = new Worker(this.threadUrl, { resourceLimits: { maxOldGenerationSizeMb: this.config.maxOldGenerationMb } });
    this.started++;
    w.unref(); // an idle thread never keeps the process alive
    w.on('message', (m: { id: number; taken: true } | { id: number; ok: true; result: R } | { id: number; ok: false; message: string }) => {
      if ('taken' in m) return this.taken(w, m.id);
      const r = this.running;
      if (r === undefined || r.id !== m.id) return;
      this.running = undefined;
      clearTimeout(r.timer);
      if (m.ok) r.resolve(m.result);
      else r.reject(apiError('INTERNAL', `validating the DAG failed: ${m.message}`));
      this.pump();
    });
    const died = (why: string): void => {
      if (this.worker !== w) return; // replaced or closed already
      this.worker = undefined;
      if (this.running !== undefined) this.fail(apiError('UNAVAILABLE', `the thread validating the DAG stopped (${why}); the DAG may be too large for its memory (dagWorker.maxOldGenerationMb)`));
    };
    w.on('error', (e) => died(messageOf(e)));
    w.on('exit', (code) => died(`exit code ${code}`));
    this.worker = w;
    return w;
  }

  private discard(w: Worker): void {
    if (this.worker === w) this.worker = undefined;
    void w.terminate();
  }

  /** Rejects the running job and starts the next one (in a new thread when the last one was dropped). */
  private fail(e: unknown): void {
    const r = this.running;
    if (r === undefined) return;
    this.running = undefined;
    clearTimeout(r.timer);
    r.reject(e);
    this.pump();
  }
}

/**
 * The body of a worker thread module: runs `run` for each job the DagWorker sends, telling it when
 * a job is taken (its time limit starts then) and sending back the result or the error's message.
 */
export function serveJobs<J, R>(port: MessagePort | null, run: (job: J) => R): void {
  if (port === null) throw new Error('this module runs as a worker thread (node:worker_threads)');
  port.on('message', (m: { id: number; job: J }) => {
    port.postMessage({ id: m.id, taken: true });
    try {
      port.postMessage({ id: m.id, ok: true, result: run(m.job) });
    } catch (e) {
      port.postMessage({ id: m.id, ok: false, message: messageOf(e) });
    }
  });
}
