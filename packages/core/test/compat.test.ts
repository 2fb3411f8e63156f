// Every resource the Go project ships as a sample must load (and DAGs/DagTasks validate)
// unchanged, except the deliberate error sample and kinds we do not implement.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { loadValidatedResources, parseResources, resolveDag, type DagTaskResource } from '@kontroler/core';
import { compatDir, yamlFilesUnder } from '@kontroler/testing';

const samples = join(compatDir(), 'kontroler-samples');
const files = yamlFilesUnder(samples);
const rel = (f: string): string => relative(samples, f);

test('the corpus is there and not trivially small', () => {
  assert.ok(files.length >= 25, `expected the sample corpus, found ${files.length} files`);
});

for (const file of files) {
  const name = rel(file);
  const text = readFileSync(file, 'utf8');
  const kinds = parseResources(text, name).documents.map((d) => d.resource?.kind);

  if (name.startsWith('dagError/')) {
    test(`compat: ${name} is refused, naming the duplicate task`, () => {
      const r = loadValidatedResources(text, { source: name });
      assert.equal(r.resources.length, 0);
      const dup = r.errors.find((e) => e.path === 'spec.task[1].name');
      assert.ok(dup, `errors: ${JSON.stringify(r.errors)}`);
      assert.match(dup.message, /duplicate task name "random"/);
      assert.equal(dup.line, 72);
      assert.equal(dup.source, name);
    });
    continue;
  }

  if (/kind:\s*WorkerPool/.test(text)) {
    test(`compat: ${name} (WorkerPool) is refused with a clear error`, () => {
      const r = parseResources(text, name);
      assert.equal(r.resources.length, 0);
      assert.deepEqual(r.errors.map((e) => [e.path, e.line]), [['kind', 8]]);
      assert.match(r.errors[0]?.message ?? '', /^kind WorkerPool is not supported/);
    });
    continue;
  }

  if (/^kind:\s*Schedule/m.test(text)) {
    test(`compat: ${name} (a "future" kind the Go project never shipped) is refused`, () => {
      const r = parseResources(text, name);
      assert.equal(r.resources.length, 0);
      assert.match(r.errors[0]?.message ?? '', /kind Schedule is not supported/);
    });
    continue;
  }

  test(`compat: ${name} (${kinds.join(', ')}) loads and validates unchanged`, () => {
    const r = loadValidatedResources(text, { source: name });
    assert.deepEqual(r.errors, []);
    assert.equal(r.resources.length, 1);
    const res = r.resources[0];
    assert.ok(res !== undefined && ['DAG', 'DagTask', 'DagRun'].includes(res.kind));
  });
}

test('compat: every sample DAG resolves, taskRef ones against the sample DagTasks', () => {
  const dagTasks = new Map<string, DagTaskResource>();
  for (const f of files) {
    for (const r of parseResources(readFileSync(f, 'utf8')).resources) {
      if (r.kind === 'DagTask') dagTasks.set(r.metadata.name, r);
    }
  }
  let resolved = 0;
  for (const f of files) {
    if (rel(f).startsWith('dagError/')) continue;
    for (const r of parseResources(readFileSync(f, 'utf8')).resources) {
      if (r.kind !== 'DAG') continue;
      const out = resolveDag(r, (_ns, name, version) => (version === 1 ? dagTasks.get(name)?.spec : undefined));
      assert.deepEqual(out.errors, [], rel(f));
      assert.ok(out.definition !== undefined && out.definition.tasks.length > 0, rel(f));
      resolved++;
    }
  }
  assert.ok(resolved >= 15);
});

test('compat: the DSL sample becomes 4 tasks with the graph as runAfter', () => {
  const text = readFileSync(join(samples, 'sample-dsl-dag.yaml'), 'utf8');
  const r = resolveDag(parseResources(text).resources[0] as never, () => undefined);
  assert.deepEqual(r.errors, []);
  const def = r.definition;
  assert.ok(def);
  assert.equal(def.schedule, '0 */6 * * *');
  assert.deepEqual(def.parameters, [
    { name: 'environment', defaultValue: 'production' },
    { name: 'replicas', defaultValue: '3' },
  ]);
  assert.deepEqual(
    def.tasks.map((t) => [t.name, t.runAfter]),
    [['setup', []], ['deploy', ['setup']], ['test', ['setup']], ['cleanup', ['deploy', 'test']]],
  );
  const test_ = def.tasks.find((t) => t.name === 'test');
  assert.deepEqual(test_?.retryCodes, [1, 2, 125]);
  assert.equal(test_?.retryLimit, 3);
  assert.equal(def.tasks.find((t) => t.name === 'deploy')?.script, 'echo "Deploying application to $ENVIRONMENT"\necho "Using $REPLICAS replicas"\n');
});

test('compat: CRD schemas are where the README says (read in place)', () => {
  const crds = yamlFilesUnder(join(compatDir(), 'kontroler-crds')).map((f) => rel(f));
  assert.equal(crds.length, 4);
});
