// Property tests: validation is total (garbage in, errors out, never an exception), and the
// cycle check agrees with a plain topological sort on random graphs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import {
  API_VERSION,
  findCycles,
  loadValidatedResources,
  parseDsl,
  parseResources,
  resolveDag,
  topologicalOrder,
  validateDag,
  validateResource,
  type DagResource,
  type TaskBodySpec,
} from '@kontroler/core';
import { task } from './helpers.js';

const garbage = fc.oneof(fc.anything(), fc.constant(null), fc.constant(undefined), fc.string(), fc.integer(), fc.double());
function maybe<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: garbage });
}
const taskName = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'bad name', '', 'x'.repeat(70));
const paramName = fc.constantFrom('p', 'q', 'missing', '1bad');
const dslSoup = fc
  .array(fc.constantFrom('task', 'graph', 'schedule', 'parameters', 'a', 'b', '{', '}', '[', ']', ',', '->', '"x"', '"""y"""', '1', 'image', 'command', 'retry', 'backoff', 'default', '//c\n', '"', '='), { maxLength: 40 })
  .map((parts) => parts.join(' '));

const taskArb = fc.record(
  {
    name: maybe(taskName),
    image: maybe(fc.constantFrom('alpine:3.20', '', ' ')),
    command: maybe(fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 })),
    args: maybe(fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 })),
    script: maybe(fc.string({ maxLength: 10 })),
    runAfter: maybe(fc.array(taskName, { maxLength: 3 })),
    parameters: maybe(fc.array(paramName, { maxLength: 3 })),
    backoff: maybe(fc.record({ limit: maybe(fc.integer({ min: -5, max: 200 })) }, { requiredKeys: [] })),
    conditional: maybe(fc.record({ enabled: maybe(fc.boolean()), retryCodes: maybe(fc.array(fc.integer({ min: -1, max: 300 }), { maxLength: 3 })) }, { requiredKeys: [] })),
    retry: maybe(fc.record({ delaySeconds: maybe(fc.double()), factor: maybe(fc.double()), maxDelaySeconds: maybe(fc.integer()) }, { requiredKeys: [] })),
    timeoutSeconds: maybe(fc.integer({ min: -10, max: 100_000 })),
    triggerRule: maybe(fc.constantFrom('AllSucceeded', 'AllDone', 'AnySucceeded', 'AnyFailed', 'Nope')),
    taskRef: maybe(fc.record({ name: maybe(fc.constantFrom('shared', 'Bad!')), version: maybe(fc.integer({ min: -1, max: 3 })) }, { requiredKeys: [] })),
    podTemplate: maybe(fc.record({ activeDeadlineSeconds: maybe(fc.integer({ min: -5, max: 1000 })), resources: maybe(fc.record({ limits: maybe(fc.dictionary(fc.constantFrom('cpu', 'memory'), fc.constantFrom('1', '250m', '1GB', 'x'))) }, { requiredKeys: [] })) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);

const dagArb = fc.record(
  {
    apiVersion: maybe(fc.constant(API_VERSION)),
    kind: maybe(fc.constant('DAG')),
    metadata: maybe(fc.record({ name: maybe(fc.constantFrom('nightly', 'Bad_Name', '')), namespace: maybe(fc.constantFrom('ns', 'NS!')), labels: maybe(fc.dictionary(fc.string(), fc.string())) }, { requiredKeys: [] })),
    spec: maybe(
      fc.record(
        {
          schedule: maybe(fc.constantFrom('* * * * *', '@daily', '0 0 * * * *', 'nonsense', '', '0 0 30 2 *')),
          suspended: maybe(fc.boolean()),
          timezone: maybe(fc.constantFrom('UTC', 'Europe/Berlin', 'Mars/Base')),
          concurrencyPolicy: maybe(fc.constantFrom('Allow', 'Forbid', 'Replace', 'Sometimes')),
          catchUp: maybe(fc.integer({ min: -2, max: 200 })),
          parameters: maybe(fc.array(fc.record({ name: maybe(paramName), defaultValue: maybe(fc.string({ maxLength: 4 })), defaultFromSecret: maybe(fc.constantFrom('s', '', 'Bad Secret')) }, { requiredKeys: [] }), { maxLength: 4 })),
          task: maybe(fc.array(taskArb, { maxLength: 6 })),
          webhook: maybe(fc.record({ url: maybe(fc.constantFrom('https://h/x', 'ftp://h', 'nope')), verifySSL: maybe(fc.boolean()) }, { requiredKeys: [] })),
          workspace: maybe(fc.record({ enable: maybe(fc.boolean()), pvc: maybe(fc.record({ accessModes: maybe(fc.array(fc.constantFrom('ReadWriteOnce', 'X'))) }, { requiredKeys: [] })) }, { requiredKeys: [] })),
          dsl: maybe(fc.oneof(fc.string({ maxLength: 40 }), dslSoup)),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

/** Mostly-valid DAGs: an acyclic chain of tasks, then up to two fields replaced by garbage. */
const validishDagArb = fc
  .record({
    count: fc.integer({ min: 1, max: 6 }),
    deps: fc.array(fc.array(fc.nat(5), { maxLength: 3 }), { minLength: 6, maxLength: 6 }),
    schedule: fc.constantFrom(undefined, '*/5 * * * *', '@hourly'),
    refTask: fc.boolean(),
    mutations: fc.array(
      fc.tuple(
        fc.constantFrom<(string | number)[]>(
          ['spec', 'task', 0, 'image'], ['spec', 'task', 1, 'runAfter', 0], ['spec', 'task', 0, 'command'],
          ['spec', 'task', 2, 'backoff'], ['spec', 'schedule'], ['spec', 'timezone'], ['metadata', 'name'],
          ['spec', 'parameters', 0, 'defaultValue'], ['spec', 'parameters', 0], ['spec', 'task', 1], ['spec'],
          ['spec', 'task'], ['spec', 'dsl'], ['spec', 'task', 0, 'taskRef'], ['kind'],
        ),
        garbage,
      ),
      { maxLength: 2 },
    ),
  })
  .map(({ count, deps, schedule, refTask, mutations }) => {
    const names = Array.from({ length: count }, (_, i) => `t${i}`);
    const tasks: unknown[] = names.map((name, i) => ({
      name,
      image: 'alpine:3.20',
      command: ['true'],
      parameters: i % 2 === 0 ? ['p'] : [],
      runAfter: [...new Set((deps[i] ?? []).filter((d) => d < i).map((d) => names[d] ?? ''))],
    }));
    if (refTask) tasks.push({ name: 'ref', taskRef: { name: 'shared', version: 1 }, runAfter: ['t0'] });
    const resource: Record<string, unknown> = {
      apiVersion: API_VERSION,
      kind: 'DAG',
      metadata: { name: 'nightly' },
      spec: { schedule, parameters: [{ name: 'p', defaultValue: 'v' }], task: tasks },
    };
    for (const [path, value] of mutations) {
      let target: unknown = resource;
      for (const step of path.slice(0, -1)) target = typeof target === 'object' && target !== null ? (target as Record<string | number, unknown>)[step] : undefined;
      if (typeof target === 'object' && target !== null) (target as Record<string | number, unknown>)[path[path.length - 1] ?? ''] = value;
    }
    return resource;
  });

const lookupArb = fc.option(fc.record({ image: fc.constant('x'), command: fc.constant(['y']).map((c) => [...c]), parameters: fc.array(paramName, { maxLength: 2 }) }), { nil: undefined });

test('property: DAG-shaped garbage never throws; there is a definition or at least one located error', () => {
  let definitions = 0;
  let failures = 0;
  fc.assert(
    fc.property(fc.oneof(dagArb, validishDagArb), lookupArb, (resource, body) => {
      const lookup = (): TaskBodySpec | undefined => body;
      const r = resolveDag(resource as DagResource, lookup);
      if (r.definition !== undefined) {
        definitions++;
        assert.deepEqual(r.errors, []);
        const d = r.definition;
        assert.ok(topologicalOrder(d.tasks) !== undefined, 'a resolved DAG has no cycle');
        const names = new Set(d.tasks.map((t) => t.name));
        const declared = new Set(d.parameters.map((p) => p.name));
        for (const t of d.tasks) {
          for (const dep of t.runAfter) assert.ok(names.has(dep) && dep !== t.name);
          for (const p of t.parameters) assert.ok(declared.has(p));
          assert.ok(t.image.trim() !== '');
        }
        assert.ok(d.tasks.some((t) => t.runAfter.length === 0));
      } else {
        failures++;
        assert.ok(r.errors.length >= 1);
        for (const e of r.errors) {
          assert.equal(typeof e.path, 'string');
          assert.ok(e.path.length > 0, JSON.stringify(e));
          assert.ok(e.message.length > 0);
        }
      }
      // The same object as YAML text goes through the loader without throwing, too.
      let text: string;
      try {
        text = stringify(resource);
      } catch {
        return;
      }
      const loaded = loadValidatedResources(text);
      for (const e of loaded.errors) assert.ok(e.path.length > 0);
    }),
    { numRuns: 400 },
  );
  // Both outcomes must actually be exercised, or the property says little.
  assert.ok(definitions > 0 && failures > 0, `definitions: ${definitions}, failures: ${failures}`);
});

test('property: any value at all, and any text, is handled without throwing', () => {
  fc.assert(
    fc.property(fc.anything(), (v) => {
      for (const e of validateResource(v as never)) assert.ok(e.path.length > 0);
      for (const e of validateDag(v as never)) assert.ok(e.path.length > 0);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), dslSoup), (text) => {
      const p = parseResources(text);
      for (const e of p.errors) assert.ok(e.path.length > 0);
      const d = parseDsl(text);
      for (const e of d.errors) assert.ok(e.line !== undefined && e.column !== undefined && e.message.length > 0);
    }),
    { numRuns: 300 },
  );
});

/** Reference: Kahn's algorithm on an explicit edge list. */
function hasCycle(n: number, edges: ReadonlyArray<readonly [number, number]>): boolean {
  const indeg = new Array<number>(n).fill(0);
  const out = Array.from({ length: n }, (): number[] => []);
  const unique = new Set(edges.map(([a, b]) => `${a}>${b}`));
  for (const key of unique) {
    const [a, b] = key.split('>').map(Number) as [number, number];
    out[a]?.push(b);
    indeg[b] = (indeg[b] ?? 0) + 1;
  }
  const queue = indeg.flatMap((d, i) => (d === 0 ? [i] : []));
  let seen = 0;
  while (queue.length > 0) {
    const u = queue.pop() ?? 0;
    seen++;
    for (const v of out[u] ?? []) {
      indeg[v] = (indeg[v] ?? 0) - 1;
      if (indeg[v] === 0) queue.push(v);
    }
  }
  return seen < n;
}

const graphArb = fc.integer({ min: 1, max: 9 }).chain((n) =>
  fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 })),
);

test('property: validation reports a cycle iff a topological sort fails, and each reported cycle is real', () => {
  fc.assert(
    fc.property(graphArb, ([n, edges]) => {
      const names = Array.from({ length: n }, (_, i) => `t${i}`);
      // edge [a, b]: a runs before b, i.e. b.runAfter includes a
      const tasks = names.map((name, i) => task(name, { runAfter: edges.filter(([, b]) => b === i).map(([a]) => names[a] ?? '') }));
      const d: DagResource = { apiVersion: API_VERSION, kind: 'DAG', metadata: { name: 'g' }, spec: { task: tasks } };
      const errors = validateDag(d);
      const cycleErrors = errors.filter((e) => /cycle/.test(e.message));
      const expected = hasCycle(n, edges);
      assert.equal(cycleErrors.length > 0, expected, JSON.stringify({ edges, errors }));
      assert.equal(topologicalOrder(tasks) === undefined, expected);
      const cycles = findCycles(tasks);
      assert.equal(cycles.length > 0, expected);
      for (const cycle of cycles) {
        assert.equal(cycle[0], cycle[cycle.length - 1]);
        for (let k = 0; k + 1 < cycle.length; k++) {
          const from = names.indexOf(cycle[k] ?? '');
          const to = names.indexOf(cycle[k + 1] ?? '');
          assert.ok(edges.some(([a, b]) => a === from && b === to), `${cycle.join(' -> ')} is not a path`);
        }
      }
      // With no cycle and at least one root, the graph is valid (independent chains allowed).
      if (!expected) assert.deepEqual(errors.filter((e) => !/no root task/.test(e.message)), []);
      const order = topologicalOrder(tasks);
      if (order !== undefined) {
        const pos = new Map(order.map((name, i) => [name, i]));
        for (const [a, b] of edges) assert.ok((pos.get(names[a] ?? '') ?? 0) < (pos.get(names[b] ?? '') ?? 0) || a === b);
      }
    }),
    { numRuns: 500 },
  );
});
