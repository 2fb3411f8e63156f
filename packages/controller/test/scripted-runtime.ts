// A TaskRuntime test double of our own port: attempts "run" instantly or when the test says so.
import type { AttemptKey, AttemptObservation, AttemptSpec, RuntimeEvent, TaskRuntime } from '@kontroler/engine';

const k = (key: AttemptKey) => `${key.runId}/${key.task}/${key.attempt}`;

export class ScriptedRuntime implements TaskRuntime {
  readonly name = 'scripted';
  /** Every start call, in order, recorded before it is deduplicated: a repeated start shows here. */
  readonly starts: string[] = [];
  readonly specs = new Map<string, AttemptSpec>();
  readonly kills: string[] = [];
  private readonly listeners = new Set<(ev: RuntimeEvent) => void>();
  private readonly exited = new Map<string, { code?: number; reason: string; at: number }>();

  /** exitCode(spec) decides the outcome at once; return undefined to keep it running. */
  constructor(private readonly exitCode: (spec: AttemptSpec) => number | undefined = () => 0) {}

  async start(spec: AttemptSpec): Promise<void> {
    const id = k(spec);
    this.starts.push(id); // record first (STYLE.md 20), then decide
    if (this.specs.has(id)) return; // create-or-adopt: never runs twice
    this.specs.set(id, spec);
    queueMicrotask(() => {
      this.emit({ type: 'started', key: spec, handle: `h-${id}`, at: Date.now() });
      const data = new TextEncoder().encode(`hello from ${spec.task}\n`);
      this.emit({ type: 'log', key: spec, offset: 0, data });
      const code = this.exitCode(spec);
      if (code !== undefined) this.finish(spec, code);
    });
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

  async kill(key: AttemptKey, reason: string): Promise<void> {
    this.kills.push(`${k(key)}:${reason}`);
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
