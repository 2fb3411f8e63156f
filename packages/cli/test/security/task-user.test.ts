// Attack replay: a task in local mode runs with the controller's user unless KONTROLER_TASK_USER
// says otherwise. With it set, an editor's task cannot read the data folder (database password,
// instance file, attempt folders) nor reach the controller's privileges.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startInstance, type Instance } from './instance.js';

let kontroler: Instance;

before(async () => {
  assert.equal(process.getuid?.(), 0, 'this test switches users, so it must run as root (CI does)');
  kontroler = await startInstance({ env: { KONTROLER_TASK_USER: 'nobody' } });
  assert.match(kontroler.proc.output(), /local tasks run as user nobody \(uid 65534\)/);
});

after(() => kontroler.stop());

async function runToEnd(dag: string): Promise<{ status: string; log: string }> {
  const res = await kontroler.api(`/api/v1/namespaces/default/dags/${dag}/runs`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 201, await res.clone().text());
  const { id } = (await res.json()) as { id: number };
  const limit = Date.now() + 60_000;
  for (;;) {
    const run = (await (await kontroler.api(`/api/v1/runs/${id}`)).json()) as { status: string };
    if (['succeeded', 'failed', 'canceled'].includes(run.status)) {
      const log = await (await kontroler.api(`/api/v1/runs/${id}/tasks/snoop/attempts/1/logs`)).text();
      return { status: run.status, log };
    }
    if (Date.now() > limit) throw new Error(`run ${id} did not end: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a task cannot read the data folder or act as the controller's user", async () => {
  const script = [
    'id -u',
    `cat ${kontroler.dataDir}/instance.json && echo READ-INSTANCE`,
    `ls ${kontroler.dataDir}/runtime/attempts && echo LISTED-ATTEMPTS`,
    `kill -0 1 && echo SIGNALLED-INIT`,
    'echo done',
  ].join('\n');
  writeFileSync(
    join(kontroler.dagsDir, 'snoop.yaml'),
    `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: snoop}\nspec:\n  task:\n    - name: snoop\n      image: alpine\n      script: ${JSON.stringify(script)}\n`,
  );
  await kontroler.proc.waitFor(/DAG default\/snoop: loaded version 1/);
  const { status, log } = await runToEnd('snoop');
  assert.equal(status, 'succeeded', log);
  const lines = log.split('\n');
  assert.equal(lines[1], '65534', log);
  assert.doesNotMatch(log, /READ-INSTANCE|LISTED-ATTEMPTS|SIGNALLED-INIT|databaseUrl/);
  assert.match(log, /Permission denied|Operation not permitted/);
  assert.match(log, /done/);
});
