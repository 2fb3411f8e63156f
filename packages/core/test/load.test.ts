import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatFieldErrorsLocated, loadValidatedResources, parseResources, type DagResource } from '@kontroler/core';

const HEAD = 'apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata:\n  name: x\n';

function only(text: string): DagResource {
  const r = parseResources(text);
  assert.deepEqual(r.errors, []);
  assert.equal(r.resources.length, 1);
  return r.resources[0] as DagResource;
}

describe('parseResources: structure', () => {
  test('unknown fields name the field, with a did-you-mean and the key position', () => {
    const r = parseResources(`${HEAD}spec:\n  task:\n    - name: a\n      imagee: alpine\n`);
    assert.deepEqual(r.errors, [
      { path: 'spec.task[0].imagee', message: 'unknown field (did you mean "image"?)', line: 8, column: 7, document: 1 },
    ]);
  });

  test('a plural "tasks" is caught', () => {
    const r = parseResources(`${HEAD}spec:\n  tasks: []\n`);
    assert.equal(r.errors[0]?.path, 'spec.tasks');
    assert.match(r.errors[0]?.message ?? '', /did you mean "task"/);
  });

  test('type errors name the field and the expected type', () => {
    const r = parseResources(
      `${HEAD}spec:\n  suspended: "no"\n  catchUp: 1.5\n  task:\n    - name: a\n      backoff: {limit: "3"}\n      command: sh\n      parameters: [3]\n`,
    );
    assert.deepEqual(
      r.errors.map((e) => [e.path, e.message, e.line]),
      [
        ['spec.suspended', 'expected a boolean (true or false), got a string ("no")', 6],
        ['spec.catchUp', 'expected an integer, got the number 1.5', 7],
        ['spec.task[0].backoff.limit', 'expected an integer, got a string ("3")', 10],
        ['spec.task[0].command', 'expected a list, got a string ("sh")', 11],
        ['spec.task[0].parameters[0]', 'expected a string, got the integer 3 (quote it: "3")', 12],
      ],
    );
  });

  test('YAML 1.1 scalars, as kubectl reads them: yes/on are booleans; timestamps stay strings', () => {
    const d = only(
      `${HEAD}  creationTimestamp: 2024-01-01T00:00:00Z\nspec:\n  suspended: yes\n  webhook: {url: "http://h", verifySSL: off}\n  task: [{name: a, image: x, command: [x]}]\n`,
    );
    assert.equal(d.spec.suspended, true);
    assert.equal(d.spec.webhook?.verifySSL, false);
    const bad = parseResources(`${HEAD}spec:\n  parameters: [{name: a, defaultValue: on}]\n`);
    assert.match(bad.errors[0]?.message ?? '', /expected a string, got the boolean true \(quote it: "on"\)/);
  });

  test('null means absent, as in Kubernetes (what the Go API writes: retryCodes: null)', () => {
    const d = only(`${HEAD}spec:\n  schedule: ~\n  task:\n    - name: a\n      image: x\n      command: [x]\n      conditional: {enabled: false, retryCodes: null}\n`);
    assert.equal(d.spec.schedule, undefined);
    assert.deepEqual(d.spec.task?.[0]?.conditional, { enabled: false });
  });

  test('metadata extras are ignored; labels and annotations are kept', () => {
    const d = only(
      `${HEAD}  namespace: ns\n  uid: 123\n  resourceVersion: "9"\n  generation: 2\n  finalizers: [a]\n  labels: {app.kubernetes.io/name: dag}\n  annotations: {kontroler/dsl-hash: abc}\nspec: {}\nstatus: {phase: Successful}\n`,
    );
    assert.deepEqual(d.metadata, {
      name: 'x',
      namespace: 'ns',
      labels: { 'app.kubernetes.io/name': 'dag' },
      annotations: { 'kontroler/dsl-hash': 'abc' },
    });
  });

  test('free-form Kubernetes sub-objects keep unknown fields', () => {
    const d = only(
      `${HEAD}spec:\n  task:\n    - name: a\n      image: x\n      command: [x]\n      podTemplate:\n` +
        `        affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}\n` +
        `        securityContext: {runAsUser: 1000, fsGroup: 2000}\n` +
        `        volumes: [{name: c, configMap: {name: cm}}, {name: e, emptyDir: {medium: Memory}}]\n` +
        `        resources: {limits: {cpu: 1, memory: 512Mi}}\n`,
    );
    const pt = d.spec.task?.[0]?.podTemplate;
    assert.deepEqual(pt?.securityContext, { runAsUser: 1000, fsGroup: 2000 });
    assert.deepEqual(pt?.volumes?.[0], { name: 'c', configMap: { name: 'cm' } });
    assert.deepEqual(pt?.volumes?.[1], { name: 'e', emptyDir: { medium: 'Memory' } });
    assert.deepEqual(pt?.resources, { limits: { cpu: '1', memory: '512Mi' } }, 'numeric quantities keep their text');
    const strict = parseResources(`${HEAD}spec:\n  task:\n    - name: a\n      podTemplate: {volumeMounts: [{name: v, mountpath: /x}]}\n`);
    assert.equal(strict.errors[0]?.path, 'spec.task[0].podTemplate.volumeMounts[0].mountpath');
    assert.match(strict.errors[0]?.message ?? '', /did you mean "mountPath"/);
  });

  test('JSON is YAML too', () => {
    const d = only(JSON.stringify({
      apiVersion: 'kontroler.greedykomodo/v1alpha1',
      kind: 'DagRun',
      metadata: { name: 'r' },
      spec: { dagName: 'd', parameters: [{ name: 'p', value: 'v' }] },
    }));
    assert.equal(d.kind, 'DagRun');
  });

  test('anchors, aliases and merge keys work', () => {
    const d = only(`${HEAD}spec:\n  task:\n    - &base {name: a, image: x, command: [x]}\n    - <<: *base\n      name: b\n      runAfter: [a]\n`);
    assert.deepEqual(d.spec.task?.[1], { name: 'b', image: 'x', command: ['x'], runAfter: ['a'] });
  });

  test('apiVersion and kind', () => {
    const r = parseResources('kind: Dag\nmetadata: {name: x}\n---\napiVersion: kontroler.greedykomodo/v1\nkind: DagRun\nmetadata: {name: r}\nspec: {dagName: d}\n');
    assert.deepEqual(
      r.errors.map((e) => [e.path, e.message]),
      [
        ['[doc 1] apiVersion', 'required: set it to "kontroler.greedykomodo/v1alpha1"'],
        ['[doc 1] kind', 'kind Dag is not supported (supported kinds: DAG, DagTask, DagRun) (did you mean "DAG"?)'],
        ['[doc 2] apiVersion', 'unsupported apiVersion "kontroler.greedykomodo/v1"; expected "kontroler.greedykomodo/v1alpha1"'],
      ],
    );
  });

  test('documents that are not mappings, and YAML syntax errors, are <root> errors with a position', () => {
    const r = parseResources('- a\n- b\n');
    assert.equal(r.errors[0]?.path, '<root>');
    assert.match(r.errors[0]?.message ?? '', /expected a mapping/);
    const s = parseResources(`${HEAD}spec:\n  task: [\n`);
    assert.equal(s.errors[0]?.path, '<root>');
    assert.match(s.errors[0]?.message ?? '', /^invalid YAML: /);
    assert.ok((s.errors[0]?.line ?? 0) >= 6);
    const dup = parseResources(`${HEAD}spec: {}\nspec: {}\n`);
    assert.match(dup.errors[0]?.message ?? '', /Map keys must be unique/);
    assert.equal(dup.errors[0]?.line, 6);
  });
});

