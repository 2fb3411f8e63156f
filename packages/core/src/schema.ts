// The structural shapes of Kontroler resources: field names and JSON types, nothing semantic.
// They mirror the Go project's CRD schemas (compat/kontroler-crds) plus our optional additions,
// and they say where unknown fields are kept (free-form Kubernetes sub-objects) instead of being
// refused. The loader walks YAML against these; `validate.ts` checks meaning.

export type Shape =
  | { readonly type: 'string' }
  | { readonly type: 'boolean' }
  | { readonly type: 'integer' }
  | { readonly type: 'number' }
  /** A Kubernetes quantity: a string, or a number kept as its source text (`cpu: 1` → "1"). */
  | { readonly type: 'quantity' }
  | { readonly type: 'array'; readonly items: Shape }
  /** String-keyed map with uniform values (labels, nodeSelector, resource lists). */
  | { readonly type: 'map'; readonly values: Shape }
  /**
   * An object with known fields. `unknown` says what to do with other keys: `error` (default;
   * the CRD would prune them, so they are almost always typos), `keep` (free-form Kubernetes
   * sub-objects: kept as plain data) or `ignore` (dropped silently, e.g. server-set metadata).
   */
  | {
      readonly type: 'object';
      readonly fields: Readonly<Record<string, Shape>>;
      readonly unknown?: 'error' | 'keep' | 'ignore';
    }
  /** Any JSON value, kept as is. */
  | { readonly type: 'any' };

const str: Shape = { type: 'string' };
const bool: Shape = { type: 'boolean' };
const int: Shape = { type: 'integer' };
const num: Shape = { type: 'number' };
const strList: Shape = { type: 'array', items: str };
const strMap: Shape = { type: 'map', values: str };
const quantities: Shape = { type: 'map', values: { type: 'quantity' } };
const anyObject: Shape = { type: 'object', fields: {}, unknown: 'keep' };

function obj(fields: Record<string, Shape>, unknown: 'error' | 'keep' | 'ignore' = 'error'): Shape {
  return { type: 'object', fields, unknown };
}

/** metadata: name/namespace/labels/annotations are read; everything else the server sets is ignored. */
export const METADATA_SHAPE: Shape = obj(
  { name: str, namespace: str, labels: strMap, annotations: strMap },
  'ignore',
);

const resources = obj({ limits: quantities, requests: quantities });

/**
 * The Go project's "CRD-safe" pod template subset. Deliberately lenient where older Go releases
 * (≤ v0.13) accepted full core/v1 types: a volume may use any other volume source and
 * `securityContext` / `emptyDir` may carry any PodSecurityContext / EmptyDirVolumeSource fields;
 * the affinity sub-objects are free-form as in the CRD.
 */
export const POD_TEMPLATE_SHAPE: Shape = obj({
  volumes: {
    type: 'array',
    items: obj(
      { name: str, emptyDir: anyObject, persistentVolumeClaim: obj({ claimName: str, readOnly: bool }) },
      'keep',
    ),
  },
  volumeMounts: { type: 'array', items: obj({ name: str, mountPath: str, readOnly: bool }) },
  imagePullSecrets: { type: 'array', items: obj({ name: str }) },
  securityContext: obj({ fsGroup: int }, 'keep'),
  // ours: the main container's SecurityContext (any of its fields)
  containerSecurityContext: obj({ allowPrivilegeEscalation: bool, privileged: bool, readOnlyRootFilesystem: bool, runAsNonRoot: bool, runAsUser: int, runAsGroup: int }, 'keep'),
  nodeSelector: strMap,
  tolerations: {
    type: 'array',
    items: obj({ key: str, operator: str, value: str, effect: str, tolerationSeconds: int }),
  },
  affinity: obj({ nodeAffinity: anyObject, podAffinity: anyObject, podAntiAffinity: anyObject }),
  serviceAccountName: str,
  activeDeadlineSeconds: int,
  automountServiceAccountToken: bool,
  resources,
  imagePullPolicy: str,
});

/** Fields a task body has inline in a DAG or as a DagTask (Go fields, then ours). */
const TASK_BODY_FIELDS: Record<string, Shape> = {
  image: str,
  command: strList,
  args: strList,
  script: str,
  scriptInjectorImage: str,
  backoff: obj({ limit: int }),
  conditional: obj({ enabled: bool, retryCodes: { type: 'array', items: int } }),
  parameters: strList,
  podTemplate: POD_TEMPLATE_SHAPE,
  // ours
  retry: obj({ delaySeconds: num, factor: num, maxDelaySeconds: num }),
  timeoutSeconds: int,
  triggerRule: str,
  kontrolerToken: bool,
  outputs: { type: 'array', items: obj({ name: str, description: str }) },
  env: { type: 'array', items: obj({ name: str, value: str }) },
  dagRef: obj({ name: str, parameters: { type: 'array', items: obj({ name: str, value: str }) } }),
  approval: obj({ message: str, timeoutSeconds: int, onTimeout: str, inputs: strList }),
};

export const TASK_SHAPE: Shape = obj({
  name: str,
  ...TASK_BODY_FIELDS,
  runAfter: strList,
  taskRef: obj({ name: str, version: int }),
  // ours (data flow)
  when: str,
  withItems: { type: 'array', items: { type: 'any' } },
  withParam: str,
  maxParallel: int,
});

export const DAG_SPEC_SHAPE: Shape = obj({
  schedule: str,
  suspended: bool,
  parameters: {
    type: 'array',
    items: obj({ name: str, defaultValue: str, defaultFromSecret: str }),
  },
  task: { type: 'array', items: TASK_SHAPE },
  webhook: obj({ url: str, verifySSL: bool }),
  workspace: obj({
    enable: bool,
    pvc: obj({
      accessModes: strList,
      selector: obj({
        matchLabels: strMap,
        matchExpressions: { type: 'array', items: obj({ key: str, operator: str, values: strList }) },
      }),
      resources,
      storageClassName: str,
      volumeMode: str,
    }),
  }),
  dsl: str,
  // ours
  timezone: str,
  concurrencyPolicy: str,
  catchUp: int,
  kontrolerToken: bool,
  outputs: { type: 'array', items: obj({ name: str, value: str }) },
  podGC: obj({ strategy: str, deleteAfterSeconds: int }),
});

/** A DagTask spec: the task body plus the (unused, accepted) `runAfter`. */
export const DAG_TASK_SPEC_SHAPE: Shape = obj({ ...TASK_BODY_FIELDS, runAfter: strList });

export const DAG_RUN_SPEC_SHAPE: Shape = obj({
  dagName: str,
  parameters: { type: 'array', items: obj({ name: str, value: str, fromSecret: str }) },
});

/** Top-level fields of every kind; `status` is written by controllers and ignored on input. */
export function resourceShape(spec: Shape): Shape {
  return obj({ apiVersion: str, kind: str, metadata: METADATA_SHAPE, spec, status: { type: 'any' } });
}

/** Spec shapes by kind. */
export const SPEC_SHAPES = {
  DAG: DAG_SPEC_SHAPE,
  DagTask: DAG_TASK_SPEC_SHAPE,
  DagRun: DAG_RUN_SPEC_SHAPE,
} as const;

/** Kinds this project accepts, in the order error messages list them. */
export const SUPPORTED_KINDS = ['DAG', 'DagTask', 'DagRun'] as const;
export type SupportedKind = (typeof SUPPORTED_KINDS)[number];
