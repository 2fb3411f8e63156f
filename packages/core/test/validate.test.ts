import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  validateDag,
  validateDagRun,
  validateDagTask,
  validateResource,
  type DagResource,
  type DagRunResource,
  type DagTaskResource,
  type TaskBodySpec,
} from '@kontroler/core';
import { dag, task } from './helpers.js';

interface Case {
  name: string;
  input: DagResource;
  path: string;
  message: RegExp;
}

/** Builds a DAG from the valid sample, then lets the case break it. */
function broken(edit: (d: DagResource) => void): DagResource {
  const d = dag();
  edit(d);
  return d;
}

const chain = (...tasks: ReturnType<typeof task>[]): DagResource => dag({}, tasks);

const cases: Case[] = [
  // metadata
  { name: 'name missing', input: broken((d) => { d.metadata = {} as never; }), path: 'metadata.name', message: /^required$/ },
  { name: 'name not DNS-1123', input: broken((d) => { d.metadata.name = 'My_DAG'; }), path: 'metadata.name', message: /not a valid name/ },
  { name: 'name too long', input: broken((d) => { d.metadata.name = 'a'.repeat(254); }), path: 'metadata.name', message: /at most 253/ },
  { name: 'namespace invalid', input: broken((d) => { d.metadata.namespace = 'Team.A'; }), path: 'metadata.namespace', message: /not a valid namespace/ },
  { name: 'wrong apiVersion', input: broken((d) => { d.apiVersion = 'v1'; }), path: 'apiVersion', message: /unsupported apiVersion "v1"/ },
  { name: 'unknown top-level field', input: broken((d) => { (d as unknown as Record<string, unknown>)['sepc'] = {}; }), path: 'sepc', message: /unknown field \(did you mean "spec"\?\)/ },
  // tasks and names
  { name: 'no tasks', input: dag({}, []), path: 'spec.task', message: /at least one task/ },
  { name: 'task name missing', input: chain({ image: 'x', command: ['x'] } as never), path: 'spec.task[0].name', message: /^required$/ },
  { name: 'task name with a space', input: chain(task('a b')), path: 'spec.task[0].name', message: /not a valid task name/ },
  { name: 'task name __proto__ (it would set a prototype, not a key)', input: chain(task('__proto__')), path: 'spec.task[0].name', message: /"__proto__" is reserved/ },
  { name: 'duplicate task names', input: chain(task('a'), task('a')), path: 'spec.task[1].name', message: /duplicate task name "a" \(also spec\.task\[0\]\)/ },
  { name: 'duplicate names include taskRef tasks', input: chain(task('a'), { name: 'a', taskRef: { name: 't', version: 1 } }), path: 'spec.task[1].name', message: /duplicate task name/ },
  { name: 'image missing', input: chain(task('a', { image: undefined })), path: 'spec.task[0].image', message: /^required/ },
  { name: 'image blank', input: chain(task('a', { image: '  ' })), path: 'spec.task[0].image', message: /^required/ },
  { name: 'no command nor script', input: chain(task('a', { command: undefined, args: ['x'] })), path: 'spec.task[0].command', message: /set command .* or script/ },
  { name: 'empty command list', input: chain(task('a', { command: [] })), path: 'spec.task[0].command', message: /set command/ },
  // parameters
  { name: 'task parameter not declared', input: chain(task('a', { parameters: ['frist'] })), path: 'spec.task[0].parameters[0]', message: /parameter "frist" is not declared in spec\.parameters \(did you mean "first"\?\) \(declared: first, token\)/ },
  { name: 'parameter without default', input: dag({ parameters: [{ name: 'p' }] }), path: 'spec.parameters[0]', message: /set defaultValue or defaultFromSecret/ },
  { name: 'parameter with both defaults', input: dag({ parameters: [{ name: 'p', defaultValue: 'v', defaultFromSecret: 's' }] }), path: 'spec.parameters[0]', message: /exactly one of defaultValue and defaultFromSecret/ },
  { name: 'parameter name missing', input: dag({ parameters: [{ defaultValue: 'v' } as never] }), path: 'spec.parameters[0].name', message: /^required$/ },
  { name: 'parameter name not an env name', input: dag({ parameters: [{ name: '1abc', defaultValue: 'v' }] }), path: 'spec.parameters[0].name', message: /environment variable/ },
  { name: 'parameter name __proto__', input: dag({ parameters: [{ name: '__proto__', defaultValue: 'v' }] }), path: 'spec.parameters[0].name', message: /"__proto__" is reserved/ },
  { name: 'output name __proto__', input: chain(task('a', { outputs: [{ name: '__proto__' }] })), path: 'spec.task[0].outputs[0].name', message: /"__proto__" is reserved/ },
  { name: 'duplicate parameter', input: dag({ parameters: [{ name: 'p', defaultValue: 'v' }, { name: 'p', defaultValue: 'w' }] }), path: 'spec.parameters[1].name', message: /duplicate parameter name "p"/ },
  { name: 'secret name invalid', input: dag({ parameters: [{ name: 'p', defaultFromSecret: 'My Secret' }] }), path: 'spec.parameters[0].defaultFromSecret', message: /not a valid name/ },
  // graph
  { name: 'runAfter unknown task', input: chain(task('a'), task('b', { runAfter: ['c'] })), path: 'spec.task[1].runAfter[0]', message: /unknown task "c" \(tasks: a, b\)/ },
  { name: 'runAfter typo', input: chain(task('build'), task('test', { runAfter: ['biuld'] })), path: 'spec.task[1].runAfter[0]', message: /did you mean "build"/ },
  { name: 'self-dependency', input: chain(task('a'), task('b', { runAfter: ['a', 'b'] })), path: 'spec.task[1].runAfter[1]', message: /cannot run after itself \(cycle b -> b\)/ },
  { name: 'two-task cycle', input: chain(task('r'), task('a', { runAfter: ['b'] }), task('b', { runAfter: ['a'] })), path: 'spec.task[1].runAfter[0]', message: /^dependency cycle a -> b -> a / },
  { name: 'longer cycle', input: chain(task('r'), task('a', { runAfter: ['c', 'r'] }), task('b', { runAfter: ['a'] }), task('c', { runAfter: ['b'] })), path: 'spec.task[1].runAfter[0]', message: /dependency cycle a -> b -> c -> a/ },
  { name: 'no root task', input: chain(task('a', { runAfter: ['b'] }), task('b', { runAfter: ['a'] })), path: 'spec.task', message: /no root task/ },
  // taskRef
  { name: 'taskRef without name', input: chain(task('a'), { name: 'b', taskRef: { version: 1 } as never }), path: 'spec.task[1].taskRef.name', message: /required/ },
  { name: 'taskRef version 0', input: chain(task('a'), { name: 'b', taskRef: { name: 't', version: 0 } }), path: 'spec.task[1].taskRef.version', message: /must be 1 or more/ },
  { name: 'taskRef version missing', input: chain(task('a'), { name: 'b', taskRef: { name: 't' } as never }), path: 'spec.task[1].taskRef.version', message: /required/ },
  // webhook / workspace
  { name: 'webhook url missing', input: dag({ webhook: { verifySSL: true } as never }), path: 'spec.webhook.url', message: /required/ },
  { name: 'webhook url not http', input: dag({ webhook: { url: 'ftp://h/x', verifySSL: true } }), path: 'spec.webhook.url', message: /scheme "ftp" is not supported/ },
  { name: 'webhook url relative', input: dag({ webhook: { url: '/hook', verifySSL: true } }), path: 'spec.webhook.url', message: /not an absolute URL/ },
  { name: 'workspace access mode', input: dag({ workspace: { enable: true, pvc: { accessModes: ['ReadWriteOnly'] } } }), path: 'spec.workspace.pvc.accessModes[0]', message: /did you mean "ReadWriteOnce"/ },
  { name: 'workspace size not a quantity', input: dag({ workspace: { enable: true, pvc: { resources: { requests: { storage: '1GB' } } } } }), path: 'spec.workspace.pvc.resources.requests.storage', message: /not a quantity/ },
  // ours: schedule
  { name: 'schedule with seconds', input: dag({ schedule: '0 */5 * * * *' }), path: 'spec.schedule', message: /6 fields; .*no seconds field/ },
  { name: 'schedule too short', input: dag({ schedule: '* * *' }), path: 'spec.schedule', message: /has 3 fields; expected 5/ },
  { name: 'schedule out of range', input: dag({ schedule: '61 * * * *' }), path: 'spec.schedule', message: /invalid cron pattern/ },
  { name: 'schedule never fires', input: dag({ schedule: '0 0 30 2 *' }), path: 'spec.schedule', message: /never fires/ },
  { name: 'unknown descriptor', input: dag({ schedule: '@every 5m' }), path: 'spec.schedule', message: /unknown descriptor/ },
  { name: 'timezone unknown', input: dag({ timezone: 'Europe/Stockholmm' }), path: 'spec.timezone', message: /unknown time zone/ },
  { name: 'timezone offset', input: dag({ timezone: '+02:00' }), path: 'spec.timezone', message: /IANA/ },
  { name: 'concurrencyPolicy', input: dag({ concurrencyPolicy: 'Skip' as never }), path: 'spec.concurrencyPolicy', message: /one of Allow, Forbid, Replace/ },
  { name: 'catchUp negative', input: dag({ catchUp: -1 }), path: 'spec.catchUp', message: /between 0 and 100/ },
  { name: 'catchUp too big', input: dag({ catchUp: 101 }), path: 'spec.catchUp', message: /between 0 and 100/ },
  { name: 'podGC strategy', input: dag({ podGC: { strategy: 'Sometimes' as never } }), path: 'spec.podGC.strategy', message: /one of OnPodCompletion, OnRunCompletion, OnRunSuccess \(got "Sometimes"\)/ },
  { name: 'podGC negative', input: dag({ podGC: { deleteAfterSeconds: -1 } }), path: 'spec.podGC.deleteAfterSeconds', message: /0 to 604800 \(7 days\)/ },
  { name: 'podGC over a week', input: dag({ podGC: { strategy: 'OnRunSuccess', deleteAfterSeconds: 604801 } }), path: 'spec.podGC.deleteAfterSeconds', message: /0 to 604800/ },
  { name: 'podGC unknown field', input: dag({ podGC: { deleteAfter: 5 } as never }), path: 'spec.podGC.deleteAfter', message: /unknown field/ },
  { name: 'catchUp not an integer', input: dag({ catchUp: 1.5 }), path: 'spec.catchUp', message: /expected an integer/ },
  // ours: task fields
  { name: 'backoff negative', input: chain(task('a', { backoff: { limit: -1 } })), path: 'spec.task[0].backoff.limit', message: /between 0 and 100/ },
  { name: 'backoff huge', input: chain(task('a', { backoff: { limit: 1000 } })), path: 'spec.task[0].backoff.limit', message: /between 0 and 100/ },
  { name: 'retry code out of range', input: chain(task('a', { conditional: { enabled: true, retryCodes: [1, 256] } })), path: 'spec.task[0].conditional.retryCodes[1]', message: /between 0 and 255/ },
  { name: 'retry delay negative', input: chain(task('a', { retry: { delaySeconds: -5 } })), path: 'spec.task[0].retry.delaySeconds', message: /between 0 and/ },
  { name: 'retry factor below 1', input: chain(task('a', { retry: { factor: 0.5 } })), path: 'spec.task[0].retry.factor', message: /between 1/ },
  { name: 'retry max below delay', input: chain(task('a', { retry: { delaySeconds: 60, maxDelaySeconds: 10 } })), path: 'spec.task[0].retry.maxDelaySeconds', message: /not be less than delaySeconds/ },
  { name: 'retry delay not a number', input: chain(task('a', { retry: { delaySeconds: '5' as never } })), path: 'spec.task[0].retry.delaySeconds', message: /expected a number/ },
  { name: 'timeout zero', input: chain(task('a', { timeoutSeconds: 0 })), path: 'spec.task[0].timeoutSeconds', message: /positive/ },
  { name: 'timeout fractional', input: chain(task('a', { timeoutSeconds: 1.5 })), path: 'spec.task[0].timeoutSeconds', message: /expected an integer/ },
  { name: 'triggerRule unknown', input: chain(task('a', { triggerRule: 'OneSucceeded' as never })), path: 'spec.task[0].triggerRule', message: /one of AllSucceeded, AllDone, AnySucceeded, AnyFailed/ },
  { name: 'activeDeadlineSeconds zero', input: chain(task('a', { podTemplate: { activeDeadlineSeconds: 0 } })), path: 'spec.task[0].podTemplate.activeDeadlineSeconds', message: /positive/ },
  { name: 'imagePullPolicy unknown', input: chain(task('a', { podTemplate: { imagePullPolicy: 'Sometimes' } as never })), path: 'spec.task[0].podTemplate.imagePullPolicy', message: /must be one of Always, IfNotPresent, Never/ },
  { name: 'cpu not a quantity', input: chain(task('a', { podTemplate: { resources: { limits: { cpu: 'two' } } } })), path: 'spec.task[0].podTemplate.resources.limits.cpu', message: /not a quantity/ },
  { name: 'volume mount without path', input: chain(task('a', { podTemplate: { volumeMounts: [{ name: 'v' } as never] } })), path: 'spec.task[0].podTemplate.volumeMounts[0].mountPath', message: /required/ },
  { name: 'toleration operator', input: chain(task('a', { podTemplate: { tolerations: [{ operator: 'Equals' }] } })), path: 'spec.task[0].podTemplate.tolerations[0].operator', message: /Exists or Equal/ },
  // structure of values built in code
  { name: 'unknown task field', input: chain({ ...task('a'), imagee: 'x' } as never), path: 'spec.task[0].imagee', message: /unknown field \(did you mean "image"\?\)/ },
  { name: 'wrong type in code', input: chain(task('a', { command: 'sh' as never })), path: 'spec.task[0].command', message: /expected a list/ },
  // DSL
  { name: 'DSL syntax error', input: dag({ dsl: 'task a {\n  image alpine\n}' }), path: 'spec.dsl', message: /^dsl line 2, column 9: expected a quoted value after "image"/ },
  { name: 'DSL graph names an undefined task', input: dag({ dsl: 'graph { a -> b }\ntask a { image "x" command ["x"] }' }), path: 'spec.dsl', message: /task "b" is not defined/ },
  { name: 'DSL task error located in the DSL', input: dag({ dsl: 'task a { command ["x"] }' }), path: 'spec.task[0].image', message: /^required.*\(dsl line 1, column 6\)$/ },
];

