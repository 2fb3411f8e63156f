// The container runtime's pure parts: names, quantities and limits, the log stream's framing, the
// container built from a spec, how an end is reported, DOCKER_HOST. No engine needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { attemptSpec } from '@kontroler/testing';
import { containerLimits, containerName, dockerOptions, parseQuantity, scopeOf } from '@kontroler/runtime-container';
import { containerRequest } from '../dist/container-spec.js';
import { Demuxer, demuxAll } from '../dist/demux.js';
import { outcomeOf } from '../dist/outcome.js';
import type { ContainerInfo } from '../dist/container-engine.js';

test('container names: plain keys stay readable, any two different keys get different valid names', () => {
  assert.equal(containerName('0a1b2c3d', { runId: '42', task: 'extract', attempt: 2 }), 'kontroler_0a1b2c3d_42_extract_2');
  assert.notEqual(scopeOf('laptop:/a/.kontroler/container-runtime'), scopeOf('laptop:/b/.kontroler/container-runtime'), 'two data folders on one engine');
  const seg = fc.string({ minLength: 1, maxLength: 120 });
  fc.assert(
    fc.property(seg, seg, seg, seg, fc.nat(9), fc.nat(9), (r1, t1, r2, t2, a1, a2) => {
      const n1 = containerName('s', { runId: r1, task: t1, attempt: a1 });
      assert.match(n1, /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/);
      if (r1 !== r2 || t1 !== t2 || a1 !== a2) assert.notEqual(n1, containerName('s', { runId: r2, task: t2, attempt: a2 }));
    }),
  );
  // The classic collision of joined names: run "x", task "a-b" and run "x-a", task "b".
  assert.notEqual(containerName('s', { runId: 'x', task: 'a-b', attempt: 1 }), containerName('s', { runId: 'x-a', task: 'b', attempt: 1 }));
});

test('quantities and limits: Kubernetes forms, refused values say what to write', () => {
  const rows: Array<[string, number | undefined]> = [['500m', 0.5], ['2', 2], ['1.5', 1.5], ['128Mi', 128 * 2 ** 20], ['1G', 1e9], ['1e3', 1000], ['2Gi', 2 * 2 ** 30], ['lots', undefined], ['', undefined], ['1Q', undefined]];
  for (const [q, want] of rows) assert.equal(parseQuantity(q), want, q);
  assert.deepEqual(containerLimits('t', { cpu: '250m', memory: '64Mi', 'nvidia.com/gpu': '1' }), { nanoCpus: 250_000_000, memoryBytes: 64 * 2 ** 20 });
  assert.deepEqual(containerLimits('t', undefined), {});
  assert.throws(() => containerLimits('t', { memory: '1Ki' }), /task t: podTemplate.resources.limits.memory "1Ki" is not a memory size of at least 6Mi: write e.g. 256Mi/);
  assert.throws(() => containerLimits('t', { cpu: 'two' }), /limits.cpu "two" is not a CPU amount/);
});

function frame(stream: number, text: string): Uint8Array {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

test('the multiplexed log: payloads in order, whatever the chunking', () => {
  const whole = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, ''), frame(1, 'out two\n')]);
  assert.equal(Buffer.from(demuxAll(whole)).toString(), 'out one\nerr\nout two\n');
  fc.assert(
    fc.property(fc.array(fc.nat(whole.length), { maxLength: 8 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      let out = '';
      const d = new Demuxer((p) => (out += Buffer.from(p).toString()));
      let at = 0;
      for (const p of [...points, whole.length]) {
        d.push(whole.subarray(at, p));
        at = p;
      }
      assert.equal(out, 'out one\nerr\nout two\n');
    }),
  );
});