describe('parseResources: several documents', () => {
  const stream = [
    '# leading comment',
    '---',
    HEAD + 'spec:\n  task: [{name: a, image: x, command: [x]}]',
    '---',
    '# an empty document',
    '---',
    'apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DagTask\nmetadata: {name: t}\nspec:\n  imag: x',
    '---',
    '',
  ].join('\n');

  test('paths get a [doc N] prefix counting every document; empty ones are skipped', () => {
    const r = parseResources(stream, 'all.yaml');
    assert.equal(r.documents.length, 2);
    assert.equal(r.resources.length, 1);
    assert.deepEqual(r.errors, [
      { path: '[doc 3] spec.imag', message: 'unknown field (did you mean "image"?)', line: 16, column: 3, document: 3, source: 'all.yaml' },
    ]);
    assert.equal(
      formatFieldErrorsLocated(r.errors),
      'all.yaml:16:3: [doc 3] spec.imag: unknown field (did you mean "image"?)',
    );
  });

  test('a single document has no prefix but still says which document it is', () => {
    const r = parseResources(`---\n${HEAD}spec: {foo: 1}\n`);
    assert.equal(r.errors[0]?.path, 'spec.foo');
    assert.equal(r.errors[0]?.document, 1);
  });
});

describe('loadValidatedResources', () => {
  test('structural and validation errors together, each reported once, located', () => {
    const r = loadValidatedResources(
      `${HEAD}spec:\n  task:\n    - name: a\n      image: 5\n      command: [x]\n      runAfter: [zz]\n`,
      { source: 'f.yaml' },
    );
    assert.deepEqual(
      r.errors.map((e) => [e.path, e.line, e.column]),
      [
        ['spec.task[0].image', 8, 14],
        ['spec.task[0].runAfter[0]', 10, 18],
        ['spec.task', 7, 5],
      ],
    );
    assert.match(r.errors[0]?.message ?? '', /expected a string, got the integer 5/);
    assert.match(r.errors[1]?.message ?? '', /unknown task "zz"/);
    assert.match(r.errors[2]?.message ?? '', /no root task/);
    assert.deepEqual(r.resources, []);
  });

  test('errors inside spec.dsl point into the YAML file', () => {
    const text = `${HEAD}spec:\n  dsl: |\n    graph { a -> b }\n    task a { image "x" command ["x"] }\n    task b { image "x" script "y" parameters ["nope"] }\n`;
    const r = loadValidatedResources(text);
    assert.equal(r.errors.length, 1);
    const e = r.errors[0];
    assert.equal(e?.path, 'spec.task[1].parameters[0]');
    assert.match(e?.message ?? '', /parameter "nope" is not declared .*\(dsl line 3, column 43\)$/);
    assert.deepEqual([e?.line, e?.column], [9, 47]);
  });

  test('DSL syntax errors carry the DSL position and the file position', () => {
    const r = loadValidatedResources(`${HEAD}spec:\n  dsl: |\n    task a {\n      imag "x"\n    }\n`);
    assert.deepEqual(
      r.errors.map((e) => [e.path, e.message, e.line, e.column]),
      [['spec.dsl', 'dsl line 2, column 3: expected a task field (image, command, args, script, parameters, retry, backoff, outputs, env, when, withItems, withParam, maxParallel, approval, dagRef) in task "a", found "imag" (did you mean "image"?)', 8, 7]],
    );
  });
});

test('keys such as __proto__ stay plain data', () => {
  const d = only(`${HEAD}  labels: {__proto__: x}\nspec:\n  task:\n    - name: a\n      image: x\n      command: [x]\n      podTemplate:\n        securityContext: {__proto__: {polluted: true}}\n`);
  assert.equal(Object.getPrototypeOf(d.metadata.labels), Object.prototype);
  assert.deepEqual(Object.keys(d.metadata.labels ?? {}), ['__proto__']);
  const sc = d.spec.task?.[0]?.podTemplate?.securityContext ?? {};
  assert.equal((sc as { polluted?: unknown }).polluted, undefined);
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});
