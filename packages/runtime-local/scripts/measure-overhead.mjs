#!/usr/bin/env node
// Per-attempt overhead of the local runtime: N sequential attempts of `true` (start → exited) vs
// N sequential `spawn('true')` (spawn → exit). Run after `npm run build`:
//   node packages/runtime-local/scripts/measure-overhead.mjs [N] [parallel] [direct]
// `direct` turns the spawner off (supervisors forked by this process, as before ADR 0006).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalProcessRuntime } from '../dist/index.js';

const n = Number(process.argv[2] ?? 200);
const parallel = Number(process.argv[3] ?? 0);
const direct = process.argv[4] === 'direct';

function spawnTrue() {
  return new Promise((resolve, reject) => {
    const c = spawn('true', [], { stdio: 'ignore' });
    c.once('error', reject);
    c.once('exit', resolve);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'kontroler-overhead-'));
const rt = new LocalProcessRuntime({ stateDir: dir, spawner: !direct });
const waiting = new Map();
/** CPU ms (self, reaped children) of a process, from /proc; zeros when unknown. */
function cpuOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { self: (Number(f[11]) + Number(f[12])) * 10, children: (Number(f[13]) + Number(f[14])) * 10 };
  } catch {
    return { self: 0, children: 0 };
  }
}
/** The spawner: the parent of the supervisors, when it is not this process. */
let spawnerPid;
rt.subscribe((ev) => {
  if (ev.type === 'started' && spawnerPid === undefined) {
    try {
      const s = readFileSync(`/proc/${ev.handle}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      spawnerPid = ppid === process.pid ? 0 : ppid;
    } catch {
      // already gone
    }
  }
  if (ev.type !== 'exited') return;
  const done = waiting.get(`${ev.key.task}/${ev.key.attempt}`);
  waiting.delete(`${ev.key.task}/${ev.key.attempt}`);
  done?.(ev);
});
let seq = 0;
async function attemptTrue() {
  const attempt = ++seq;
  const ended = new Promise((resolve) => waiting.set(`t/${attempt}`, resolve));
  await rt.start({
    runId: 'bench', task: 't', attempt, namespace: 'default', dagName: 'bench', image: '', command: ['true'], args: [], env: {},
  });
  const ev = await ended;
  if (ev.exitCode !== 0) throw new Error(`attempt ${attempt}: ${ev.reason}`);
}

// Interleaved, so both see the same machine load (it is shared): one of each per round.
async function timeSequential() {
  const base = [];
  const local = [];
  const cpu = { base: 0, local: 0 };
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  for (let i = 0; i < n; i++) {
    let c0 = cpuMs();
    let t0 = performance.now();
    await spawnTrue();
    base.push(performance.now() - t0);
    cpu.base += cpuMs() - c0;
    c0 = cpuMs();
    t0 = performance.now();
    await attemptTrue();
    local.push(performance.now() - t0);
    cpu.local += cpuMs() - c0;
  }
  return { base, local, cpu };
}

async function timeParallel(fn) {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => { while (next++ < n) await fn(); }));
  return performance.now() - t0;
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await spawnTrue(); // warm up
await attemptTrue();
if (parallel > 0) {
  const base = await timeParallel(spawnTrue);
  const local = await timeParallel(attemptTrue);
  console.log(`${n} attempts, ${parallel} at a time: spawn('true') ${base.toFixed(0)} ms; LocalProcessRuntime ${local.toFixed(0)} ms (${(local / base).toFixed(2)}x)`);
} else {
  const s0 = spawnerPid ? cpuOf(spawnerPid) : { self: 0, children: 0 };
  const { base, local, cpu } = await timeSequential();
  const s1 = spawnerPid ? cpuOf(spawnerPid) : { self: 0, children: 0 };
  console.log(`${n} sequential${direct ? ' (direct spawn)' : ''}: spawn('true') ${sum(base).toFixed(0)} ms (median ${median(base).toFixed(2)} ms); ` +
    `LocalProcessRuntime ${sum(local).toFixed(0)} ms (median ${median(local).toFixed(2)} ms); ` +
    `overhead ${((sum(local) - sum(base)) / n).toFixed(2)} ms per attempt (median ${(median(local) - median(base)).toFixed(2)} ms); ` +
    `this process's CPU per attempt: ${(cpu.local / n).toFixed(2)} ms vs ${(cpu.base / n).toFixed(2)} ms for a bare spawn` +
    (spawnerPid ? `; the spawner's ${((s1.self - s0.self) / n).toFixed(2)} ms (its children, the attempts: ${((s1.children - s0.children) / n).toFixed(2)} ms)` : ''));
}
await rt.close();
rmSync(dir, { recursive: true, force: true });