describe('validateDag: every rule, one broken thing at a time', () => {
  test('the base DAG is valid', () => {
    assert.deepEqual(validateDag(dag()), []);
  });
  for (const c of cases) {
    test(c.name, () => {
      const errors = validateDag(c.input);
      const hit = errors.find((e) => e.path === c.path && c.message.test(e.message));
      assert.ok(hit, `no error at ${c.path} matching ${c.message}; got ${JSON.stringify(errors, null, 1)}`);
    });
  }
});

describe('validateDag: behaviour', () => {
  test('collects all errors instead of stopping at the first', () => {
    const d = dag({ schedule: '* * * * * *', timezone: 'Nowhere/X', catchUp: -1 }, [task('a', { image: '' }), task('a', { runAfter: ['zz'] })]);
    const paths = validateDag(d).map((e) => e.path);
    for (const p of ['spec.schedule', 'spec.timezone', 'spec.catchUp', 'spec.task[0].image', 'spec.task[1].name', 'spec.task[1].runAfter[0]']) {
      assert.ok(paths.includes(p), `missing ${p} in ${paths.join(', ')}`);
    }
  });

  test('several independent chains are fine (unlike the Go project, no single-component rule)', () => {
    const d = chain(task('a'), task('b', { runAfter: ['a'] }), task('x'), task('y', { runAfter: ['x'] }));
    assert.deepEqual(validateDag(d), []);
  });

  test('a taskRef task needs no image or command; Go zero values in its body are ignored', () => {
    const d = chain(task('a'), { name: 'b', runAfter: ['a'], taskRef: { name: 'shared', version: 2 }, image: '', backoff: { limit: 0 }, conditional: { enabled: false, retryCodes: [] } });
    assert.deepEqual(validateDag(d), []);
  });

  test('with a lookup, a missing DagTask version is an error at taskRef', () => {
    const d = chain(task('a'), { name: 'b', taskRef: { name: 'shared', version: 2 } });
    const seen: unknown[] = [];
    const errors = validateDag(d, { lookupDagTask: (...args) => (seen.push(args), undefined) });
    assert.deepEqual(seen, [['team-a', 'shared', 2]]);
    assert.deepEqual(errors.map((e) => [e.path, e.message]), [['spec.task[1].taskRef', 'DagTask "shared" version 2 not found in namespace "team-a"']]);
  });

  test("with a lookup, the DagTask's parameters must be declared by the DAG", () => {
    const d = chain(task('a'), { name: 'b', taskRef: { name: 'shared', version: 1 } });
    const body: TaskBodySpec = { image: 'x', command: ['x'], parameters: ['first', 'missing'] };
    const errors = validateDag(d, { lookupDagTask: () => body });
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.path, 'spec.task[1].taskRef');
    assert.match(errors[0]?.message ?? '', /uses parameter "missing" is not declared|uses parameter "missing"/);
  });

  test('Go-compatible parameter defaults: an empty defaultValue next to a secret is unset; alone it is a value', () => {
    assert.deepEqual(validateDag(dag({ parameters: [{ name: 'p', defaultValue: '', defaultFromSecret: 's' }] }, [task('a', { parameters: ['p'] })])), []);
    assert.deepEqual(validateDag(dag({ parameters: [{ name: 'p', defaultValue: '' }] }, [task('a', { parameters: ['p'] })])), []);
  });

  test('schedules: 5 fields, descriptors, names', () => {
    for (const schedule of ['*/1 * * * *', '30 2 * * MON-FRI', '0 0 1 JAN *', '@daily', '@midnight', '@hourly', '@weekly', '@monthly', '@yearly', '@annually', '', '  ']) {
      assert.deepEqual(validateDag(dag({ schedule, timezone: 'Europe/Stockholm' })), [], schedule);
    }
  });

  test('garbage never throws', () => {
    for (const g of [null, undefined, 42, 'x', [], { kind: 'DAG' }, { kind: 'DAG', spec: [] }, { kind: 'DAG', metadata: 'x', spec: { task: 'x' } }]) {
      assert.ok(validateDag(g as never).length > 0);
      assert.ok(validateResource(g as never).length > 0);
    }
  });
});

