// End to end on the container runtime: `kontroler up --runtime container` against the test run's
// Podman (Docker Engine API), a DAG whose tasks run in the locally built test image, passing an
// output and a workspace file from one container to the next, exactly as a user would run it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { run, start, type Proc } from './proc.js';

let dir: string;
let up: Proc;
let env: NodeJS.ProcessEnv;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function testEngine(): { dockerHost: string; image: string } {
  const dockerHost = process.env.KONTROLER_TEST_DOCKER_HOST;
  const image = process.env.KONTROLER_TEST_CONTAINER_IMAGE;
  if (!dockerHost || !image) throw new Error('no test container engine: run through `node scripts/test.mjs up-container`, which starts Podman (scripts/fixtures/30-podman.mjs)');
  return { dockerHost, image };
}

const dag = (image: string) => `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: in-containers
spec:
  workspace:
    enable: true
  task:
    - name: produce
      image: ${image}
      script: |
        cat /kontroler-test-image
        echo 21 > /workspace/n
        echo 42 > "$KONTROLER_OUTPUTS/answer"
      outputs:
        - name: answer
    - name: consume
      image: ${image}
      runAfter: ["produce"]
      env:
        - name: ANSWER
          value: "{{tasks.produce.outputs.answer}}"
      script: |
        echo "got $ANSWER and $(cat /workspace/n)"
`;

const missingImage = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: missing-image
spec:
  task:
    - name: pull
      image: localhost/kontroler-no-such-image:0
      backoff:
        limit: 1
      script: echo must not run
`;

before(async () => {
  const te = testEngine();
  dir = mkdtempSync(join(tmpdir(), 'kontroler-up-container-'));
  const dags = join(dir, 'dags');
  mkdirSync(dags);
  writeFileSync(join(dags, 'in-containers.yaml'), dag(te.image));
  writeFileSync(join(dags, 'missing-image.yaml'), missingImage);
  const { DATABASE_URL: _a, KONTROLER_TEST_DATABASE_URL: _b, KONTROLER_RUNTIME: _c, ...rest } = process.env;
  env = { ...rest, KONTROLER_DATA_DIR: join(dir, 'data'), KONTROLER_CONFIG: join(dir, 'cli-config.json'), DOCKER_HOST: te.dockerHost, KONTROLER_PULL_POLICY: 'Never' };
  up = start(['up', '--runtime', 'container', '--dags', dags, '--port', String(await freePort())], env);
  await up.waitFor(/Kontroler is up/, 120_000);
  await up.waitFor(/DAG default\/in-containers: loaded/);
  await up.waitFor(/DAG default\/missing-image: loaded/);
});

after(async () => {
  up.signal('SIGINT');
  await up.exited;
  rmSync(dir, { recursive: true, force: true });
});

test('up says it runs tasks in containers, and a DAG runs there: image files, outputs and the workspace flow between containers', async () => {
  assert.match(up.output(), /task runtime: container \(one container per attempt through the Docker Engine API at unix:\/\/.*pull policy Never/);
  const r = await run(['run', 'in-containers', '--wait'], env);
  assert.equal(r.code, 0, `${r.out}\n--- up:\n${up.output()}`);
  const id = /run (\d+) succeeded/.exec(r.out)?.[1] ?? '';
  const produce = await run(['logs', id, 'produce'], env);
  assert.match(produce.out, /kontroler test image/, 'the task saw the file only its image has');
  const consume = await run(['logs', id, 'consume'], env);
  assert.match(consume.out, /got 42 and 21/);
  // Once their attempts are recorded, the run's containers are removed.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ps = spawnSync('podman', ['ps', '-a', '--filter', `label=kontroler.greedykomodo/run-id=${id}`, '--format', '{{.Names}}'], { encoding: 'utf8' });
    assert.equal(ps.status, 0, ps.stderr);
    if (ps.stdout.trim() === '') break;
    assert.ok(Date.now() < deadline, `containers of run ${id} are still there: ${ps.stdout}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

test('a missing image fails the attempt with the engine\'s reason; the retry policy gives it a second attempt', async () => {
  const r = await run(['run', 'missing-image', '--wait'], env);
  assert.notEqual(r.code, 0, r.out);
  const id = /run (\d+) failed/.exec(r.out)?.[1] ?? '';
  const status = await run(['run-status', id, '-o', 'json'], env);
  assert.equal(status.code, 0, status.out);
  assert.match(status.out, /ErrImageNeverPull: image \\"localhost\/kontroler-no-such-image:0\\" is not present and the pull policy is Never/);
  const human = await run(['run-status', id], env);
  assert.match(human.out, /^\s+failed\s+2\s+failed\s.*ErrImageNeverPull/m, human.out);
});

test('kontroler controller --runtime container (KONTROLER_RUNTIME) uses the container runtime too', async () => {
  const instance = JSON.parse(readFileSync(join(dir, 'data', 'instance.json'), 'utf8')) as { databaseUrl: string };
  const controller = start(['controller'], { ...env, KONTROLER_RUNTIME: 'container', DATABASE_URL: instance.databaseUrl, KONTROLER_DATA_DIR: join(dir, 'data-controller'), KONTROLER_CONTROLLER_ID: 'second' });
  try {
    await controller.waitFor(/task runtime: container \(one container per attempt through the Docker Engine API at unix:/, 60_000);
    await controller.waitFor(/Kontroler is up/, 60_000);
  } finally {
    controller.signal('SIGINT');
    await controller.exited;
  }
});

test('up --runtime container without an engine stops at once, saying what to do', async () => {
  const bad = start(['up', '--runtime', 'container', '--port', String(await freePort())], {
    ...env,
    KONTROLER_DATA_DIR: join(dir, 'data-no-engine'),
    DOCKER_HOST: `unix://${join(dir, 'no-such.sock')}`,
  });
  const code = await bad.exited;
  assert.notEqual(code, 0);
  assert.match(bad.output(), /no Docker Engine API at unix:\/\/.*no-such\.sock.*set DOCKER_HOST/);
});
