// The CustomResourceDefinitions of DAG, DagRun and DagTask, generated from core's resource shapes
// (the same ones the YAML loader checks), so the apiserver and Kontroler agree on every field.
// Structural schemas: free-form Kubernetes sub-objects keep unknown fields, everything else is
// pruned (kubectl reports unknown fields). `scripts/gen-crds.mjs` writes them to deploy/crds/.
import { DAG_RUN_SPEC_SHAPE, DAG_SPEC_SHAPE, DAG_TASK_SPEC_SHAPE, type Shape } from '@kontroler/core';
import { CRD_API_VERSION, CRD_VERSION, GROUP } from '@kontroler/runtime-kube';
import { DAGRUN_STATUS_DETAIL_MAX_TASKS, DAGRUN_STATUS_LIST_CAP } from './dagrun-status.js';
import { BACKFILL_DESCRIPTIONS, BACKFILL_SPEC_IMMUTABLE, BACKFILL_SPEC_SHAPE, BACKFILL_STATUS } from './backfill-schema.js';

export { CRD_VERSION };
export const CRD_GROUP = GROUP;
export const API_VERSION = CRD_API_VERSION;

export type JsonSchema = { [k: string]: unknown };

/** Descriptions by field path (`[]` = array items); ours are marked so users can tell. */
const DESCRIPTIONS: Record<string, string> = {
  'spec.schedule': '5-field cron (or @hourly/@daily/@weekly/@monthly/@yearly); empty = on demand only.',
  'spec.suspended': 'Stops scheduled runs; not a new version.',
  'spec.task': 'The tasks (singular key, as in the Go project).',
  'spec.task[].runAfter': 'Tasks that must succeed first (see triggerRule).',
  'spec.task[].backoff.limit': 'Retries after the first attempt (limit N = at most N retries).',
  'spec.task[].conditional': 'When enabled, only the exit codes in retryCodes are retried.',
  'spec.task[].parameters': 'Names of DAG parameters injected as environment variables.',
  'spec.task[].script': 'Run with /bin/sh; written into the pod by an init container (scriptInjectorImage). command/args are ignored.',
  'spec.task[].taskRef': 'Use a DagTask version instead of inline fields.',
  'spec.task[].retry': 'Kontroler TS addition: delay before retry n is delaySeconds × factor^(n-1), capped at maxDelaySeconds (defaults 0, 2, 300).',
  'spec.task[].timeoutSeconds': 'Kontroler TS addition: per-attempt timeout; podTemplate.activeDeadlineSeconds is honoured too (the smaller wins).',
  'spec.task[].triggerRule': 'Kontroler TS addition: AllSucceeded (default), AllDone, AnySucceeded or AnyFailed.',
  'spec.task[].podTemplate': 'Pod fields applied to the task pod.',
  'spec.task[].podTemplate.securityContext':
    'The pod securityContext. Kontroler TS: task pods pass Pod Security "restricted" by default (runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532, seccompProfile RuntimeDefault); fields set here win (runAsNonRoot: false drops the default user and group).',
  'spec.task[].podTemplate.containerSecurityContext':
    'Kontroler TS addition: SecurityContext fields of the main container, over the restricted defaults (allowPrivilegeEscalation: false, capabilities.drop: [ALL]).',
  'spec.podTemplate.securityContext':
    'The pod securityContext. Kontroler TS: task pods pass Pod Security "restricted" by default (runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532, seccompProfile RuntimeDefault); fields set here win (runAsNonRoot: false drops the default user and group).',
  'spec.podTemplate.containerSecurityContext':
    'Kontroler TS addition: SecurityContext fields of the main container, over the restricted defaults (allowPrivilegeEscalation: false, capabilities.drop: [ALL]).',
  'spec.task[].kontrolerToken': 'Kontroler TS addition: mount a projected service account token for the Kontroler API into this task\'s pod (KONTROLER_TOKEN_FILE; workload identity); overrides spec.kontrolerToken.',
  'spec.kontrolerToken':
    'Kontroler TS addition: mount a projected service account token for the Kontroler API (audience kontroler) into the task pods at /var/run/secrets/kontroler/token (KONTROLER_TOKEN_FILE), so tasks call the API as their service account (workload identity). In a DAG: every task; a task\'s own kontrolerToken wins.',
  'spec.timezone': 'Kontroler TS addition: IANA time zone of schedule (default UTC).',
  'spec.podGC':
    'Kontroler TS addition: how long finished task pods are kept, so kubectl logs works after a task ended (the log is archived either way). Default: the controller\'s --pod-gc, else OnPodCompletion with 0 s (deleted once recorded).',
  'spec.podGC.strategy':
    'OnPodCompletion: deleteAfterSeconds after the pod ended; OnRunCompletion: after the run ended; OnRunSuccess: after the run succeeded (a failed or canceled run keeps its pods while its DagRun exists).',
  'spec.podGC.deleteAfterSeconds': 'Seconds to keep the pod after that moment (0 to 604800; the sweep deletes it within a minute of then).',
  'spec.concurrencyPolicy': 'Kontroler TS addition: Allow (default), Forbid (skip a fire while a run is active) or Replace (cancel the active run).',
  'spec.catchUp': 'Kontroler TS addition: missed fires to run after downtime, latest first (default 1; 0 = none).',
  'spec.workspace': 'A volume claim shared by the tasks of a run, mounted at /workspace, deleted when the run ends.',
  'spec.webhook': 'Notified on every task state change and run end (signed with HMAC-SHA256, retried).',
  'spec.dsl': 'The DAG in the text DSL; merged with the other fields.',
  'spec.dagName': 'The DAG (in this namespace) to run.',
  'spec.outputs':
    'Kontroler TS addition (data flow): in a DAG, the run\'s outputs (name, and a value using references such as {{tasks.x.outputs.y}}); in a DagTask, the values the task writes to $KONTROLER_OUTPUTS/<name>.',
  'spec.task[].outputs': 'Kontroler TS addition (data flow): values the task writes to $KONTROLER_OUTPUTS/<name> for later tasks ({{tasks.NAME.outputs.OUT}}); 64 KiB each locally, 4096 bytes in all through the termination message in a pod.',
  'spec.task[].env': 'Kontroler TS addition (data flow): environment variables of the task; values may use references ({{params.P}}, {{tasks.T.outputs.O}}, {{run.id}}, {{run.name}}).',
  'spec.task[].when': 'Kontroler TS addition (data flow): a CEL condition over params and tasks.NAME.{status,exitCode,outputs} of upstream tasks; false skips the task (reason ConditionFalse).',
  'spec.task[].withItems': 'Kontroler TS addition (data flow): run one instance of the task per item (NAME[0], NAME[1], ...; {{item}}); at most 1000 inline.',
  'spec.task[].withParam': 'Kontroler TS addition (data flow): like withItems, over a JSON array written upstream, e.g. "{{tasks.list.outputs.files}}"; at most 10000 items.',
  'spec.task[].maxParallel': 'Kontroler TS addition (data flow): at most this many instances of a mapped task run at once.',
  'spec.task[].dagRef': 'Kontroler TS addition (data flow): run DAG name (same namespace) as a child run and end with it; its DAG outputs become the task outputs.',
  'spec.task[].approval': 'Kontroler TS addition (data flow): no container; wait for a person to approve (outputs approvedBy, comment, inputs) or reject.',
  'spec.parameters[].fromSecret': 'Secret (key "secret", or "name/key") holding the value; read by the pod, never stored.',
  'spec.parameters[].defaultFromSecret': 'Secret (key "secret", or "name/key") holding the default; read by the pod, never stored.',
};

