import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AttemptSpec } from '@kontroler/engine';
import { EventRecorder, attemptSpec as spec } from '@kontroler/testing';
import { SPAWNER_SHELLS as SHELLS } from '@kontroler/runtime-local';
import { alive, sandbox, script, until, type Sandbox } from './helpers.js';

/** Values a shell would mangle if they were ever interpreted rather than passed through. */
const NASTY = [
  `it's "quoted" 'twice' '' ''\\''`,
  '$HOME ${HOME} $(id) `id` $((1+1)) $1 $@ $$ !! ~ * ?',
  'line one\nline two\n\nlast\n',
  'back\\slash \\n \\\\ \\',
  'cr\rtab\tbell\u0007esc\u001b[31m',
  'ünïcødé ✓ 🙂 漢字',
  '; exit 1 # & | > /tmp/kontroler-should-not-exist < x',
  '',
  ' leading and trailing spaces ',
  `#${'1'} 123\n#1`, // looks like the spawner's framing
];

/** Prints its argv and environment as JSON on one line. */
function dump(over: Partial<AttemptSpec>): AttemptSpec {
  return spec({
    command: [process.execPath],
    args: ['-e', 'process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), env: process.env }) + "\\n")', ...NASTY],
    ...over,
  });
}

interface Dumped {
  argv: string[];
  env: Record<string, string>;
}

/** An environment without what differs between two attempts (their task, run and folder). */
function sansAttempt(env: Record<string, string>): Record<string, string> {
  return { ...env, KONTROLER_TASK: '', KONTROLER_RUN_ID: '', KONTROLER_OUTPUTS: '', PWD: '' };
}