const dagTask = (spec: DagTaskResource['spec']): DagTaskResource => ({
  apiVersion: 'kontroler.greedykomodo/v1alpha1',
  kind: 'DagTask',
  metadata: { name: 'shared' },
  spec,
});

describe('validateDagTask', () => {
  const table: Array<[string, DagTaskResource['spec'], string, RegExp]> = [
    ['image missing', { command: ['x'] }, 'spec.image', /required/],
    ['no command nor script', { image: 'x' }, 'spec.command', /set command/],
    ['backoff out of range', { image: 'x', script: 'y', backoff: { limit: 101 } }, 'spec.backoff.limit', /between 0 and 100/],
    ['bad parameter name', { image: 'x', script: 'y', parameters: ['a b'] }, 'spec.parameters[0]', /environment variable/],
    ['unknown field', { image: 'x', script: 'y', taskRef: {} } as never, 'spec.taskRef', /unknown field/],
  ];
  test('a valid DagTask (runAfter accepted and unused, as in the Go project)', () => {
    assert.deepEqual(validateDagTask(dagTask({ image: 'x', script: 'echo', runAfter: ['whatever'], backoff: { limit: 3 } })), []);
  });
  for (const [name, spec, path, message] of table) {
    test(name, () => {
      const errors = validateDagTask(dagTask(spec));
      assert.ok(errors.some((e) => e.path === path && message.test(e.message)), JSON.stringify(errors));
    });
  }
});

