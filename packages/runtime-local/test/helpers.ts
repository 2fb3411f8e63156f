// Test helpers of the local runtime: script specs, sandboxes (temp state folders), process checks.
// The event recorder and `attemptSpec` are the test kit's (@kontroler/testing).
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttemptKey, AttemptSpec, TaskRuntime } from '@kontroler/engine';
import { LocalProcessRuntime, type LocalProcessRuntimeOptions } from '@kontroler/runtime-local';
import { EVENT_WAIT_LIMIT_MS, attemptSpec, sameKey } from '@kontroler/testing';

export function script(text: string, over: Partial<AttemptSpec> = {}): AttemptSpec {
  return attemptSpec({ script: text, ...over });
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
  const limit = Date.now() + EVENT_WAIT_LIMIT_MS;
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