async function supervisorParent(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    if ((await stat(p)).isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe('LocalProcessRuntime: the spawner', () => {
  let box: Sandbox;

  before(async () => {
    box = await sandbox();
  });
  after(() => box.cleanup());

  /** Runs the script `text` on a fresh runtime until it ended: the attempt and its events. */
  async function ranToEnd(text: string): Promise<{ rec: EventRecorder; s: AttemptSpec }> {
    const rt = box.runtime();
    const rec = new EventRecorder(rt);
    const s = script(text);
    await rt.start(s);
    await rec.exited(s);
    return { rec, s };
  }

  /** Runs the dump attempt with `env` through the spawner, then spawned directly: what each printed. */
  async function dumpBothWays(env: Record<string, string>): Promise<Dumped[]> {
    const out: Dumped[] = [];
    for (const useSpawner of [true, false]) {
      const rt = box.runtime({ spawner: useSpawner });
      const rec = new EventRecorder(rt);
      const s = dump({ env });
      await rt.start(s);
      assert.equal((await rec.exited(s)).exitCode, 0, rec.logText(s).slice(0, 500));
      out.push(JSON.parse(rec.logText(s).split('\n')[1] ?? '') as Dumped);
    }
    return out;
  }

  it('forks supervisors from a shell, not from this process, and says so once', async () => {
    const messages: string[] = [];
    const rt = box.runtime({ log: (m) => messages.push(m) });
    const rec = new EventRecorder(rt);
    const a = spec({ command: ['true'] });
    const b = spec({ command: ['sleep', '0.2'] });
    await rt.start(a);
    await rt.start(b);
    const parent = await supervisorParent(Number((await rec.started(b)).handle));
    assert.notEqual(parent, process.pid);
    assert.match(await readFile(`/proc/${parent}/cmdline`, 'utf8'), /kontroler-spawner/);
    assert.equal((await rec.exited(a)).reason, 'Completed');
    assert.equal((await rec.exited(b)).reason, 'Completed');
    assert.equal(messages.filter((m) => /through a spawner shell/.test(m)).length, 1, messages.join('\n'));
  });

  it('a burst of starts is forked by several shells (at most SHELLS); starts one after another keep to one', async () => {
    const rt = box.runtime();
    const rec = new EventRecorder(rt);
    // Each runs long enough for its supervisor's parent to be read while it lives.
    const one = async (): Promise<number> => {
      const s = spec({ command: ['sleep', '0.3'] });
      await rt.start(s);
      const parent = await supervisorParent(Number((await rec.started(s)).handle));
      assert.equal((await rec.exited(s)).reason, 'Completed');
      return parent;
    };
    const sequential = new Set<number>();
    for (let i = 0; i < 4; i++) sequential.add(await one());
    assert.equal(sequential.size, 1, `one shell for starts one after another: ${[...sequential].join(', ')}`);
    const burst = Array.from({ length: 40 }, () => spec({ command: ['sleep', '3'] })); // alive while their parents are read
    await Promise.all(burst.map((s) => rt.start(s)));
    const parents = new Set(await Promise.all(burst.map(async (s) => supervisorParent(Number((await rec.started(s)).handle)))));
    for (const s of burst) assert.equal((await rec.exited(s)).reason, 'Completed');
    assert.ok(parents.size > 1 && parents.size <= SHELLS, `a burst of 40 starts forked by ${parents.size} shells (1 < n <= ${SHELLS})`);
    for (const p of parents) assert.match(await readFile(`/proc/${p}/cmdline`, 'utf8'), /kontroler-spawner/);
  });

  it('passes env values and argv through intact, exactly as a direct spawn does', async () => {
    const env: Record<string, string> = {};
    NASTY.forEach((v, i) => (env[`NASTY_${i}`] = v));
    env.BIG = `${'x'.repeat(60_000)}'\n${'y'.repeat(40_000)}`; // more than a pipe holds at once (under 128 KiB, the limit of one variable)
    const results = (await dumpBothWays(env)).map((dumped) => {
      // `$$` is Kubernetes' escaped `$` (see expandK8sVars); no shell touches argv.
      assert.deepEqual(dumped.argv, NASTY.map((a) => a.replace('$$', '$')));
      for (const [name, value] of Object.entries(env)) assert.equal(dumped.env[name], value, name);
      return { argv: dumped.argv, env: sansAttempt(dumped.env) };
    });
    assert.deepEqual(results[0], results[1], 'the spawner and a direct spawn give the same environment');
  });

  it('handles names bash cannot export and names the spawner itself uses', async () => {
    const env: Record<string, string> = {
      'db.password': "p'w\nd",
      'my-var': '$(id)',
      UID: 'not-my-uid',
      SHELLOPTS: 'xtrace',
      BASH_ENV: '/nonexistent',
      SHLVL: '7',
      IFS: 'x',
      PATH: '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      S: 'not the supervisor script',
      i: 'i',
      n: 'n',
      r: 'r',
      _: 'underscore',
    };
    const results = (await dumpBothWays(env)).map((dumped) => {
      for (const [name, value] of Object.entries(env)) {
        // A supervisor /bin/sh that is dash drops names that are not shell identifiers and sets
        // IFS itself, whoever spawns it: for those, only the comparison below holds.
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && name !== 'IFS') assert.equal(dumped.env[name], value, name);
      }
      return sansAttempt(dumped.env);
    });
    assert.deepEqual(results[0], results[1], 'the spawner and a direct spawn give the same environment');
  });

  it('keeps inherited variables that would change the spawner itself (TMOUT, CDPATH, LANG) for the attempts only', async () => {
    const inheritedEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', TMOUT: '1', CDPATH: '/tmp', LANG: 'C.UTF-8', 'odd.inherited': 'x' };
    const messages: string[] = [];
    const rt = box.runtime({ inheritedEnv, log: (m) => messages.push(m) });
    const rec = new EventRecorder(rt);
    const first = dump({});
    await rt.start(first);
    assert.equal((await rec.exited(first)).exitCode, 0);
    await new Promise((r) => setTimeout(r, 1500)); // longer than TMOUT: a spawner reading with it would have exited
    const second = dump({});
    await rt.start(second);
    assert.equal((await rec.exited(second)).exitCode, 0);
    for (const s of [first, second]) {
      const dumped = JSON.parse(rec.logText(s).split('\n')[1] ?? '') as Dumped;
      for (const name of ['TMOUT', 'CDPATH', 'LANG']) assert.equal(dumped.env[name], inheritedEnv[name as keyof typeof inheritedEnv], name);
    }
    assert.ok(!messages.some((m) => /spawner exited/.test(m)), messages.join('\n'));
  });

  it('leaves SIGINT and SIGQUIT to the command, as a direct spawn does', async () => {
    const { rec, s } = await ranToEnd('grep SigIgn /proc/$$/status');
    assert.match(rec.logText(s), /SigIgn:\s+0+\n/);
  });

  it('runs each attempt in its own process group', async () => {
    const { rec, s } = await ranToEnd('ps -o pgid= -p $$');
    assert.equal(Number(rec.logText(s).split('\n')[1]), Number((await rec.started(s)).handle));
  });

  it('sees an exit through the folder watch at once, not at the next poll', async () => {
    const rt = box.runtime({ pollMs: 600_000 });
    const rec = new EventRecorder(rt);
    const specs = Array.from({ length: 20 }, () => spec({ command: ['true'] }));
    const t0 = Date.now();
    await Promise.all(specs.map((s) => rt.start(s)));
    for (const s of specs) assert.equal((await rec.exited(s)).reason, 'Completed');
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });

  it('restarts a spawner that was killed, even mid-request; every attempt runs once and completes', async () => {
    const messages: string[] = [];
    const rt = box.runtime({ log: (m) => messages.push(m) });
    const rec = new EventRecorder(rt);
    const gate = join(box.dir, 'spawner-gate');
    const count = join(box.dir, 'spawner-count');
    const make = () => script(`echo "$KONTROLER_TASK" >> '${count}'; while [ ! -f '${gate}' ]; do sleep 0.02; done; echo done`);
    const first = make();
    await rt.start(first);
    const spawner = await supervisorParent(Number((await rec.started(first)).handle));

    // Killed while a burst of requests is in flight: some were forked, some not, some unanswered.
    const burst = Array.from({ length: 30 }, make);
    const starting = burst.map((s) => rt.start(s));
    await rec.started(burst[0]!);
    process.kill(spawner, 'SIGKILL');
    await Promise.all(starting);
    await until(async () => !(await alive(spawner)), 'the old spawner is gone');

    // A new spawner takes later requests.
    const later = make();
    await rt.start(later);
    const next = await supervisorParent(Number((await rec.started(later)).handle));
    assert.notEqual(next, spawner);
    assert.match(await readFile(`/proc/${next}/cmdline`, 'utf8'), /kontroler-spawner/);

    await writeFile(gate, '');
    for (const s of [first, ...burst, later]) {
      const end = await rec.exited(s);
      assert.equal(end.reason, 'Completed', `${s.task}: ${end.reason}`);
      assert.match(rec.logText(s), /\ndone\n$/);
    }
    const ran = (await readFile(count, 'utf8')).trim().split('\n').sort();
    assert.deepEqual(ran, [first, ...burst, later].map((s) => s.task).sort(), 'each attempt ran exactly once');
    assert.ok(messages.some((m) => /spawner exited/.test(m)), messages.join('\n'));
  });

  it('reports Lost for a supervisor killed after its spawner died, even when init leaves it a zombie', async () => {
    const rt = box.runtime();
    const rec = new EventRecorder(rt);
    const s = script('echo up; sleep 60');
    await rt.start(s);
    await rec.logContains(s, 'up\n');
    const pid = Number((await rec.started(s)).handle);
    const spawner = await supervisorParent(pid);
    process.kill(spawner, 'SIGKILL');
    await until(async () => (await supervisorParent(pid)) !== spawner, 'the supervisor is orphaned');
    process.kill(-pid, 'SIGKILL'); // no exit file; its new parent may never reap it
    const end = await rec.exited(s);
    assert.deepEqual([end.reason, end.exitCode], ['Lost', undefined]);
  });

  it('never writes a parameter value to disk or to its log messages', async () => {
    const secret = `s3cr3t-${process.pid}-${Date.now()}`;
    const messages: string[] = [];
    const rt = box.runtime({ log: (m) => messages.push(m) });
    const rec = new EventRecorder(rt);
    const runId = 'run-secret';
    const specs = [
      spec({ runId, command: ['true'], env: { TOKEN: secret } }),
      spec({ runId, command: ['true'], env: { 'odd.name': secret } }), // env -i route
      script('[ -n "$TOKEN" ] && exit 3', { runId, env: { TOKEN: secret } }),
      script('sleep 60', { runId, env: { TOKEN: secret } }), // killed
    ];
    for (const s of specs) await rt.start(s);
    const [, , failing, killed] = specs;
    await rt.kill(killed!, 'Canceled');
    for (const s of specs) await rec.exited(s);
    assert.equal((await rec.exited(failing!)).exitCode, 3);
    // The spawner's own environment and command line hold no values either.
    const parent = box.runtime();
    const precs = new EventRecorder(parent);
    const probe = spec({ command: ['sleep', '0.2'] });
    await parent.start(probe);
    const spawner = await supervisorParent(Number((await precs.started(probe)).handle));
    const spawnerEnv = await readFile(`/proc/${spawner}/environ`, 'utf8');
    assert.ok(!spawnerEnv.includes(secret));
    await precs.exited(probe);
    for (const file of await filesUnder(box.stateDir)) {
      const text = await readFile(file, 'utf8');
      assert.ok(!text.includes(secret), `${file} holds the value`);
    }
    assert.ok(!messages.join('\n').includes(secret));
  });

  for (const [what, bash] of [
    ['exits at once', '/bin/false'],
    ['does not exist', '/nonexistent/bash'],
    ['cannot do job control or read -N (a POSIX sh)', '/bin/sh'],
  ] as const) {
    it(`falls back to spawning directly, saying so once, when the spawner's bash ${what}`, async () => {
      const messages: string[] = [];
      const rt = box.runtime({ spawner: bash, log: (m) => messages.push(m) });
      const rec = new EventRecorder(rt);
      const specs = [spec({ command: ['sleep', '0.2'] }), spec({ command: ['true'] })];
      for (const s of specs) await rt.start(s);
      assert.equal(await supervisorParent(Number((await rec.started(specs[0]!)).handle)), process.pid);
      for (const s of specs) assert.equal((await rec.exited(s)).reason, 'Completed');
      assert.equal(messages.filter((m) => /spawning attempts directly/.test(m)).length, 1, messages.join('\n'));
    });
  }

  it('falls back to spawning directly when told not to use the spawner', async () => {
    const rt = box.runtime({ spawner: false });
    const rec = new EventRecorder(rt);
    const s = spec({ command: ['sleep', '0.2'] });
    await rt.start(s);
    assert.equal(await supervisorParent(Number((await rec.started(s)).handle)), process.pid);
    assert.equal((await rec.exited(s)).reason, 'Completed');
  });
});