function describe(path: string, schema: JsonSchema): JsonSchema {
  const d = DESCRIPTIONS[path] ?? BACKFILL_DESCRIPTIONS[path];
  return d ? { description: d, ...schema } : schema;
}

/** OpenAPI v3 (structural) schema of a core shape. */
export function shapeToSchema(shape: Shape, path = ''): JsonSchema {
  switch (shape.type) {
    case 'string':
    case 'boolean':
    case 'number':
      return describe(path, { type: shape.type });
    case 'integer':
      return describe(path, { type: 'integer', format: 'int64' });
    case 'quantity':
      return describe(path, { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true });
    case 'array':
      return describe(path, { type: 'array', items: shapeToSchema(shape.items, `${path}[]`) });
    case 'map':
      return describe(path, { type: 'object', additionalProperties: shapeToSchema(shape.values, `${path}.*`) });
    case 'any':
      return describe(path, { 'x-kubernetes-preserve-unknown-fields': true });
    case 'object': {
      const properties: Record<string, JsonSchema> = {};
      for (const [k, v] of Object.entries(shape.fields)) properties[k] = shapeToSchema(v, path ? `${path}.${k}` : k);
      return describe(path, {
        type: 'object',
        ...(Object.keys(properties).length > 0 ? { properties } : {}),
        ...(shape.unknown === 'keep' || shape.unknown === 'ignore' ? { 'x-kubernetes-preserve-unknown-fields': true } : {}),
      });
    }
  }
}

const str = { type: 'string' };
const int = { type: 'integer', format: 'int64' };
const time = { type: 'string', format: 'date-time' };
const fieldErrors = {
  type: 'array',
  description: 'Every validation problem, by field path.',
  items: { type: 'object', properties: { path: str, message: str } },
};

