import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { dagTaskSpecHash, resolveDag, sha256Hex, specHash, stableStringify, type TaskBodySpec } from '@kontroler/core';
import { dag, task } from './helpers.js';

const none = (): undefined => undefined;

describe('resolveDag', () => {
  test('fills every default', () => {
    const r = resolveDag(
      { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'd' }, spec: { task: [{ name: 'a', image: 'i', script: 's' }] } },
      none,
    );
    assert.deepEqual(r, {
      errors: [],
      definition: {
        namespace: 'default',
        name: 'd',
        timezone: 'UTC',
        concurrencyPolicy: 'Allow',
        catchUp: 1,
        suspended: false,
        parameters: [],
        tasks: [
          {
            name: 'a',
            runAfter: [],
            image: 'i',
            command: [],
            args: [],
            script: 's',
            retryLimit: 0,
            retryDelay: { delaySeconds: 0, factor: 2, maxDelaySeconds: 300 },
            triggerRule: 'AllSucceeded',
            parameters: [],
          },
        ],
      },
    });
  });

  test('keeps what is set; retryCodes only when conditional is enabled; the smaller timeout wins', () => {
    const r = resolveDag(
      dag(
        { schedule: ' @daily ', timezone: 'Europe/Berlin', concurrencyPolicy: 'Forbid', catchUp: 0, suspended: true, webhook: { url: 'https://h/x' } as never },
        [
          task('a', { backoff: { limit: 4 }, conditional: { enabled: true, retryCodes: [1, 1, 137] }, timeoutSeconds: 600, podTemplate: { activeDeadlineSeconds: 120 } }),
          task('b', { runAfter: ['a', 'a'], conditional: { enabled: false, retryCodes: [1] }, retry: { delaySeconds: 5 }, timeoutSeconds: 30, triggerRule: 'AllDone' }),
        ],
      ),
      none,
    );
    assert.deepEqual(r.errors, []);
    const d = r.definition;
    assert.ok(d);
    assert.equal(d.schedule, '@daily');
    assert.equal(d.namespace, 'team-a');
    assert.equal(d.timezone, 'Europe/Berlin');
    assert.equal(d.concurrencyPolicy, 'Forbid');
    assert.equal(d.catchUp, 0);
    assert.equal(d.suspended, true);
    assert.deepEqual(d.webhook, { url: 'https://h/x', verifySSL: true });
    const [a, b] = d.tasks;
    assert.equal(a?.retryLimit, 4);
    assert.deepEqual(a?.retryCodes, [1, 137]);
    assert.equal(a?.timeoutSeconds, 120);
    assert.equal(b?.retryCodes, undefined);
    assert.deepEqual(b?.runAfter, ['a']);
    assert.deepEqual(b?.retryDelay, { delaySeconds: 5, factor: 2, maxDelaySeconds: 300 });
    assert.equal(b?.timeoutSeconds, 30);
    assert.equal(b?.triggerRule, 'AllDone');
  });

  test('resolves taskRef tasks from the lookup; the DAG task keeps name, runAfter, triggerRule and adds parameters', () => {
    const body: TaskBodySpec = { image: 'git', script: 'git clone $first', parameters: ['first'], backoff: { limit: 2 }, triggerRule: 'AnySucceeded' };
    const calls: unknown[] = [];
    const r = resolveDag(
      dag({}, [task('a'), { name: 'clone', runAfter: ['a'], parameters: ['token'], triggerRule: 'AllDone', taskRef: { name: 'gitclone', version: 3 }, image: '', backoff: { limit: 0 } }]),
      (...args) => (calls.push(args), body),
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(calls[calls.length - 1], ['team-a', 'gitclone', 3]);
    const t = r.definition?.tasks[1];
    assert.deepEqual(t, {
      name: 'clone',
      runAfter: ['a'],
      image: 'git',
      command: [],
      args: [],
      script: 'git clone $first',
      retryLimit: 2,
      retryDelay: { delaySeconds: 0, factor: 2, maxDelaySeconds: 300 },
      triggerRule: 'AllDone',
      parameters: ['token', 'first'],
      taskRef: { name: 'gitclone', version: 3 },
    });
    body.image = 'changed';
    assert.equal(r.definition?.tasks[1]?.image, 'git', 'the definition shares nothing with its inputs');
  });

  test('a missing DagTask version is an error at spec.task[i].taskRef', () => {
    const r = resolveDag(dag({}, [task('a'), { name: 'b', taskRef: { name: 'gone', version: 7 } }]), none);
    assert.equal(r.definition, undefined);
    assert.deepEqual(r.errors.map((e) => [e.path, e.message]), [['spec.task[1].taskRef', 'DagTask "gone" version 7 not found in namespace "team-a"']]);
  });

  test('invalid DAGs give errors and no definition', () => {
    const r = resolveDag(dag({}, [task('a', { runAfter: ['a'] })]), none);
    assert.equal(r.definition, undefined);
    assert.ok(r.errors.length >= 1);
  });

  test('the DSL is merged (it wins per section)', () => {
    const r = resolveDag(dag({ dsl: 'schedule "5 4 * * *"\ngraph { x -> y }\ntask x { image "i" command ["c"] }\ntask y { image "i" script "s" }' }), none);
    assert.deepEqual(r.errors, []);
    assert.equal(r.definition?.schedule, '5 4 * * *');
    assert.deepEqual(r.definition?.tasks.map((t) => [t.name, t.runAfter, t.retryLimit]), [['x', [], 3], ['y', ['x'], 3]]);
    assert.deepEqual(r.definition?.parameters.map((p) => p.name), ['first', 'token'], 'YAML parameters stay when the DSL has none');
  });
});

