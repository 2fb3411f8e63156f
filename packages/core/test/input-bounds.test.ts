// Bounds on resource text (issue 11): nesting depth checked before the YAML parser, alias
// expansion, did-you-mean work on large DAGs, and the `sh -c "$(PARAM)"` warning.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_ALIAS_EXPANSIONS,
  MAX_HINT_COMPARISONS,
  MAX_NESTING_DEPTH,
  findExcessNesting,
  loadValidatedResources,
  parseDsl,
  parseResources,
  shellParameterWarnings,
  type DagResource,
} from '@kontroler/core';

const HEAD = 'apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata:\n  name: x\n';
const jsonNest = (d: number) => '{"a":'.repeat(d) + '1' + '}'.repeat(d);
const listNest = (d: number) => '['.repeat(d) + ']'.repeat(d);
/** Block mappings nested `d` deep, one space per level. */
const blockNest = (d: number) => Array.from({ length: d }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';

describe('nesting depth (MAX_NESTING_DEPTH)', () => {
  test('the limit is 64', () => assert.equal(MAX_NESTING_DEPTH, 64));

  for (const [name, make] of [
    ['JSON objects', jsonNest],
    ['flow lists', listNest],
    ['block mappings', blockNest],
    ['compact block lists', (d: number) => '- '.repeat(d) + 'x\n'],
  ] as const) {
    test(`${name}: ${MAX_NESTING_DEPTH} levels pass, ${MAX_NESTING_DEPTH + 1} are refused`, () => {
      assert.equal(findExcessNesting(make(MAX_NESTING_DEPTH)), undefined);
      const v = findExcessNesting(make(MAX_NESTING_DEPTH + 1));
      assert.ok(v, 'one level past the limit is found');
      assert.equal(v.limit, MAX_NESTING_DEPTH);
    });
  }

  test('10,000 levels of JSON or YAML are refused by parseResources with the limit named, not a crash', () => {
    for (const text of [jsonNest(10_000), listNest(10_000), '- '.repeat(10_000) + 'x\n', `${HEAD}spec: ${jsonNest(10_000)}\n`]) {
      const r = parseResources(text, 'f.yaml');
      assert.equal(r.resources.length, 0);
      assert.equal(r.errors.length, 1);
      assert.equal(r.errors[0]?.path, '<root>');
      assert.equal(r.errors[0]?.source, 'f.yaml');
      assert.match(r.errors[0]?.message ?? '', /nested deeper than 64 levels.*the limit is 64/);
      assert.equal(typeof r.errors[0]?.line, 'number');
    }
  });

  test('the position is the first node past the limit', () => {
    const text = `${HEAD}spec:\n  x: ${jsonNest(70)}\n`;
    const v = findExcessNesting(text);
    // spec (1) + x's map (2) + 62 objects → the 63rd `{` on line 6 is level 65.
    assert.deepEqual(v, { line: 6, column: 6 + 62 * 5, limit: 64 });
  });

  test('brackets inside strings, comments and block scalars do not count', () => {
    const deep = '{'.repeat(200);
    const text = `${HEAD}spec:\n  task:\n    - name: a\n      image: plain${deep}\n      command: ['${deep}', "${deep}\\"", x] # ${deep}\n      script: |\n        echo '${deep}\n        don't\n      args: [x]\n`;
    assert.equal(findExcessNesting(text), undefined);
    assert.equal(parseResources(text).errors.length, 0);
  });

  test('linear: 4 MiB is scanned quickly and a 4 MiB flat list passes', () => {
    const big = '[' + '"x", '.repeat(800_000) + '1]';
    const t0 = performance.now();
    assert.equal(findExcessNesting(big), undefined);
    assert.ok(performance.now() - t0 < 5_000, 'a 4 MB scan takes well under a few seconds even on a loaded machine');
  });
});

describe('YAML aliases (MAX_ALIAS_EXPANSIONS)', () => {
  const task = (affinity: string) =>
    `${HEAD}spec:\n  task:\n    - name: a\n      image: x\n      command: [x]\n      podTemplate:\n        nodeSelector: &sel {disk: ssd}\n        affinity:\n          nodeAffinity: ${affinity}\n`;

  test('aliases under podTemplate.affinity are kept', () => {
    const r = parseResources(task('{x: *sel, y: [*sel, *sel]}'));
    assert.deepEqual(r.errors, []);
    const pt = (r.resources[0] as DagResource).spec.task?.[0]?.podTemplate as Record<string, unknown>;
    assert.deepEqual(pt['affinity'], { nodeAffinity: { x: { disk: 'ssd' }, y: [{ disk: 'ssd' }, { disk: 'ssd' }] } });
  });

  test(`${MAX_ALIAS_EXPANSIONS + 20} aliases under podTemplate.affinity are an error naming the field, not a silent drop`, () => {
    const r = parseResources(task(`{x: [${Array(MAX_ALIAS_EXPANSIONS + 20).fill('*sel').join(', ')}]}`));
    assert.equal(r.resources.length, 0);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]?.path, 'spec.task[0].podTemplate.affinity.nodeAffinity.x');
    assert.match(r.errors[0]?.message ?? '', /at most 100 alias expansions/);
  });

  test(`typed fields: ${MAX_ALIAS_EXPANSIONS} alias expansions pass, one more is refused`, () => {
    const doc = (n: number) => `${HEAD}spec:\n  task:\n    - name: a\n      image: &img x\n      command: [x]\n      args: [${Array(n).fill('*img').join(', ')}]\n`;
    assert.deepEqual(parseResources(doc(MAX_ALIAS_EXPANSIONS)).errors, []);
    const r = parseResources(doc(MAX_ALIAS_EXPANSIONS + 1));
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]?.path, `spec.task[0].args[${MAX_ALIAS_EXPANSIONS}]`);
    assert.match(r.errors[0]?.message ?? '', /more than 100 YAML alias expansions/);
  });

  test('merge keys count as expansions: a merge bomb is refused once', () => {
    let text = `${HEAD}base0: &b0 {image: x}\n`;
    for (let i = 1; i <= 8; i++) text += `base${i}: &b${i} {<<: [${Array(10).fill(`*b${i - 1}`).join(', ')}]}\n`;
    text += 'spec:\n  task:\n    - <<: *b8\n      name: a\n      command: [x]\n';
    const r = parseResources(text);
    assert.ok(r.errors.some((e) => /alias expansions/.test(e.message)), JSON.stringify(r.errors));
    assert.equal(r.errors.filter((e) => /alias expansions/.test(e.message)).length, 1);
  });
});

