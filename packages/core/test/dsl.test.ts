import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDsl, parseDsl, parseResources, resolveDag, tokenizeDsl, validateDag, type DagResource } from '@kontroler/core';

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
    ['unknown task field with a hint', 'task a { imagee "x" }', ['1:10 expected a task field (image, command, args, script, parameters, retry, backoff, outputs, env, when, withItems, withParam, maxParallel, approval, dagRef) in task "a", found "imagee" (did you mean "image"?)']],
    ['unknown top-level item', 'tasks a { }', ['1:1 expected schedule, parameters, graph, task or outputs, found "tasks" (did you mean "task"?)']],
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

// ---- data flow ------------------------------------------------------------------------------

const FLOW_DSL = `task list {
  image "alpine:3.20"
  script """
    echo '["a","b"]' > "$KONTROLER_OUTPUTS/files"
  """
  outputs ["files"]
}
task size {
  image "alpine:3.20"
  withParam "{{tasks.list.outputs.files}}"
  maxParallel 2
  env { FILE "{{item}}" }
  when "tasks.list.status == 'succeeded'"
  script "echo $FILE"
  outputs ["bytes"]
}
task gate {
  approval { message "Ship it?" timeout 3600 onTimeout "Approve" inputs ["ticket"] }
}
task fixed { image "alpine" command ["echo", "{{item}}"] withItems ["x", "y"] }
outputs { total "{{tasks.size.outputs.bytes}}" }
graph { list -> size -> gate }
`;

/** The same DAG in YAML, with the DSL's task defaults (backoff 3, conditional off) written out. */
const FLOW_YAML = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: flow, namespace: team-a}
spec:
  task:
    - name: list
      image: alpine:3.20
      script: |
        echo '["a","b"]' > "$KONTROLER_OUTPUTS/files"
      outputs: [{name: files}]
      backoff: {limit: 3}
      conditional: {enabled: false, retryCodes: []}
    - name: size
      runAfter: [list]
      image: alpine:3.20
      withParam: "{{tasks.list.outputs.files}}"
      maxParallel: 2
      env: [{name: FILE, value: "{{item}}"}]
      when: "tasks.list.status == 'succeeded'"
      script: echo $FILE
      outputs: [{name: bytes}]
      backoff: {limit: 3}
      conditional: {enabled: false, retryCodes: []}
    - name: gate
      runAfter: [size]
      approval: {message: Ship it?, timeoutSeconds: 3600, onTimeout: Approve, inputs: [ticket]}
      backoff: {limit: 3}
      conditional: {enabled: false, retryCodes: []}
    - name: fixed
      image: alpine
      command: [echo, "{{item}}"]
      withItems: ["x", "y"]  # quoted: YAML 1.1 reads a bare y as true
      backoff: {limit: 3}
      conditional: {enabled: false, retryCodes: []}
  outputs: [{name: total, value: "{{tasks.size.outputs.bytes}}"}]
