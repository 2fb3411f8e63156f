// Test helpers: a recorder that waits on runtime events (never on sleeps), attempt specs, temp dirs.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttemptKey, AttemptSpec, RuntimeEvent, TaskRuntime } from '@kontroler/engine';
import { LocalProcessRuntime, type LocalProcessRuntimeOptions } from '@kontroler/runtime-local';

export type Exited = Extract<RuntimeEvent, { type: 'exited' }>;
export type Started = Extract<RuntimeEvent, { type: 'started' }>;
export type LogEvent = Extract<RuntimeEvent, { type: 'log' }>;

const WAIT_LIMIT_MS = 20_000;

export function sameKey(a: AttemptKey, b: AttemptKey): boolean {
  return a.runId === b.runId && a.task === b.task && a.attempt === b.attempt;
}

interface Waiter {
  readonly match: (ev: RuntimeEvent) => boolean;
  readonly resolve: (ev: RuntimeEvent) => void;
}

/** Records every event of a runtime; `next`/`waitFor` resolve when a matching event arrives. */
export class Recorder {
  readonly events: RuntimeEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  readonly unsubscribe: () => void;

  constructor(rt: TaskRuntime) {
    this.unsubscribe = rt.subscribe((ev) => {
      this.events.push(ev);
      for (const w of this.waiters) {
        if (w.match(ev)) {
          this.waiters.delete(w);
          w.resolve(ev);
        }
      }
    });
  }

  /** The first matching event, already recorded or still to come. Fails after 20 s. */
  waitFor(match: (ev: RuntimeEvent) => boolean, what: string): Promise<RuntimeEvent> {
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`timed out waiting for ${what}; events so far: ${describe(this.events)}`));
      }, WAIT_LIMIT_MS);
      const w: Waiter = {
        match,
        resolve: (ev) => {
          clearTimeout(timer);
          resolve(ev);
        },
      };
      this.waiters.add(w);
    });
  }

  async exited(key: AttemptKey): Promise<Exited> {
    return (await this.waitFor((ev) => ev.type === 'exited' && sameKey(ev.key, key), `exited of ${key.task}`)) as Exited;
  }

  async started(key: AttemptKey): Promise<Started> {
    return (await this.waitFor((ev) => ev.type === 'started' && sameKey(ev.key, key), `started of ${key.task}`)) as Started;
  }

  /** Resolves once the attempt's log (as delivered so far) contains `text`. */
  async logContains(key: AttemptKey, text: string): Promise<void> {
    if (this.logText(key).includes(text)) return;
    await this.waitFor(() => this.logText(key).includes(text), `log "${text}" of ${key.task}`);
  }

  logEvents(key: AttemptKey): LogEvent[] {
    return this.events.filter((ev): ev is LogEvent => ev.type === 'log' && sameKey(ev.key, key));
  }

  /** The delivered log; throws unless the events are contiguous from `from`. */
  logText(key: AttemptKey, from = 0): string {
    let expected = from;
    const parts: Buffer[] = [];
    for (const ev of this.logEvents(key)) {
      if (ev.offset !== expected) throw new Error(`log of ${key.task}: event at offset ${ev.offset}, expected ${expected}`);
      expected += ev.data.byteLength;
      parts.push(Buffer.from(ev.data));
    }
    return Buffer.concat(parts).toString('utf8');
  }

  count(type: RuntimeEvent['type'], key: AttemptKey): number {
    return this.events.filter((ev) => ev.type === type && sameKey(ev.key, key)).length;
  }
}

function describe(events: readonly RuntimeEvent[]): string {
  return JSON.stringify(
    events.map((ev) => (ev.type === 'log' ? { ...ev, data: Buffer.from(ev.data).toString('utf8') } : ev)),
  ).slice(0, 2000);
}

let counter = 0;

/** A spec with a unique task name; override what the test is about. */
export function spec(over: Partial<AttemptSpec> & { runId?: string }): AttemptSpec {
  counter++;
  return {
    runId: 'run-1',
    task: `task-${process.pid}-${counter}`,
    attempt: 1,
    namespace: 'default',
    dagName: 'dag-1',
    image: 'alpine:latest',
    command: [],
    args: [],
    env: {},
    ...over,
  };
}

export function script(text: string, over: Partial<AttemptSpec> = {}): AttemptSpec {
  return spec({ script: text, ...over });
}

export interface Sandbox {
  readonly dir: string;
  readonly stateDir: string;
  runtime(opts?: Partial<LocalProcessRuntimeOptions>): LocalProcessRuntime;
  /** Closes every runtime made here and removes the folder. */
  cleanup(): Promise<void>;
}

export async function sandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'kontroler-rt-'));
  const stateDir = join(dir, 'state');
  const runtimes: LocalProcessRuntime[] = [];
  return {
    dir,
    stateDir,
    runtime(opts = {}) {
      const rt = new LocalProcessRuntime({ stateDir, killGraceMs: 1000, ...opts });
      runtimes.push(rt);
      return rt;
    },
    async cleanup() {
      await Promise.all(runtimes.map((rt) => rt.close()));
      await killLeftovers(join(stateDir, 'attempts'));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A failed test can leave an attempt waiting for a gate file forever: SIGKILL every supervisor
 * group still alive under `attemptsDir` (checking the recorded start time, as pids are reused).
 */
async function killLeftovers(attemptsDir: string): Promise<void> {
  const below = async (d: string) => (await readdir(d).catch(() => [] as string[])).map((n) => join(d, n));
  for (const run of await below(attemptsDir)) {
    for (const task of await below(run)) {
      for (const attempt of await below(task)) {
        const line = await readFile(join(attempt, 'pid'), 'utf8').catch(() => '');
        const [, , pid, startTime] = line.trim().split(' ');
        if (pid === undefined || !/^\d+$/.test(pid)) continue;
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] !== startTime) continue;
        try {
          process.kill(-Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
}

/**
 * For conditions no event announces (a process outside the runtime has died, a file appeared):
 * re-checks every 20 ms, fails after 20 s.
 */
export async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const limit = Date.now() + WAIT_LIMIT_MS;
  while (!(await cond())) {
    if (Date.now() > limit) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True while `pid` is a live (non-zombie) process. */
export async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** A script printing "tick <epoch ms>" every 50 ms, `n` times. */
export const TICKER = (n: number) => `i=0; while [ $i -lt ${n} ]; do echo "tick $(date +%s%3N)"; i=$((i+1)); sleep 0.05; done`;

/**
 * Records, for each `tick <ms>` line delivered by a log event, how long after it was printed the
 * event arrived. Returns the worst delay seen so far.
 */
export function trackTickLatency(rt: TaskRuntime, key: AttemptKey): () => number {
  let worst = 0;
  rt.subscribe((ev) => {
    if (ev.type !== 'log' || !sameKey(ev.key, key)) return;
    const now = Date.now();
    for (const m of Buffer.from(ev.data).toString('utf8').matchAll(/tick (\d+)/g)) {
      worst = Math.max(worst, now - Number(m[1]));
    }
  });
  return () => worst;
}