const run = (spec: unknown): DagRunResource => ({
  apiVersion: 'kontroler.greedykomodo/v1alpha1',
  kind: 'DagRun',
  metadata: { name: 'r1' },
  spec: spec as DagRunResource['spec'],
});

describe('validateDagRun', () => {
  const table: Array<[string, unknown, string, RegExp]> = [
    ['dagName missing', {}, 'spec.dagName', /required/],
    ['dagName invalid', { dagName: 'Bad Name' }, 'spec.dagName', /not a valid name/],
    ['parameter name missing', { dagName: 'd', parameters: [{ value: 'v' }] }, 'spec.parameters[0].name', /required/],
    ['value and fromSecret', { dagName: 'd', parameters: [{ name: 'p', value: 'v', fromSecret: 's' }] }, 'spec.parameters[0]', /exactly one of value and fromSecret/],
    ['neither', { dagName: 'd', parameters: [{ name: 'p' }] }, 'spec.parameters[0]', /set value or fromSecret/],
    ['set twice', { dagName: 'd', parameters: [{ name: 'p', value: 'a' }, { name: 'p', value: 'b' }] }, 'spec.parameters[1].name', /set twice/],
  ];
  test('a valid DagRun', () => {
    assert.deepEqual(validateDagRun(run({ dagName: 'd', parameters: [{ name: 'a', value: '' }, { name: 'b', fromSecret: 's' }] })), []);
  });
  for (const [name, spec, path, message] of table) {
    test(name, () => {
      const errors = validateDagRun(run(spec));
      assert.ok(errors.some((e) => e.path === path && message.test(e.message)), JSON.stringify(errors));
    });
  }
});