describe('large DAGs stay linear', () => {
  const dag = (n: number) =>
    JSON.stringify({
      apiVersion: 'kontroler.greedykomodo/v1alpha1',
      kind: 'DAG',
      metadata: { name: 'big' },
      spec: { task: Array.from({ length: n }, (_, i) => ({ name: `t${i}`, image: 'x', command: ['x'], runAfter: i === 0 ? [] : [`t${i - 1}x`], parameters: [`P${i}`] })) },
    });

  test('5,000 unknown runAfter targets: hints stop at the budget, every error is still reported', () => {
    const t0 = performance.now();
    const r = loadValidatedResources(dag(5000));
    const ms = performance.now() - t0;
    const unknown = r.errors.filter((e) => /unknown task/.test(e.message));
    assert.equal(unknown.length, 4999);
    const hinted = unknown.filter((e) => /did you mean/.test(e.message)).length;
    assert.ok(hinted <= Math.ceil(MAX_HINT_COMPARISONS / 5000), `hinted ${hinted}`);
    assert.ok(hinted > 0, 'the first ones still get a hint');
    // Undeclared parameters: at most 12 names listed per message.
    const undeclared = r.errors.find((e) => /is not declared/.test(e.message));
    assert.ok(undeclared === undefined || undeclared.message.length < 400);
    assert.ok(ms < 60_000, `took ${ms} ms`);
  });

  test('a mapping with 100,000 keys parses in linear time (yaml\'s quadratic duplicate-key scan is replaced); duplicates are still found', () => {
    const labels = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 'v']));
    const text = JSON.stringify({ apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'x', labels }, spec: { task: [{ name: 'a', image: 'x', command: ['x'] }] } });
    const t0 = performance.now();
    const r = parseResources(text);
    const ms = performance.now() - t0;
    assert.deepEqual(r.errors, []);
    // Quadratic, this took minutes; linear, a few seconds even on a loaded machine.
    assert.ok(ms < 45_000, `took ${ms} ms`);
    const dup = parseResources(text.replace('"k99999":"v"', '"k7":"w"'));
    assert.equal(dup.errors.length, 1);
    assert.match(dup.errors[0]?.message ?? '', /Map keys must be unique/);
  });

  test('the DSL with a 3,000-wide fan-in expands (no per-edge scan)', () => {
    const names = Array.from({ length: 3000 }, (_, i) => `t${i}`);
    const text = `${names.map((n) => `task ${n} { image "x" command ["x"] }`).join('\n')}\ntask z { image "x" command ["x"] }\ngraph {\n${names.map((n) => `  ${n} -> z`).join('\n')}\n}\n`;
    const r = parseDsl(text);
    assert.deepEqual(r.errors, []);
    assert.equal(r.spec.task?.find((t) => t.name === 'z')?.runAfter?.length, 3000);
  });
});