describe('specHash', () => {
  const def = (): NonNullable<ReturnType<typeof resolveDag>['definition']> => {
    const r = resolveDag(dag(), none);
    assert.ok(r.definition);
    return r.definition;
  };

  test('ignores suspended, and key order', () => {
    const a = def();
    const b = { ...def(), suspended: !a.suspended };
    assert.equal(specHash(a), specHash(b));
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverseKeys) : typeof v === 'object' && v !== null
        ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]))
        : v;
    const reordered = reverseKeys(a) as typeof a;
    assert.notEqual(JSON.stringify(reordered), JSON.stringify(a));
    assert.equal(specHash(reordered), specHash(a));
  });

  test('changes with anything that runs', () => {
    const a = def();
    const b = def();
    (b.tasks[0] as { image: string }).image = 'alpine:3.21';
    assert.notEqual(specHash(a), specHash(b));
    assert.notEqual(specHash(a), specHash({ ...def(), schedule: '* * * * *' }));
    assert.match(specHash(a), /^[0-9a-f]{64}$/);
  });

  test('DagTask spec hash: stable under key order, changes with content', () => {
    assert.equal(dagTaskSpecHash({ image: 'x', script: 'y' }), dagTaskSpecHash({ script: 'y', image: 'x' }));
    assert.notEqual(dagTaskSpecHash({ image: 'x', script: 'y' }), dagTaskSpecHash({ image: 'x', script: 'z' }));
  });
});

describe('sha256Hex / stableStringify', () => {
  test('known vectors', () => {
    assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(
      sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  test('matches node:crypto on random text (all lengths around block boundaries, any Unicode)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const expected = createHash('sha256').update(s, 'utf8').digest('hex');
        assert.equal(sha256Hex(s), expected);
      }),
      { numRuns: 300 },
    );
  });

  test('stableStringify equals JSON.stringify with sorted keys', () => {
    assert.equal(stableStringify({ b: 1, a: [1, { d: undefined, c: 'x' }], e: null }), '{"a":[1,{"c":"x"}],"b":1,"e":null}');
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        assert.deepEqual(JSON.parse(stableStringify(v)), JSON.parse(JSON.stringify(v)));
      }),
    );
  });
});
