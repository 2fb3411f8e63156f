// Attack replays (issue 11, items 7 and 8) against a real `kontroler up`:
// - a DAG naming a secret that does not exist ran the task with the variable unset;
// - local secrets were global: any namespace could read any secret;
// - a task printing hundreds of MB (and one huge line) had it all stored, and reading it back took minutes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startInstance, type Instance } from './instance.js';

const CAP = 1024 * 1024;
let inst: Instance;

before(async () => {
  inst = await startInstance({
    env: {
      KONTROLER_MAX_LOG_BYTES: String(CAP),
      KONTROLER_SECRET_TEAM_A__SHARED: 'team-a-only-value',
      // The old unscoped form: no longer read, for any namespace.
      KONTROLER_SECRET_SHARED: 'unscoped-old-value',
    },
  });
});
after(async () => {
  await inst?.stop();
});

function dag(name: string, namespace: string, parameters: string, tasks: string): string {
  return `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
${parameters ? `  parameters:\n${parameters}\n` : ''}  task:
${tasks}
`;
}

interface AttemptView {
  attempt: number;
  status: string;
  exitCode: number | null;
  reason: string | null;
  startedAt: string | null;
  logSize: number;
}

async function load(file: string, text: string, what: RegExp): Promise<void> {
  writeFileSync(join(inst.dagsDir, file), text);
  await inst.proc.waitFor(what, 30_000);
}

