// The CRDs: deploy/crds is what the generator makes, and every field of the Go project's CRD
// schemas is accepted by ours with a compatible type (so every object valid there is valid here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { crdManifests } from '@kontroler/kube-operator';
import { compatDir, repoRoot, yamlFilesUnder } from '@kontroler/testing';
import { readYamlDocs } from './repo.js';

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean; required?: string[]; [k: string]: unknown };

test('deploy/crds and the Helm chart hold the generated CRDs (run `node scripts/gen-crds.mjs` after changing a shape)', () => {
  const generated = crdManifests();
  for (const dir of ['deploy/crds', 'deploy/helm/kontroler/crds']) {
    const files = yamlFilesUnder(join(repoRoot, dir));
    assert.equal(files.length, generated.length, dir);
    for (const crd of generated) {
      const name = (crd.metadata as { name: string }).name;
      const [doc] = readYamlDocs(join(repoRoot, dir, `${name}.yaml`));
      assert.deepEqual(doc, JSON.parse(JSON.stringify(crd)), `${dir}/${name}.yaml is stale`);
    }
  }
});

function specSchema(crd: Record<string, unknown>): Schema {
  const v = (crd.spec as { versions: Array<{ schema: { openAPIV3Schema: Schema } }> }).versions[0]!;
  return v.schema.openAPIV3Schema.properties!.spec!;
}

/** Problems where `theirs` accepts something `ours` would not. */
function compare(theirs: Schema, ours: Schema, path: string, out: string[]): void {
  if (ours['x-kubernetes-preserve-unknown-fields'] === true && ours.type === undefined) return;
  const intOrString = ours['x-kubernetes-int-or-string'] === true;
  if (theirs.type !== undefined && ours.type !== theirs.type && !(intOrString && (theirs.type === 'string' || theirs.type === 'integer'))) {
    out.push(`${path}: type ${String(theirs.type)} there, ${String(ours.type)} here`);
    return;
  }
  if (theirs.type === undefined && theirs['x-kubernetes-preserve-unknown-fields'] === true && ours['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.push(`${path}: free-form there, not here`);
  }
  for (const r of ours.required ?? []) if (!(theirs.required ?? []).includes(r)) out.push(`${path}.${r}: required here only`);
  for (const [k, v] of Object.entries(theirs.properties ?? {})) {
    const mine = ours.properties?.[k];
    if (!mine) {
      if (ours['x-kubernetes-preserve-unknown-fields'] !== true) out.push(`${path}.${k}: missing here`);
      continue;
    }
    compare(v, mine, `${path}.${k}`, out);
  }
  if (theirs.items && ours.items) compare(theirs.items, ours.items, `${path}[]`, out);
  if (typeof theirs.additionalProperties === 'object' && typeof ours.additionalProperties === 'object') compare(theirs.additionalProperties, ours.additionalProperties, `${path}.*`, out);
}

test("every field of the Go project's CRD schemas is in ours, with a compatible type and no extra required field", () => {
  const ours = new Map(crdManifests().map((c) => [(c.metadata as { name: string }).name, c]));
  for (const file of yamlFilesUnder(join(compatDir(), 'kontroler-crds'))) {
    const [theirs] = readYamlDocs(file);
    const name = (theirs!.metadata as { name: string }).name;
    if (name.startsWith('workerpools.')) continue; // WorkerPool is deliberately not supported (core refuses it)
    const mine = ours.get(name);
    assert.ok(mine, `no CRD ${name}`);
    const problems: string[] = [];
    compare(specSchema(theirs!), specSchema(mine), 'spec', problems);
    assert.deepEqual(problems, [], `${name}`);
  }
});

test('our additions are documented in the schema; printer columns and short names', () => {
  const dag = crdManifests().find((c) => (c.metadata as { name: string }).name === 'dags.kontroler.greedykomodo')!;
  const spec = specSchema(dag);
  const task = spec.properties!.task!.items!;
  for (const f of ['retry', 'timeoutSeconds', 'triggerRule']) assert.match(String(task.properties![f]!.description), /Kontroler TS addition/, f);
  for (const f of ['timezone', 'concurrencyPolicy', 'catchUp']) assert.match(String(spec.properties![f]!.description), /Kontroler TS addition/, f);
  const v = (dag.spec as { versions: Array<{ additionalPrinterColumns: Array<{ name: string }> }>; names: { shortNames: string[] } });
  assert.deepEqual(
    v.versions[0]!.additionalPrinterColumns.filter((c) => !('priority' in c)).map((c) => c.name),
    ['Schedule', 'Last Run', 'Last Status', 'Phase', 'Age'],
  );
  assert.deepEqual(v.names.shortNames, ['kdag']);
});