describe('shellParameterWarnings', () => {
  const dag = (task: Record<string, unknown>): DagResource =>
    ({
      apiVersion: 'kontroler.greedykomodo/v1alpha1',
      kind: 'DAG',
      metadata: { name: 'x' },
      spec: { parameters: [{ name: 'MSG', defaultValue: 'hi' }], task: [{ name: 'a', image: 'x', parameters: ['MSG'], ...task }] },
    }) as DagResource;

  test('$(PARAM) in a sh -c script is a warning at the argument, naming the safe form', () => {
    const w = shellParameterWarnings(dag({ command: ['sh', '-c'], args: ['echo $(MSG)'] }));
    assert.equal(w.length, 1);
    assert.equal(w[0]?.path, 'spec.task[0].args[0]');
    assert.match(w[0]?.message ?? '', /^warning: \$\(MSG\) is substituted into the shell script.*"\$MSG"/);
  });

  test('bash -ec in command, /bin/sh, busybox sh', () => {
    assert.equal(shellParameterWarnings(dag({ command: ['/bin/bash', '-ec', 'echo $(MSG)'] }))[0]?.path, 'spec.task[0].command[2]');
    assert.equal(shellParameterWarnings(dag({ command: ['busybox', 'sh', '-c', 'x $(MSG)'] })).length, 1);
  });

  test('no warning for the safe form, an escaped $$(MSG), a non-shell argv, or a name the task does not list', () => {
    assert.deepEqual(shellParameterWarnings(dag({ command: ['sh', '-c', 'echo "$MSG"'] })), []);
    assert.deepEqual(shellParameterWarnings(dag({ command: ['sh', '-c', 'echo $$(MSG)'] })), []);
    assert.deepEqual(shellParameterWarnings(dag({ command: ['echo', '$(MSG)'] })), []);
    assert.deepEqual(shellParameterWarnings(dag({ command: ['sh', '-c', 'echo $(OTHER)'] })), []);
  });

  test('a warning is not a validation error', () => {
    const text = `${HEAD}spec:\n  parameters: [{name: MSG, defaultValue: hi}]\n  task:\n    - name: a\n      image: x\n      parameters: [MSG]\n      command: [sh, -c, "echo $(MSG)"]\n`;
    const r = loadValidatedResources(text);
    assert.deepEqual(r.errors, []);
    const w = shellParameterWarnings(r.resources[0], { locate: r.documents[0]?.locate });
    assert.equal(w.length, 1);
    assert.equal(w[0]?.line, 11);
  });
});
