// A TaskRuntime test double of our own port: an attempt prints what `script(spec)` says and exits
// with its code, or stays running (code undefined) until the test writes to it and finishes it.
import type { AttemptKey, AttemptObservation, AttemptSpec, RuntimeEvent, TaskRuntime } from '@kontroler/engine';

const k = (key: AttemptKey) => `${key.runId}/${key.task}/${key.attempt}`;

export interface Script {
  output?: string;
  exitCode?: number;
}

export class TestRuntime implements TaskRuntime {
  readonly name = 'test';
  readonly specs = new Map<string, AttemptSpec>();
  private readonly offsets = new Map<string, number>();
  private readonly exited = new Map<string, { code?: number; reason: string; at: number }>();
  private readonly listeners = new Set<(ev: RuntimeEvent) => void>();
  private readonly startWaiters: Array<{ id: string; resolve: () => void }> = [];

  constructor(private readonly script: (spec: AttemptSpec) => Script = () => ({ output: 'ok\n', exitCode: 0 })) {}

  async start(spec: AttemptSpec): Promise<void> {
    const id = k(spec);
    if (this.specs.has(id)) return;
    this.specs.set(id, spec);
    queueMicrotask(() => {
      this.emit({ type: 'started', key: spec, handle: `h-${id}`, at: Date.now() });
      const s = this.script(spec);
      if (s.output) this.write(spec, s.output);
      if (s.exitCode !== undefined) this.finish(spec, s.exitCode);
      for (const w of this.startWaiters.filter((x) => x.id === id)) w.resolve();
    });
  }

  /** Resolves once the attempt has started. */
  started(runId: number, task: string, attempt = 1): Promise<void> {
    const id = `${runId}/${task}/${attempt}`;
    if (this.specs.has(id)) return Promise.resolve();
    return new Promise((resolve) => this.startWaiters.push({ id, resolve }));
  }

  write(key: AttemptKey, text: string): void {
    const id = k(key);
    const data = new TextEncoder().encode(text);
    const offset = this.offsets.get(id) ?? 0;
    this.offsets.set(id, offset + data.byteLength);
    this.emit({ type: 'log', key, offset, data });
  }

  finish(key: AttemptKey, code: number | undefined, reason = code === 0 ? 'Completed' : 'Error'): void {
    const id = k(key);
    if (this.exited.has(id)) return;
    const at = Date.now();
    this.exited.set(id, { ...(code !== undefined ? { code } : {}), reason, at });
    this.emit({ type: 'exited', key, at, reason, ...(code !== undefined ? { exitCode: code } : {}) });
  }

  async adopt(key: AttemptKey): Promise<AttemptObservation> {
    const id = k(key);
    if (!this.specs.has(id)) return { state: 'unknown' };
    const e = this.exited.get(id);
    if (e) return { state: 'exited', handle: `h-${id}`, finishedAt: e.at, reason: e.reason, ...(e.code !== undefined ? { exitCode: e.code } : {}) };
    return { state: 'running', handle: `h-${id}`, startedAt: Date.now() };
  }

  async kill(key: AttemptKey): Promise<void> {
    queueMicrotask(() => this.finish(key, undefined, 'Killed'));
  }

  async release(): Promise<void> {}
  async releaseRun(): Promise<void> {}

  subscribe(listener: (ev: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private emit(ev: RuntimeEvent): void {
    for (const l of this.listeners) l(ev);
  }
}