/** `status.conditions` (metav1.Condition), one per type. */
function conditions(description: string): JsonSchema {
  return {
    type: 'array',
    description: `Kontroler TS addition: ${description} As in the Kubernetes API conventions: lastTransitionTime changes only when status does.`,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
    items: {
      type: 'object',
      required: ['type', 'status'],
      properties: {
        type: str,
        status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
        reason: { type: 'string', description: 'CamelCase: why the condition is what it is.' },
        message: str,
        observedGeneration: int,
        lastTransitionTime: time,
      },
    },
  };
}
const READY_CONDITIONS = conditions('Ready (True: the spec is valid and stored as the current version; False, reason Invalid: the message says what is wrong).');

const DAG_STATUS: JsonSchema = {
  type: 'object',
  properties: {
    phase: { type: 'string', description: 'Successful (stored as a version) or Failed (invalid: see errors), as in the Go project.' },
    message: str,
    observedGeneration: int,
    version: { ...int, description: 'Current version in the store.' },
    errors: fieldErrors,
    schedule: { type: 'string', description: 'Kontroler TS addition: the stored schedule (also one written in spec.dsl); absent = on demand only.' },
    suspended: { type: 'boolean', description: 'Kontroler TS addition: scheduled runs are stopped.' },
    nextFireTime: { ...time, description: 'When the schedule fires next; absent while suspended or on demand only.' },
    lastRun: {
      type: 'object',
      properties: { id: int, name: str, phase: str, startTime: time },
    },
    conditions: READY_CONDITIONS,
  },
};

const DAG_TASK_STATUS: JsonSchema = {
  type: 'object',
  properties: { phase: str, message: str, observedGeneration: int, version: int, errors: fieldErrors, conditions: READY_CONDITIONS },
};

/** A list of tasks in a DagRun status (name, phase, attempts, last exit code and reason, times, pod). */
function taskList(description: string): JsonSchema {
  return {
    type: 'array',
    description,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
    items: {
      type: 'object',
      required: ['name'],
      properties: {
        name: str,
        phase: str,
        attempts: int,
        exitCode: { type: 'integer', format: 'int32' },
        reason: str,
        startTime: time,
        completionTime: time,
        pod: str,
      },
    },
  };
}

const DAG_RUN_STATUS: JsonSchema = {
  type: 'object',
  properties: {
    dagRunId: { ...int, description: 'The run id in the store (as in the Go project).' },
    phase: { type: 'string', description: 'Pending, Running, Succeeded, Failed or Canceled.' },
    message: str,
    observedGeneration: int,
    dagVersion: int,
    startTime: time,
    completionTime: time,
    duration: { type: 'string', description: 'Kontroler TS addition: how long the run took (Go style, e.g. 1m5s), once it ended.' },
    progress: { type: 'string', description: 'Succeeded tasks / all tasks.' },
    taskTotal: { ...int, description: 'Kontroler TS addition: tasks in the run.' },
    taskCounts: {
      type: 'object',
      description: 'Kontroler TS addition: tasks per status (pending, waiting, running, succeeded, failed, skipped, canceled).',
      additionalProperties: int,
    },
    runPath: { type: 'string', description: 'Kontroler TS addition: the run in the Kontroler API (GET it for every task: /api/v1/runs/<id>/tasks).' },
    runUrl: { type: 'string', description: "Kontroler TS addition: the run's full URL, when the controller knows the server's public URL (KONTROLER_PUBLIC_URL)." },
    tasks: taskList(`Every task, for a run of at most ${DAGRUN_STATUS_DETAIL_MAX_TASKS} tasks (larger runs: taskCounts, failedTasks, runningTasks).`),
    failedTasks: taskList(`Kontroler TS addition, runs of more than ${DAGRUN_STATUS_DETAIL_MAX_TASKS} tasks: the first ${DAGRUN_STATUS_LIST_CAP} failed tasks by name.`),
    failedTasksTruncated: { type: 'boolean', description: 'Kontroler TS addition: more tasks failed than failedTasks lists (see taskCounts and the API).' },
    runningTasks: taskList(`Kontroler TS addition, runs of more than ${DAGRUN_STATUS_DETAIL_MAX_TASKS} tasks: the first ${DAGRUN_STATUS_LIST_CAP} running tasks by name.`),
    runningTasksTruncated: { type: 'boolean', description: 'Kontroler TS addition: more tasks run than runningTasks lists.' },
    conditions: conditions(
      'Succeeded (Unknown until the run ends; True: every task succeeded; False: failed, canceled or could not start), Failed (True: tasks failed, reason TasksFailed, or the run could not start: Invalid, UnknownDAG, UnknownParameter, NameInUse) and Running (True while the run runs). A canceled run: Succeeded=False and Failed=False, reason Canceled. kubectl wait --for=condition=Succeeded dagrun/NAME waits for success.',
    ),
  },
};

