import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDsl, parseDsl, tokenizeDsl } from '@kontroler/core';

const msgs = (text: string): string[] => parseDsl(text).errors.map((e) => `${e.line}:${e.column} ${e.message}`);

describe('parseDsl: the grammar', () => {
  test('schedule, parameters, graph, tasks, comments', () => {
    const r = parseDsl(`
      // a comment
      schedule "30 2 * * *" // trailing comment
      parameters {
        env { default "prod" }
        token { defaultFromSecret "api-token" }
      }
      graph {
        a -> b
        a -> {c, d}
      }
      task a { image "alpine" command ["sh", "-c"] args ["echo a"] parameters ["env"] }
      task b { image "alpine" script "echo b" retry [1, 137] backoff 5 }
      task c { image "alpine" script """
        echo c
          indented
        """ }
      task d { image "alpine" command ["true"] }
    `);
    assert.deepEqual(r.errors, []);
    assert.equal(r.spec.schedule, '30 2 * * *');
    assert.deepEqual(r.spec.parameters, [
      { name: 'env', defaultValue: 'prod' },
      { name: 'token', defaultFromSecret: 'api-token' },
    ]);
    assert.deepEqual(r.spec.task, [
      { name: 'a', backoff: { limit: 3 }, conditional: { enabled: false, retryCodes: [] }, image: 'alpine', command: ['sh', '-c'], args: ['echo a'], parameters: ['env'] },
      { name: 'b', backoff: { limit: 5 }, conditional: { enabled: true, retryCodes: [1, 137] }, image: 'alpine', script: 'echo b', runAfter: ['a'] },
      { name: 'c', backoff: { limit: 3 }, conditional: { enabled: false, retryCodes: [] }, image: 'alpine', script: 'echo c\n  indented\n', runAfter: ['a'] },
      { name: 'd', backoff: { limit: 3 }, conditional: { enabled: false, retryCodes: [] }, image: 'alpine', command: ['true'], runAfter: ['a'] },
    ]);
  });

  test('Go-compatible strings: no escapes, may span lines', () => {
    const r = parseDsl('task a { image "x" script "echo \\\\n\nsecond line" command ["C:\\\\dir"] }');
    assert.deepEqual(r.errors, []);
    assert.equal(r.spec.task?.[0]?.script, 'echo \\\\n\nsecond line');
    assert.deepEqual(r.spec.task?.[0]?.command, ['C:\\\\dir']);
  });

  test('extensions: chains, sets on the left, a->b without spaces, empty lists, trailing commas', () => {
    const r = parseDsl('graph { a->b -> {c, d,} -> e\n {x, y} -> z }\n' + ['a', 'b', 'c', 'd', 'e', 'x', 'y', 'z'].map((n) => `task ${n} { image "i" command [] }`).join('\n'));
    assert.deepEqual(r.errors, []);
    const deps = Object.fromEntries((r.spec.task ?? []).map((t) => [t.name, t.runAfter ?? []]));
    assert.deepEqual(deps, { a: [], b: ['a'], c: ['b'], d: ['b'], e: ['c', 'd'], x: [], y: [], z: ['x', 'y'] });
  });

  test('several parameters and graph blocks add up; duplicate edges collapse', () => {
    const r = parseDsl('parameters { a { default "1" } }\nparameters { b { default "2" } }\ngraph { x -> y }\ngraph { x -> y }\ntask x { image "i" } task y { image "i" }');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.spec.parameters?.map((p) => p.name), ['a', 'b']);
    assert.deepEqual(r.spec.task?.[1]?.runAfter, ['x']);
  });

  test('an empty schedule means none (as in the Go sample test-alpine-fail)', () => {
    const r = applyDsl({ schedule: '*/5 * * * *', dsl: 'schedule ""\ntask a { image "i" command ["x"] }' });
    assert.equal(r.spec.schedule, '*/5 * * * *');
  });

  test('positions of produced fields, keyed by their DAG path', () => {
    const r = parseDsl('graph {\n  a -> b\n}\ntask a { image "i" }\ntask b {\n  image "j"\n  retry [3]\n}');
    assert.deepEqual(r.positions.get('spec.task[1]'), { line: 5, column: 6 });
    assert.deepEqual(r.positions.get('spec.task[1].image'), { line: 6, column: 9 });
    assert.deepEqual(r.positions.get('spec.task[1].runAfter[0]'), { line: 2, column: 3 });
    assert.deepEqual(r.positions.get('spec.task[1].conditional.retryCodes[0]'), { line: 7, column: 10 });
  });
});