async function runToEnd(ns: string, name: string, timeoutMs = 40_000): Promise<{ id: number; status: string }> {
  const res = await inst.api(`/api/v1/namespaces/${ns}/dags/${name}/runs`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 201, await res.clone().text());
  const { id } = (await res.json()) as { id: number };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = (await (await inst.api(`/api/v1/runs/${id}`)).json()) as { status: string };
    if (['succeeded', 'failed', 'canceled'].includes(r.status)) return { id, status: r.status };
    if (Date.now() > deadline) throw new Error(`run ${id} of ${ns}/${name} did not end within ${timeoutMs} ms (status ${r.status})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function attempts(id: number, task: string): Promise<AttemptView[]> {
  const res = await inst.api(`/api/v1/runs/${id}/tasks/${task}/attempts`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { items: AttemptView[] }).items;
}

const logUrl = (id: number, task: string, n: number) => `/api/v1/runs/${id}/tasks/${task}/attempts/${n}/logs`;

describe('secrets (issue 11 item 7)', () => {
  test('a missing secret: the attempt fails before starting, the reason names the secret, no retry', async () => {
    await load(
      'missing.yaml',
      dag('missing-secret', 'default', '    - name: P\n      defaultFromSecret: no-such-secret', `    - name: use
      image: alpine
      command: ["sh", "-c", "echo ran with P=[$P]"]
      parameters: ["P"]
      backoff:
        limit: 3`),
      /DAG default\/missing-secret: loaded version 1/,
    );
    const run = await runToEnd('default', 'missing-secret');
    assert.equal(run.status, 'failed');
    const list = await attempts(run.id, 'use');
    assert.equal(list.length, 1, 'retrying cannot help: one attempt only');
    const a = list[0]!;
    assert.equal(a.status, 'failed');
    assert.equal(a.exitCode, null);
    assert.match(a.reason ?? '', /^SecretNotFound: parameter P: secret "no-such-secret" of namespace "default" is not set: set the environment variable KONTROLER_SECRET_DEFAULT__NO_SUCH_SECRET/);
    assert.equal(a.logSize, 0, 'nothing ran, nothing printed');
  });

  test('a secret set for another namespace is not visible; the old unscoped variable is refused with the new name', async () => {
    const uses = (ns: string) =>
      dag('reads', ns, '    - name: S\n      defaultFromSecret: shared', `    - name: show
      image: alpine
      command: ["sh", "-c", "echo S=[$S]"]
      parameters: ["S"]`);
    await load('team-a.yaml', uses('team-a'), /DAG team-a\/reads: loaded version 1/);
    await load('team-b.yaml', uses('team-b'), /DAG team-b\/reads: loaded version 1/);
    await load('default-reads.yaml', uses('default'), /DAG default\/reads: loaded version 1/);

    // Its own namespace reads it (the positive control).
    const a = await runToEnd('team-a', 'reads');
    assert.equal(a.status, 'succeeded');
    assert.ok((await (await inst.api(logUrl(a.id, 'show', 1))).text()).endsWith('\nS=[team-a-only-value]\n'));

    const b = await runToEnd('team-b', 'reads');
    assert.equal(b.status, 'failed');
    const [bAttempt] = await attempts(b.id, 'show');
    assert.match(bAttempt?.reason ?? '', /SecretNotFound: .*secret "shared" of namespace "team-b" is not set: set the environment variable KONTROLER_SECRET_TEAM_B__SHARED/);
    assert.doesNotMatch(bAttempt?.reason ?? '', /team-a-only-value|unscoped-old-value/, 'no value in the reason');

    const d = await runToEnd('default', 'reads');
    assert.equal(d.status, 'failed');
    const [dAttempt] = await attempts(d.id, 'show');
    assert.match(dAttempt?.reason ?? '', /KONTROLER_SECRET_SHARED is no longer read \(secrets are scoped by namespace\): rename it to KONTROLER_SECRET_DEFAULT__SHARED/);
    assert.doesNotMatch(dAttempt?.reason ?? '', /unscoped-old-value/);
  });
});

describe('logs (issue 11 item 8)', () => {
  test('20 MB of output and a 10 MB line: the stored log is at the cap, the cut marked, the tail present; Range reads work', async () => {
    // 20 MB of numbered lines, then one 10 MB line, then a last line.
    const script = 'seq 1 1000000 | sed "s/^/output line /"; head -c 10000000 /dev/zero | tr -c x x; echo; echo THE-LAST-LINE';
    await load(
      'flood.yaml',
      dag('flood', 'default', '', `    - name: print
      image: alpine
      command: ["sh", "-c", ${JSON.stringify(script)}]`),
      /DAG default\/flood: loaded version 1/,
    );
    const t0 = Date.now();
    const run = await runToEnd('default', 'flood', 50_000);
    const ms = Date.now() - t0;
    assert.equal(run.status, 'succeeded');
    const [a] = await attempts(run.id, 'print');
    assert.equal(a?.exitCode, 0);
    const size = a!.logSize;
    assert.ok(size <= CAP, `stored ${size} bytes <= cap ${CAP}`);
    assert.ok(size > CAP - 64 * 1024, `stored ${size} bytes: close to the cap`);

    const whole = await inst.api(logUrl(run.id, 'print', 1));
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    const text = await whole.text();
    assert.equal(Buffer.byteLength(text), size);
    // (The local runtime's own first line, about the image, comes before the task's output.)
    const first = text.indexOf('\noutput line 1\noutput line 2\n') + 1;
    assert.ok(first > 0 && first < 300, 'the head is the start of the output');
    const cut = /\n\[kontroler: (\d+) bytes cut\]\n/.exec(text);
    assert.ok(cut, 'the cut is marked');
    assert.ok(Number(cut[1]) > 25_000_000, `${cut[1]} bytes cut`);
    assert.ok(text.endsWith('x\nTHE-LAST-LINE\n'), 'the tail is the end of the output');
    assert.match(text, /\n\[kontroler: line split at 65536 bytes\]\n/, 'the long line is split');
    const longest = Math.max(...text.split('\n').map((l) => l.length));
    assert.ok(longest <= 65536, `longest stored line ${longest}`);

    // Range: the first bytes, the last bytes (suffix), a page in the middle, past the end.
    const head = await inst.api(logUrl(run.id, 'print', 1), { headers: { range: `bytes=${first}-${first + 13}` } });
    assert.equal(head.status, 206);
    assert.equal(head.headers.get('content-range'), `bytes ${first}-${first + 13}/${size}`);
    assert.equal(await head.text(), 'output line 1\n');
    const tail = await inst.api(logUrl(run.id, 'print', 1), { headers: { range: 'bytes=-14' } });
    assert.equal(tail.status, 206);
    assert.equal(await tail.text(), 'THE-LAST-LINE\n');
    const at = cut.index;
    const mid = await inst.api(logUrl(run.id, 'print', 1), { headers: { range: `bytes=${at}-${at + cut[0].length - 1}` } });
    assert.equal(await mid.text(), cut[0]);
    const past = await inst.api(logUrl(run.id, 'print', 1), { headers: { range: `bytes=${size}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), `bytes */${size}`);
    console.log(`# flood: ${size} bytes stored of ~30 MB printed; run took ${ms} ms`);
  });
});