/** Why a DagRun's spec change is refused (the CRD rule's and the admission webhook's message). */
export const DAGRUN_SPEC_IMMUTABLE = "a DagRun's spec cannot change once it exists (its run has started from it): create a new DagRun instead";

interface KindDef {
  kind: string;
  plural: string;
  shortNames: string[];
  spec: Shape;
  status: JsonSchema;
  columns: Array<{ name: string; type: string; jsonPath: string; priority?: number; description?: string }>;
  /** The spec cannot change once the object exists (a CEL transition rule the apiserver enforces). */
  immutableSpec?: string;
}

const KINDS: KindDef[] = [
  {
    kind: 'DAG',
    plural: 'dags',
    shortNames: ['kdag'],
    spec: DAG_SPEC_SHAPE,
    status: DAG_STATUS,
    columns: [
      { name: 'Schedule', type: 'string', jsonPath: '.status.schedule' },
      { name: 'Suspended', type: 'boolean', jsonPath: '.status.suspended', priority: 1 },
      { name: 'Last Run', type: 'date', jsonPath: '.status.lastRun.startTime' },
      { name: 'Last Status', type: 'string', jsonPath: '.status.lastRun.phase' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Version', type: 'integer', jsonPath: '.status.version', priority: 1 },
      // A `date` column prints a future time as <invalid> (kubectl shows ages): the time itself.
      { name: 'Next', type: 'string', jsonPath: '.status.nextFireTime', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  },
  {
    kind: 'DagRun',
    plural: 'dagruns',
    shortNames: ['kdr'],
    spec: DAG_RUN_SPEC_SHAPE,
    status: DAG_RUN_STATUS,
    immutableSpec: DAGRUN_SPEC_IMMUTABLE,
    columns: [
      { name: 'DAG', type: 'string', jsonPath: '.spec.dagName' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Progress', type: 'string', jsonPath: '.status.progress' },
      { name: 'Failed', type: 'integer', jsonPath: '.status.taskCounts.failed', priority: 1 },
      { name: 'Run', type: 'integer', jsonPath: '.status.dagRunId', priority: 1 },
      { name: 'Started', type: 'date', jsonPath: '.status.startTime' },
      { name: 'Duration', type: 'string', jsonPath: '.status.duration', description: 'How long the run took, once it ended.' },
      { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  },
  {
    kind: 'DagTask',
    plural: 'dagtasks',
    shortNames: ['kdt'],
    spec: DAG_TASK_SPEC_SHAPE,
    status: DAG_TASK_STATUS,
    columns: [
      { name: 'Version', type: 'integer', jsonPath: '.status.version' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  },
  {
    kind: 'Backfill',
    plural: 'backfills',
    shortNames: ['kbf'],
    spec: BACKFILL_SPEC_SHAPE,
    status: BACKFILL_STATUS,
    immutableSpec: BACKFILL_SPEC_IMMUTABLE,
    columns: [
      { name: 'DAG', type: 'string', jsonPath: '.spec.dagName' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Progress', type: 'string', jsonPath: '.status.progress' },
      { name: 'Running', type: 'integer', jsonPath: '.status.running' },
      { name: 'Failed', type: 'integer', jsonPath: '.status.failed', priority: 1 },
      { name: 'Backfill', type: 'integer', jsonPath: '.status.backfillId', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  },
];

/** The CustomResourceDefinitions (DAG, DagRun, DagTask, Backfill), as objects ready to apply. */
export function crdManifests(): JsonSchema[] {
  return KINDS.map((k) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${k.plural}.${CRD_GROUP}`, labels: { 'app.kubernetes.io/part-of': 'kontroler' } },
    spec: {
      group: CRD_GROUP,
      names: { kind: k.kind, listKind: `${k.kind}List`, plural: k.plural, singular: k.kind.toLowerCase(), shortNames: k.shortNames, categories: ['kontroler'] },
      scope: 'Namespaced',
      versions: [
        {
          name: CRD_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: k.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: `Kontroler ${k.kind} (${API_VERSION}); compatible with the Go project's resources.`,
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: k.immutableSpec === undefined ? shapeToSchema(k.spec, 'spec') : { ...shapeToSchema(k.spec, 'spec'), 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: k.immutableSpec }] },
                status: k.status,
              },
            },
          },
        },
      ],
    },
  }));
}
