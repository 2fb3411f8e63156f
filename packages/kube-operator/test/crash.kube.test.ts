// SIGKILL the `kontroler controller --runtime kubernetes` process several times during a 50-task
// run: the run completes, and no attempt ever gets a second pod (every pod name is created once,
// with one uid), because pod names are deterministic and a restarted controller adopts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { V1Pod } from '@kubernetes/client-node';
import type { DagResource, TaskSpec } from '@kontroler/core';
import { startReflector, testNamespace, type Reflector } from '@kontroler/kube-agent/testing';
import { RUN_STATE_CHANNEL, applyResource, listen, loadRun, startRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { repoRoot } from '@kontroler/testing';

const ns = await testNamespace('crash');
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

function dag(): DagResource {
  const task: TaskSpec[] = [];
  for (let l = 0; l < 5; l++) {
    for (let w = 0; w < 10; w++) {
      task.push({
        name: `l${l}w${w}`,
        image: 'alpine',
        script: 'echo "$KONTROLER_TASK attempt $KONTROLER_ATTEMPT"; sleep 0.5',
        ...(l > 0 ? { runAfter: [...new Set([`l${l - 1}w${w}`, `l${l - 1}w${(w + 3) % 10}`])] } : {}),
      });
    }
  }
  return { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'fifty', namespace: ns.name }, spec: { task } };
}

interface Controller {
  child: ChildProcess;
  out: string;
  kill(): Promise<void>;
}

function controller(): Controller {
  const { KONTROLER_TEST_DATABASE_URL: _t, ...env } = process.env;
  const child = spawn(
    process.execPath,
    [`${repoRoot}packages/cli/bin/kontroler.js`, 'controller', '--runtime', 'kubernetes', '--kubeconfig', process.env.KONTROLER_TEST_KUBECONFIG ?? '', '--namespaces', ns.name, '--no-crds', '--kube-qps', '0'],
    { env: { ...env, DATABASE_URL: db.url, KONTROLER_CONTROLLER_ID: 'crash-kube' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const c: Controller = {
    child,
    out: '',
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      }),
  };
  child.stdout?.on('data', (d: Buffer) => (c.out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (c.out += d.toString()));
  return c;
}

test('SIGKILL the controller 5 times during a 50-task run: the run completes and no attempt gets two pods', async (t) => {
  await applyResource(db.pool, dag(), { source: 'test' });
  const uids = new Map<string, Set<string>>();
  let created = 0;
  const progress = new Set<() => void>();
  const reflector: Reflector = startReflector<V1Pod>({
    kubeConfig: ns.kc,
    path: `/api/v1/namespaces/${ns.name}/pods`,
    onEvent: (e) => {
      if (e.type !== 'ADDED') return;
      const name = e.object.metadata?.name ?? '';
      const set = uids.get(name) ?? new Set<string>();
      set.add(e.object.metadata?.uid ?? '');
      uids.set(name, set);
      created++;
      for (const p of progress) p();
    },
  });
  t.after(() => reflector.stop());
  const untilCreated = (n: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (created < n) return;
        progress.delete(check);
        resolve();
      };
      progress.add(check);
      check();
    });

  let ended: (status: string) => void = () => undefined;
  const runEnded = new Promise<string>((r) => (ended = r));
  const { run } = await startRun(db.pool, { namespace: ns.name, dagName: 'fifty', trigger: 'manual' });
  const listener = await listen(db.url, [RUN_STATE_CHANNEL], (_ch, payload) => {
    const [id, status] = payload.split(':');
    if (Number(id) === run.id && ['succeeded', 'failed', 'canceled'].includes(status ?? '')) ended(status!);
  });
  t.after(() => listener.close());

  let current = controller();
  t.after(() => current.kill());
  for (const at of [4, 12, 22, 32, 42]) {
    await untilCreated(at);
    await current.kill();
    current = controller();
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    runEnded,
    new Promise<string>((_r, reject) => (timer = setTimeout(() => reject(new Error(`run did not end; controller output:\n${current.out}`)), 300_000))),
  ]).finally(() => clearTimeout(timer)); // a pending timer kept the file alive 5 minutes after the test
  const detail = await loadRun(db.pool, run.id);
  assert.equal(status, 'succeeded', JSON.stringify(detail?.state.tasks));
  const twice = [...uids].filter(([, s]) => s.size > 1);
  assert.deepEqual(twice, [], 'an attempt got a second pod');
  for (const task of [...detail!.state.tasks.values()]) {
    assert.equal(task.status, 'succeeded');
    assert.equal(task.attempts.filter((a) => a.status === 'succeeded').length, 1, task.name);
  }
  assert.ok(uids.size >= 50, `${uids.size} pods`);
});