describe('parseDsl: errors with line:column, all of them', () => {
  const table: Array<[string, string, string[]]> = [
    ['unquoted value', 'task a {\n  image alpine\n}', ['2:9 expected a quoted value after "image", found "alpine"']],
    ['unknown task field with a hint', 'task a { imagee "x" }', ['1:10 expected a task field (image, command, args, script, parameters, retry, backoff) in task "a", found "imagee" (did you mean "image"?)']],
    ['unknown top-level item', 'tasks a { }', ['1:1 expected schedule, parameters, graph or task, found "tasks" (did you mean "task"?)']],
    ['unterminated string', 'task a { image "x }', ['1:16 unterminated string (no closing ")']],
    ['unterminated triple string', 'task a { script """x }', ['1:17 unterminated """ string (no closing """)']],
    ['stray character', 'task a { image = "x" }', ['1:16 unexpected character "="']],
    ['missing brace before the next task', 'task a { image "x"\ntask b { image "y" }', ['2:1 expected "}" to close task "a", found "task"']],
    ['non-integer retry code', 'task a { retry [1, "2"] }', ['1:20 expected exit codes (integers) in retry, found the string "2"']],
    ['field set twice', 'task a { image "x" image "y" }', ['1:20 image is set twice in task "a"']],
    ['schedule twice', 'schedule "* * * * *"\nschedule "0 * * * *"', ['2:1 schedule is set twice (first at line 1)']],
    ['parameter field typo', 'parameters { p { defualt "x" } }', ['1:18 expected default or defaultFromSecret in parameter "p", found "defualt" (did you mean "default"?)']],
    ['graph edge without arrow', 'graph { a b }\ntask a { image "i" }', ['1:11 expected -> after a, found "b"']],
    ['graph names undefined tasks', 'graph { a -> bild }\ntask a { image "i" }\ntask build { image "i" }', ['1:14 graph: task "bild" is not defined (did you mean "build"?) (the edge says it runs after "a"; add "task bild { ... }")']],
    ['several errors in one pass', 'task a { image 1 }\ntask b { command "x" }\ntask c { backoff x }', [
      '1:16 expected a quoted value after "image", found the number 1',
      '2:18 expected "[" to start a list of quoted strings in command, found the string "x"',
      '3:18 expected a retry count (an integer) after "backoff", found "x"',
    ]],
  ];
  for (const [name, text, expected] of table) {
    test(name, () => assert.deepEqual(msgs(text), expected));
  }

  test('errors are at path spec.dsl', () => {
    assert.deepEqual(parseDsl('bogus').errors.map((e) => e.path), ['spec.dsl']);
  });

  test('the parts around an error are still read', () => {
    const r = parseDsl('task a { image 1 command ["x"] }\ntask b { image "y" script "z" }');
    assert.deepEqual(r.spec.task?.map((t) => [t.name, t.command, t.image]), [['a', ['x'], undefined], ['b', undefined, 'y']]);
  });

  test('nothing crashes on odd input', () => {
    for (const text of ['', '{', '}', '}}}', 'task', 'task {', 'graph { -> }', 'parameters { { } }', '"""', '->', 'task a { retry [ }', '\u0000\u{1F600}']) {
      const r = parseDsl(text);
      assert.ok(Array.isArray(r.errors));
    }
  });
});

describe('applyDsl: merging into the YAML spec (the DSL wins per section, like the Go controller)', () => {
  test('DSL sections replace YAML ones; the rest of the YAML stays', () => {
    const r = applyDsl({
      schedule: '0 0 * * *',
      suspended: true,
      timezone: 'Europe/Berlin',
      parameters: [{ name: 'old', defaultValue: 'x' }],
      task: [{ name: 'old', image: 'x', command: ['x'] }],
      webhook: { url: 'https://h', verifySSL: true },
      dsl: 'task n { image "i" command ["c"] }',
    });
    assert.deepEqual(r.errors, []);
    assert.equal(r.used, true);
    assert.equal(r.spec.schedule, '0 0 * * *');
    assert.deepEqual(r.spec.parameters, [{ name: 'old', defaultValue: 'x' }]);
    assert.deepEqual(r.spec.task?.map((t) => t.name), ['n']);
    assert.equal(r.spec.suspended, true);
    assert.equal(r.spec.timezone, 'Europe/Berlin');
    assert.ok(r.positions.has('spec.task[0].image'));
    assert.ok(!r.positions.has('spec.parameters[0]'));
  });

  test('no DSL: the spec itself comes back', () => {
    const spec = { task: [] };
    assert.equal(applyDsl(spec).spec, spec);
    assert.equal(applyDsl({ dsl: '  \n' }).used, false);
  });
});

test('tokenizer: an identifier stops before ->, keeps inner dashes', () => {
  assert.deepEqual(tokenizeDsl('random-b->c').map((t) => [t.kind, t.value]), [['ident', 'random-b'], ['arrow', '->'], ['ident', 'c'], ['eof', '']]);
});