test('the container of a spec: script through /bin/sh, command/args as entrypoint/cmd, mounts, env, labels', () => {
  const folders = { outputs: '/state/a/outputs', workspace: '/state/ws' };
  const s = attemptSpec({ runId: 'r', script: 'echo hi', env: { P: 'v', KONTROLER_TASK: 'fake' }, workspace: true, outputs: ['x'], deadlineAt: 5 });
  const req = containerRequest(s, folders, { host: 'h:/state', controller: 'ctl-1' });
  assert.deepEqual([req.entrypoint, req.cmd], [['/bin/sh', '-c'], ['echo hi', 'script']]);
  assert.ok(req.env.includes('P=v'));
  assert.ok(req.env.includes(`KONTROLER_TASK=${s.task}`), 'a parameter cannot fake the identity variables');
  assert.ok(req.env.includes('KONTROLER_OUTPUTS=/kontroler/outputs') && req.env.includes('KONTROLER_WORKSPACE=/workspace'));
  assert.deepEqual(req.mounts, [{ source: '/state/a/outputs', target: '/kontroler/outputs' }, { source: '/state/ws', target: '/workspace' }]);
  assert.equal(req.labels['kontroler.greedykomodo/controller'], 'ctl-1');
  assert.equal(req.labels['kontroler.greedykomodo/host'], 'h:/state');
  assert.equal(req.name, containerName(scopeOf('h:/state'), s));
  assert.equal(req.labels['kontroler.greedykomodo/run-id'], 'r');
  assert.equal(req.labels['kontroler.greedykomodo/deadline-at'], '5');
  assert.equal(req.labels['kontroler.greedykomodo/outputs'], '["x"]');
  const cmd = containerRequest(attemptSpec({ command: ['echo'], args: ['$(P)'], env: { P: 'v' } }), { outputs: '/o', workspace: undefined }, { host: 'h', controller: undefined });
  assert.deepEqual([cmd.entrypoint, cmd.cmd], [['echo'], ['v']]);
  const argsOnly = containerRequest(attemptSpec({ args: ['--flag'] }), { outputs: '/o', workspace: undefined }, { host: 'h', controller: undefined });
  assert.deepEqual([argsOnly.entrypoint, argsOnly.cmd], [undefined, ['--flag']], "args alone replace the image's CMD, keeping its ENTRYPOINT");
  const image = containerRequest(attemptSpec({}), { outputs: '/o', workspace: undefined }, { host: 'h', controller: undefined });
  assert.deepEqual([image.entrypoint, image.cmd], [undefined, undefined]);
  assert.throws(() => containerRequest(attemptSpec({ script: 'echo \0' }), folders, { host: 'h', controller: undefined }), /NUL byte/);
});

test('how an end is reported: never ran, killed, OOM, exit codes, gone', () => {
  const info = (exitCode: number, oomKilled = false): ContainerInfo => ({ id: 'i', name: 'n', image: 'x', labels: {}, status: 'exited', running: false, exitCode, oomKilled });
  const kill = { at: 1, reason: 'Canceled' };
  assert.deepEqual(outcomeOf(info(0), undefined, undefined), { exitCode: 0, reason: 'Completed' });
  assert.deepEqual(outcomeOf(info(3), undefined, undefined), { exitCode: 3, reason: 'Error' });
  assert.deepEqual(outcomeOf(info(137), kill, undefined), { reason: 'Canceled' }, 'the signal is no exit code of the task');
  assert.deepEqual(outcomeOf(info(1), kill, undefined), { exitCode: 1, reason: 'Canceled' });
  assert.deepEqual(outcomeOf(info(137, true), undefined, undefined), { exitCode: 137, reason: 'OOMKilled' });
  assert.deepEqual(outcomeOf(undefined, undefined, undefined), { reason: 'Lost' });
  assert.deepEqual(outcomeOf(info(0), undefined, { at: 1, reason: 'ErrImagePull: x' }), { reason: 'ErrImagePull: x' });
});

test('DOCKER_HOST: unix sockets, tcp, the default; anything else is refused saying what to write', () => {
  assert.deepEqual(dockerOptions('unix:///run/podman/podman.sock'), { socketPath: '/run/podman/podman.sock' });
  assert.deepEqual(dockerOptions('tcp://10.0.0.2:2375'), { protocol: 'http', host: '10.0.0.2', port: 2375 });
  assert.deepEqual(dockerOptions(undefined), { socketPath: '/var/run/docker.sock' });
  assert.throws(() => dockerOptions('ssh://me@host'), /is not unix:\/\/\/path or tcp:\/\/host:port/);
});
