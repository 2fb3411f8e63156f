// The loader reads JSON text with its own linear reader (json-tree.ts) instead of the yaml
// package (issue 13). These tests hold it to the yaml package's answers: the same resources, the
// same errors with the same lines and columns, the same locations for every field path. A JSON
// text followed by "\n#" (a YAML comment) is no longer JSON, so it goes through the yaml package
// with every position unchanged: that is the reference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { API_VERSION, childPath, loadValidatedResources, parseJsonTree, parseResources } from '@kontroler/core';

/** JSON-representable garbage for any field. */
const garbage = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null), fc.string({ maxLength: 6 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
function maybe<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: garbage });
}
const text = fc.oneof(fc.constantFrom('a', 'b', 't0', 'é', 'tab\there', 'quote"d', 'back\\slash', 'nl\nx', '\u2028', '😀', '__proto__', '$(P)'), fc.string({ maxLength: 6 }));
const taskArb = fc.record(
  {
    name: maybe(text),
    image: maybe(fc.constantFrom('alpine:3.20', '', ' ')),
    command: maybe(fc.array(maybe(text), { maxLength: 3 })),
    args: maybe(fc.array(text, { maxLength: 2 })),
    runAfter: maybe(fc.array(maybe(text), { maxLength: 3 })),
    parameters: maybe(fc.array(fc.constantFrom('P', 'Q', 'missing'), { maxLength: 2 })),
    backoff: maybe(fc.record({ limit: maybe(fc.integer({ min: -5, max: 200 })) }, { requiredKeys: [] })),
    unknownField: maybe(fc.integer()),
    podTemplate: maybe(
      fc.record(
        {
          affinity: maybe(fc.dictionary(fc.constantFrom('__proto__', 'nodeAffinity', 'x.y', 'toString'), fc.jsonValue({ maxDepth: 2 }))),
          nodeSelector: maybe(fc.dictionary(text, maybe(text))),
          resources: maybe(fc.record({ limits: maybe(fc.dictionary(fc.constantFrom('cpu', 'memory'), maybe(fc.oneof(fc.constantFrom('1', '250m'), fc.double({ noNaN: true, noDefaultInfinity: true }))))) }, { requiredKeys: [] })),
          volumes: maybe(fc.array(fc.record({ name: maybe(text), emptyDir: maybe(fc.jsonValue({ maxDepth: 1 })), other: maybe(fc.integer()) }, { requiredKeys: [] }), { maxLength: 2 })),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);
const dagArb = fc.record(
  {
    apiVersion: maybe(fc.constant(API_VERSION)),
    kind: maybe(fc.constantFrom('DAG', 'DagTask', 'DagRun', 'Other')),
    metadata: maybe(fc.record({ name: maybe(fc.constantFrom('nightly', 'Bad_Name', '')), labels: maybe(fc.dictionary(text, maybe(text))) }, { requiredKeys: [] })),
    spec: maybe(
      fc.record(
        {
          schedule: maybe(fc.constantFrom('* * * * *', 'nonsense')),
          parameters: maybe(fc.array(fc.record({ name: maybe(fc.constantFrom('P', 'Q', '1bad')), defaultValue: maybe(text) }, { requiredKeys: [] }), { maxLength: 3 })),
          task: maybe(fc.array(taskArb, { maxLength: 5 })),
          dsl: maybe(fc.constantFrom('task a { image "x" command ["y"] }', 'task {')),
          status: maybe(fc.jsonValue({ maxDepth: 1 })),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);
/** How the JSON is laid out: compact, indented with spaces or tabs, with CRLF line ends. */
const layoutArb = fc.record({ indent: fc.constantFrom(undefined, 2, '\t', 1), crlf: fc.boolean(), lead: fc.constantFrom('', '\n', '  \r\n'), trail: fc.constantFrom('', '\n', ' \n\n') });

function render(resource: unknown, layout: { indent: string | number | undefined; crlf: boolean; lead: string; trail: string }): string {
  const body = JSON.stringify(resource, null, layout.indent);
  return layout.lead + (layout.crlf ? body.replace(/\n/g, '\r\n') : body) + layout.trail;
}

/** Every field path of a plain value (the paths validation and consumers may locate). */
function pathsOf(value: unknown, base = '', out: string[] = []): string[] {
  out.push(base);
  if (Array.isArray(value)) value.forEach((v: unknown, i) => pathsOf(v, childPath(base, i), out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) pathsOf(v, childPath(base, k), out);
  return out;
}

function assertSameAsYaml(json: string): void {
  assert.ok(parseJsonTree(json) !== undefined, 'the JSON reader reads this text');
  const viaYaml = `${json}\n#`;
  assert.equal(parseJsonTree(viaYaml), undefined);
  const fast = parseResources(json, 'f.json');
  const slow = parseResources(viaYaml, 'f.json');
  const strip = (r: ReturnType<typeof parseResources>) => ({ ...r, documents: r.documents.map(({ locate: _l, ...d }) => d) });
  assert.deepEqual(strip(fast), strip(slow));
  const fastDoc = fast.documents[0];
  const slowDoc = slow.documents[0];
  assert.ok(fastDoc !== undefined && slowDoc !== undefined);
  const fastAll = loadValidatedResources(json, { source: 'f.json' });
  const slowAll = loadValidatedResources(viaYaml, { source: 'f.json' });
  assert.deepEqual(fastAll.errors, slowAll.errors);
  assert.deepEqual(fastAll.resources, slowAll.resources);
  const paths = new Set([...pathsOf(JSON.parse(json)), ...fastAll.errors.map((e) => e.path), 'spec.task[99].image', 'spec.nothing.here']);
  for (const p of paths) assert.deepEqual(fastDoc.locate(p), slowDoc.locate(p), `locate(${p})`);
}

test('property: JSON read by the fast path gives what the yaml package gives (resources, errors, positions)', () => {
  fc.assert(
    fc.property(dagArb, layoutArb, (resource, layout) => assertSameAsYaml(render(resource, layout))),
    { numRuns: 400 },
  );
});

test('numbers keep their source text where the shape wants text (quantities, "quote it" hints)', () => {
  const json = `{"apiVersion":"${API_VERSION}","kind":"DAG","metadata":{"name":"n"},"spec":{"task":[{"name":"a","image":5e0,"command":["x",1.50,true],` +
    `"podTemplate":{"resources":{"limits":{"cpu":1.50,"memory":-0,"x":1E3}}}}]}}`;
  assertSameAsYaml(json);
  const r = parseResources(json);
  assert.deepEqual(r.errors.map((e) => e.message), [
    'expected a string, got the integer 5 (quote it: "5e0")',
    'expected a string, got the number 1.5 (quote it: "1.50")',
    'expected a string, got the boolean true (quote it: "true")',
  ]);
});

test('escapes and non-ASCII text read as JSON.parse reads them', () => {
  const json = String.raw`{"apiVersion":"${API_VERSION}","kind":"DAG","metadata":{"name":"n","labels":{"k\u00e9\"y":"v\/\\\n\ud83d\ude00"}},"spec":{"task":[{"name":"a","image":"x","command":["\t"]}]}}`;
  assertSameAsYaml(json);
  const labels = (parseResources(json).resources[0]?.metadata as { labels?: Record<string, string> }).labels;
  assert.deepEqual(labels, { 'ké"y': 'v/\\\n😀' });
});

test('text the fast path does not read exactly as yaml would goes through the yaml package', () => {
  const ok = `{"apiVersion":"${API_VERSION}","kind":"DAG","metadata":{"name":"n"},"spec":{}}`;
  assert.ok(parseJsonTree(ok) !== undefined);
  for (const text of [
    `{"kind":"DAG","kind":"DAG"}`, // duplicate key: yaml's error
    `{"a":"tab\there"}`, // raw control character in a string: not JSON
    `{"a":1,\r"b":2}`, // a lone carriage return
    `[{"a":1}]`, // a list at the top
    `{"a":1}\n---\n{"b":2}`, // a stream
    `{"a":"\\x41"}`, // an escape JSON does not have
    `{"a":01}`, // not a JSON number
    `{"a":1,}`, // trailing comma
    `\ufeff{"a":1}`, // byte order mark
    `{"a":1} # comment`,
    `{a: 1}`,
    `{"a":1`,
  ]) {
    assert.equal(parseJsonTree(text), undefined, text);
  }
  const dup = parseResources(`{"apiVersion":"${API_VERSION}","kind":"DAG","kind":"DAG"}`);
  assert.deepEqual(dup.errors.map((e) => [e.path, e.message, e.line, e.column]), [['<root>', 'invalid YAML: Map keys must be unique', 1, 62]]);
});