`;

const flowDag = (dsl: string): DagResource => ({
  apiVersion: 'kontroler.greedykomodo/v1alpha1',
  kind: 'DAG',
  metadata: { name: 'flow', namespace: 'team-a' },
  spec: { dsl },
});

const noDagTasks = (): undefined => undefined;

describe('parseDsl: data-flow fields', () => {
  test('the example reads as the same spec, and resolves to the same definition, as its YAML', () => {
    const r = parseDsl(FLOW_DSL);
    assert.deepEqual(r.errors, []);
    const yaml = parseResources(FLOW_YAML);
    assert.deepEqual(yaml.errors, []);
    const fromYaml = yaml.resources[0] as DagResource;
    assert.deepEqual(r.spec, { task: fromYaml.spec.task, outputs: fromYaml.spec.outputs });
    const a = resolveDag(flowDag(FLOW_DSL), noDagTasks);
    const b = resolveDag(fromYaml, noDagTasks);
    assert.deepEqual(a.errors, []);
    assert.ok(a.definition !== undefined);
    assert.deepEqual(a.definition, b.definition);
  });

  test('dagRef: the DAG to run as a child run and its parameters; a DAG referring to itself is reported at the DSL position', () => {
    const r = parseDsl(`task sub {
      dagRef "nightly" { DAY "{{params.day}}" "MODE-x" "full" }
      outputs ["total"]
    }
    task plain { dagRef "other" }`);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.spec.task?.[0]?.dagRef, { name: 'nightly', parameters: [{ name: 'DAY', value: '{{params.day}}' }, { name: 'MODE-x', value: 'full' }] });
    assert.deepEqual(r.spec.task?.[1]?.dagRef, { name: 'other', parameters: [] });
    assert.deepEqual(msgs('task a { dagRef nightly }'), ['1:17 expected the quoted name of the DAG to run after "dagRef", found "nightly"']);
    const own = validateDag(flowDag('task a { dagRef "flow" }'), {}).map((e) => `${e.path} ${e.message}`);
    assert.ok(own.some((m) => m.startsWith('spec.task[0].dagRef.name a task cannot run its own DAG') && m.includes('(dsl line 1, column 17)')), own.join('\n'));
  });

  test('outputs with descriptions, env names as strings, empty blocks and lists', () => {
    const r = parseDsl(`task a {
      image "i" command ["x"]
      outputs ["files" { description "JSON array of names" }, "2nd" {}, "n",]
      env { A "1" "MY_B" "{{params.p}}" }
    }
    task g { approval { } }
    task h { approval { inputs [] } }`);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.spec.task?.[0]?.outputs, [{ name: 'files', description: 'JSON array of names' }, { name: '2nd' }, { name: 'n' }]);
    assert.deepEqual(r.spec.task?.[0]?.env, [{ name: 'A', value: '1' }, { name: 'MY_B', value: '{{params.p}}' }]);
    assert.deepEqual(r.spec.task?.[1]?.approval, {});
    assert.deepEqual(r.spec.task?.[2]?.approval, { inputs: [] });
  });

  test('withItems: strings, integers, true/false/null, nested lists and objects', () => {
    const r = parseDsl('task a { image "i" command ["x"] withItems ["s", 0, 42, true, false, null, [1, [2]], { name "a" size 3, "odd key" [] }, {}, [],] }');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.spec.task?.[0]?.withItems, ['s', 0, 42, true, false, null, [1, [2]], { name: 'a', size: 3, 'odd key': [] }, {}, []]);
  });

  test('an object key __proto__ stays plain data', () => {
    const r = parseDsl('task a { image "i" withItems [{ __proto__ { polluted true } }] }');
    assert.deepEqual(r.errors, []);
    const item = r.spec.task?.[0]?.withItems?.[0] as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(item), Object.prototype);
    assert.deepEqual(Object.keys(item), ['__proto__']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  test('withItems nesting is bounded (DSL_MAX_ITEM_DEPTH = 32)', () => {
    const nested = (n: number): string => `task a { image "i" withItems ${'['.repeat(n)}${']'.repeat(n)} }`;
    assert.deepEqual(parseDsl(nested(32)).errors, []);
    assert.deepEqual(msgs(nested(33)), ['1:62 withItems values nest deeper than 32 levels']);
    const objects = `task a { image "i" withItems [${'{k '.repeat(40)}1${'}'.repeat(40)}] }`;
    assert.deepEqual(msgs(objects), ['1:124 withItems values nest deeper than 32 levels']);
  });

  test('positions of the data-flow fields', () => {
    const r = parseDsl(FLOW_DSL);
    const p = (path: string): string => {
      const pos = r.positions.get(path);
      return pos === undefined ? 'none' : `${pos.line}:${pos.column}`;
    };
    assert.deepEqual(
      [
        'spec.task[0].outputs', 'spec.task[0].outputs[0]', 'spec.task[0].outputs[0].name',
        'spec.task[1].withParam', 'spec.task[1].maxParallel', 'spec.task[1].env', 'spec.task[1].env[0].name', 'spec.task[1].env[0].value',
        'spec.task[1].when', 'spec.task[2].approval', 'spec.task[2].approval.message', 'spec.task[2].approval.timeoutSeconds',
        'spec.task[2].approval.onTimeout', 'spec.task[2].approval.inputs', 'spec.task[2].approval.inputs[0]',
        'spec.task[3].withItems', 'spec.task[3].withItems[1]', 'spec.outputs', 'spec.outputs[0]', 'spec.outputs[0].name', 'spec.outputs[0].value',
      ].map((k) => `${k} ${p(k)}`),
      [
        'spec.task[0].outputs 6:3', 'spec.task[0].outputs[0] 6:12', 'spec.task[0].outputs[0].name 6:12',
        'spec.task[1].withParam 10:13', 'spec.task[1].maxParallel 11:15', 'spec.task[1].env 12:3', 'spec.task[1].env[0].name 12:9', 'spec.task[1].env[0].value 12:14',
        'spec.task[1].when 13:8', 'spec.task[2].approval 18:3', 'spec.task[2].approval.message 18:22', 'spec.task[2].approval.timeoutSeconds 18:41',
        'spec.task[2].approval.onTimeout 18:56', 'spec.task[2].approval.inputs 18:66', 'spec.task[2].approval.inputs[0] 18:74',
        'spec.task[3].withItems 20:58', 'spec.task[3].withItems[1] 20:74', 'spec.outputs 21:1', 'spec.outputs[0] 21:11', 'spec.outputs[0].name 21:11', 'spec.outputs[0].value 21:17',
      ],
    );
    const d = parseDsl('task a { image "i" outputs ["x" { description "d" }] }');
    assert.deepEqual(d.positions.get('spec.task[0].outputs[0].description'), { line: 1, column: 47 });
  });

  test('several outputs blocks add up', () => {
    const r = parseDsl('outputs { a "1" }\noutputs { b "2" }');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.spec.outputs, [{ name: 'a', value: '1' }, { name: 'b', value: '2' }]);
    assert.deepEqual(r.positions.get('spec.outputs[1].value'), { line: 2, column: 13 });
  });

  const table: Array<[string, string, string[]]> = [
    ['outputs not a list', 'task a { image "i" outputs "x" }', ['1:28 expected "[" to start a list of output names (quoted strings) in outputs, found the string "x"']],
    ['unquoted output name', 'task a { image "i" outputs [x] }', ['1:29 expected output names (quoted strings) in outputs, found "x"']],
    ['output field typo', 'task a { image "i" outputs ["x" { descripton "d" }] }', ['1:35 expected description in output "x", found "descripton" (did you mean "description"?)']],
    ['output description twice', 'task a { image "i" outputs ["x" { description "d" description "e" }] }', ['1:51 description is set twice in output "x"']],
    ['outputs block in a task', 'task a {\n  image "i"\n  outputs { x "y" }\n}', [
      '3:3 expected "}" to close task "a", found "outputs" (the DAG\'s outputs { NAME "value" } start here; a task\'s outputs are a list: outputs ["name", ...])',
      '4:1 expected schedule, parameters, graph, task or outputs, found "}"',
    ]],
    ['env without braces', 'task a { image "i" env FOO "x" }', ['1:24 expected "{" after "env", found "FOO"']],
    ['env value unquoted', 'task a {\n  image "i"\n  env { FOO bar }\n}', ['3:13 expected a quoted value for environment variable "FOO", found "bar"']],
    ['env name a number', 'task a { image "i" env { 1 "x" } }', ['1:26 expected an environment variable name, found the number 1']],
    ['when unquoted', 'task a { image "i" when true }', ['1:25 expected a quoted value after "when", found "true"']],
    ['withParam a list', 'task a { image "i" withParam ["x"] }', ['1:30 expected a quoted value after "withParam", found "["']],
    ['withItems not a list', 'task a { image "i" withItems "x" }', ['1:30 expected "[" to start the list of items after "withItems", found the string "x"']],
    ['withItems bare word', 'task a { image "i" withItems ["x", y] }', ['1:36 expected an item (a quoted string, an integer, true, false, null, [a list] or {an object}), found "y"']],
    ['withItems negative number', 'task a { image "i" withItems [-1] }', ['1:31 unexpected character "-"']],
    ['withItems unclosed', 'task a { image "i" withItems ["x" "y"] }', ['1:35 expected "]" to close the list of items, found the string "y"']],
    ['withItems object key set twice', 'task a { image "i" withItems [{ k 1 k 2 }] }', ['1:37 key "k" is set twice in the object']],
    ['withItems huge integer', 'task a { image "i" withItems [99999999999999999999] }', ['1:31 the number 99999999999999999999 is too large (at most 9007199254740991)']],
    ['maxParallel quoted', 'task a { image "i" maxParallel "2" }', ['1:32 expected a number of instances (an integer) after "maxParallel", found the string "2"']],
    ['approval without braces', 'task a { approval "x" }', ['1:19 expected "{" after "approval", found the string "x"']],
    ['approval field typo', 'task a { approval { mesage "x" } }', ['1:21 expected an approval field (message, timeout, onTimeout, inputs) in task "a", found "mesage" (did you mean "message"?)']],
    ['approval timeout quoted', 'task a { approval { timeout "1h" } }', ['1:29 expected a number of seconds (an integer) after "timeout", found the string "1h"']],
    ['approval onTimeout unquoted', 'task a { approval { onTimeout Approve } }', ['1:31 expected a quoted value after "onTimeout", found "Approve"']],
    ['approval inputs not strings', 'task a { approval { inputs [ticket] } }', ['1:29 expected input names (quoted strings) in inputs, found "ticket"']],
    ['approval field twice', 'task a { approval { message "a" message "b" } }', ['1:33 message is set twice in the approval of task "a"']],
    ['data-flow field twice', 'task a { image "i" when "true" when "false" }', ['1:32 when is set twice in task "a"']],
    ['DAG output value unquoted', 'outputs {\n  total tasks\n}', ['2:9 expected a quoted value for DAG output "total", found "tasks"']],
    ['DAG outputs as a list', 'outputs ["x"]', ['1:9 expected "{" after "outputs", found "["']],
    ['typo of a data-flow field', 'task a { image "i" withitems ["x"] }', ['1:20 expected a task field (image, command, args, script, parameters, retry, backoff, outputs, env, when, withItems, withParam, maxParallel, approval, dagRef) in task "a", found "withitems" (did you mean "withItems"?)']],
    ['errors in several new fields, one pass', 'task a {\n  image "i"\n  env { A 1 }\n  maxParallel "x"\n  approval { timeout "x" }\n  outputs [1]\n}', [
      '3:11 expected a quoted value for environment variable "A", found the number 1',
      '4:15 expected a number of instances (an integer) after "maxParallel", found the string "x"',
      '5:22 expected a number of seconds (an integer) after "timeout", found the string "x"',
      '6:12 expected output names (quoted strings) in outputs, found the number 1',
    ]],
  ];
  for (const [name, text, expected] of table) {
    test(`error: ${name}`, () => assert.deepEqual(msgs(text), expected));
  }

  test('what is around an error in a data-flow field is still read', () => {
    const r = parseDsl('task a {\n  image "i"\n  withItems ["x", y]\n  when "true"\n  env { A "1" }\n}');
    assert.equal(r.errors.length, 1);
    assert.equal(r.spec.task?.[0]?.when, 'true');
    assert.deepEqual(r.spec.task?.[0]?.env, [{ name: 'A', value: '1' }]);
  });
});

describe('validateDag: data-flow errors of a DSL DAG point into the DSL', () => {
  const errs = (dsl: string): string[] => validateDag(flowDag(dsl)).map((e) => `${e.path}: ${e.message}`);

  test('an unknown output reference in withParam', () => {
    const e = errs(FLOW_DSL.replace('{{tasks.list.outputs.files}}', '{{tasks.list.outputs.filez}}'));
    assert.equal(e.length, 1, e.join('\n'));
    assert.match(e[0] ?? '', /^spec\.task\[1\]\.withParam: \{\{tasks\.list\.outputs\.filez\}\}: .*\(dsl line 10, column 13\)$/);
  });

  test('a DAG output naming an unknown task', () => {
    const e = errs(FLOW_DSL.replace('{{tasks.size.outputs.bytes}}', '{{tasks.sise.outputs.bytes}}'));
    assert.equal(e.length, 1, e.join('\n'));
    assert.match(e[0] ?? '', /^spec\.outputs\[0\]\.value: .*\(dsl line 21, column 17\)$/);
  });

  test('field checks: env name, maxParallel, duplicate output, when, approval fields, approval with an image', () => {
    const e = errs(`task a {
  image "i"
  command ["x"]
  env { "bad name" "v" }
  maxParallel 2
  when "true =="
  outputs ["ok", "ok"]
}
task g {
  image "i"
  approval { onTimeout "Later" timeout 0 inputs ["approvedBy"] }
}
graph { a -> g }`);
    const where = e.map((x) => `${x.split(':')[0] ?? ''} ${/\(dsl line (\d+), column (\d+)\)$/.exec(x)?.slice(1).join(':') ?? 'none'}`);
    assert.deepEqual(where.sort(), [
      'spec.task[0].env[0].name 4:9',
      'spec.task[0].maxParallel 5:15',
      'spec.task[0].outputs[1].name 7:18',
      'spec.task[0].when 6:8',
      'spec.task[1].approval.inputs[0] 11:50',
      'spec.task[1].approval.onTimeout 11:24',
      'spec.task[1].approval.timeoutSeconds 11:40',
      'spec.task[1].image 10:9',
    ], e.join('\n'));
  });
});

describe('applyDsl: DAG outputs', () => {
  test('DSL outputs replace the YAML ones and keep their positions; without them the YAML ones stay', () => {
    const yamlOutputs = [{ name: 'old', value: 'x' }];
    const r = applyDsl({ outputs: yamlOutputs, dsl: 'task a { image "i" command ["c"] }\noutputs { n "v" }' });
    assert.deepEqual(r.spec.outputs, [{ name: 'n', value: 'v' }]);
    assert.deepEqual(r.positions.get('spec.outputs[0].value'), { line: 2, column: 13 });
    const k = applyDsl({ outputs: yamlOutputs, dsl: 'task a { image "i" command ["c"] }' });
    assert.equal(k.spec.outputs, yamlOutputs);
    assert.ok(![...k.positions.keys()].some((p) => p.startsWith('spec.outputs')));
  });
});
