// A TaskRuntime for crash tests whose attempts exit at once with 0 and whose only record is a
// ledger file: every start call appends `<task> <attempt>` to it (written before anything else,
// with a synchronous write, so a SIGKILL right after loses nothing), and `adopt` answers from it.
// A second start of the same attempt is recorded too: the test sees every start the controller
// asked for, not only the ones a deduplicating runtime would run.
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { AttemptKey, AttemptObservation, AttemptSpec, RuntimeEvent, TaskRuntime } from '@kontroler/engine';

/** The ledger's lines as [task, attempt]. */
export function readLedger(path: string): Array<[string, number]> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [task = '', attempt = '0'] = l.split(' ');
      return [task, Number(attempt)];
    });
}

export class LedgerRuntime implements TaskRuntime {
  readonly name = 'ledger';
  private readonly fd: number;
  private readonly started: Set<string>;
  private readonly listeners = new Set<(ev: RuntimeEvent) => void>();

  constructor(private readonly path: string) {
    this.started = new Set(readLedger(path).map(([t, a]) => `${t} ${a}`));
    this.fd = openSync(path, 'a');
  }

  async start(spec: AttemptSpec): Promise<void> {
    const line = `${spec.task} ${spec.attempt}`;
    writeSync(this.fd, `${line}\n`);
    this.started.add(line);
    const key: AttemptKey = { runId: spec.runId, task: spec.task, attempt: spec.attempt };
    queueMicrotask(() => {
      const at = Date.now();
      for (const l of this.listeners) l({ type: 'started', key, handle: line, at });
      for (const l of this.listeners) l({ type: 'exited', key, at, exitCode: 0, reason: 'Completed' });
    });
  }

  async adopt(key: AttemptKey): Promise<AttemptObservation> {
    const line = `${key.task} ${key.attempt}`;
    if (!this.started.has(line)) return { state: 'unknown' };
    const at = Date.now();
    return { state: 'exited', handle: line, startedAt: at, finishedAt: at, exitCode: 0, reason: 'Completed' };
  }

  async kill(): Promise<void> {}
  async release(): Promise<void> {}
  async releaseRun(): Promise<void> {}

  subscribe(listener: (ev: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    closeSync(this.fd);
  }
}
