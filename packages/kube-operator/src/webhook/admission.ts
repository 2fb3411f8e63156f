// Validating admission for DAG, DagTask and DagRun objects with the same validation as the API
// (the store's applyResource in dry-run mode, which also resolves taskRefs), answered as an
// AdmissionReview v1 response with every problem as a field-path cause.
import { dagRunOverrides, hasCode, resolveRunParameters, validateDagRun, type DagResource, type DagRunResource, type DagTaskResource, type FieldError } from '@kontroler/core';
import { applyResource, getDagVersion, type PoolLike } from '@kontroler/store';
import { toResource, type CustomObject } from '../crd/crd-objects.js';
import { DAGRUN_SPEC_IMMUTABLE } from '../crd/crd-schema.js';

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  operation?: string;
  namespace?: string;
  name?: string;
  object?: CustomObject | null;
  /** The object before an UPDATE. */
  oldObject?: CustomObject | null;
}

export interface AdmissionReview {
  apiVersion?: string;
  kind?: string;
  request?: AdmissionRequest;
  response?: unknown;
}

export interface Verdict {
  readonly allowed: boolean;
  readonly message?: string;
  readonly errors?: readonly FieldError[];
}

/** The AdmissionReview answer for a verdict (HTTP 200 in every case, as the API expects). */
export function admissionResponse(uid: string, v: Verdict): AdmissionReview {
  if (v.allowed) return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } };
  const errors = v.errors ?? [];
  const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: false,
      status: {
        code: 422,
        reason: 'Invalid',
        message: detail ? `${v.message ?? 'invalid'}: ${detail}` : (v.message ?? 'invalid'),
        details: { causes: errors.map((e) => ({ field: e.path, message: e.message, reason: 'FieldValueInvalid' })) },
      },
    },
  };
}

/** Metadata the apiserver or finalizing controllers change without the user's content changing. */
const BOOKKEEPING = new Set(['finalizers', 'resourceVersion', 'managedFields', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds']);

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a ?? null)) === JSON.stringify(canonical(b ?? null));
}

function content(o: CustomObject): string {
  const meta = Object.fromEntries(Object.entries(o.metadata ?? {}).filter(([k]) => !BOOKKEEPING.has(k)));
  const { status: _status, metadata: _metadata, ...rest } = o;
  return JSON.stringify(canonical({ ...rest, metadata: meta }));
}

/**
 * Whether an UPDATE changes nothing but finalizers (and server bookkeeping): a controller adding or
 * removing its finalizer must never be refused, or a deleted object would wait forever because
 * its spec no longer fits a DAG that changed meanwhile. Pure.
 */
export function onlyFinalizersChanged(oldObject: CustomObject | null | undefined, object: CustomObject): boolean {
  return oldObject !== null && oldObject !== undefined && content(oldObject) === content(object);
}

function denial(err: unknown): Verdict {
  const e = err as { message?: string; details?: readonly FieldError[] };
  return { allowed: false, message: String(e.message ?? err), errors: e.details ?? [] };
}

/**
 * Validates the object of a CREATE or UPDATE; everything else is allowed, and so is an UPDATE that
 * only adds or removes finalizers (see `onlyFinalizersChanged`) and a DagRun UPDATE that keeps its
 * spec (a DagRun UPDATE that changes it is refused). Throws only when the
 * store cannot be reached (the API server then applies the webhook's failurePolicy).
 */
export async function validateAdmission(req: AdmissionRequest, pool: PoolLike | undefined): Promise<Verdict> {
  const op = req.operation ?? 'CREATE';
  const obj = req.object;
  if ((op !== 'CREATE' && op !== 'UPDATE') || !obj) return { allowed: true };
  if (op === 'UPDATE' && onlyFinalizersChanged(req.oldObject, obj)) return { allowed: true };
  const kind = req.kind?.kind ?? obj.kind;
  const withNs: CustomObject = { ...obj, metadata: { ...obj.metadata, namespace: obj.metadata?.namespace ?? req.namespace ?? 'default', name: obj.metadata?.name ?? req.name ?? '' } };
  if (kind === 'DAG' || kind === 'DagTask') {
    const resource = kind === 'DAG' ? toResource<DagResource>(withNs, 'DAG') : toResource<DagTaskResource>(withNs, 'DagTask');
    if (!pool) {
      const { validateResource } = await import('@kontroler/core');
      const errors = validateResource(resource);
      return errors.length === 0 ? { allowed: true } : { allowed: false, message: `${kind} ${resource.metadata.name} is invalid`, errors };
    }
    try {
      await applyResource(pool, resource, { source: 'admission', dryRun: true });
      return { allowed: true };
    } catch (err) {
      if (hasCode(err, 'VALIDATION_FAILED') || hasCode(err, 'UNKNOWN_PARAMETER')) return denial(err);
      throw err;
    }
  }
  if (kind === 'DagRun') {
    // A DagRun is validated when it is created: its run starts from that spec. Later UPDATEs may
    // change metadata (labels, another tool's finalizer) and status, whatever its DAG became
    // meanwhile; its spec never changes (the CRD's `self == oldSelf` rule says so too).
    if (op === 'UPDATE' && req.oldObject) {
      if (sameJson(req.oldObject.spec, obj.spec)) return { allowed: true };
      const name = obj.metadata?.name ?? req.name ?? '';
      return { allowed: false, message: `DagRun ${name} cannot be changed`, errors: [{ path: 'spec', message: DAGRUN_SPEC_IMMUTABLE }] };
    }
    const resource = toResource<DagRunResource>(withNs, 'DagRun');
    const errors = validateDagRun(resource);
    if (errors.length > 0) return { allowed: false, message: `DagRun ${resource.metadata.name} is invalid`, errors };
    // Parameters are checked when the DAG is known; a DagRun may arrive before its DAG (GitOps).
    const dag = pool ? await getDagVersion(pool, resource.metadata.namespace ?? 'default', resource.spec.dagName) : undefined;
    if (dag && dag.dag.deletedAt === null) {
      const o = dagRunOverrides(resource);
      const p = resolveRunParameters(dag.definition, o.values, o.secrets);
      if (p.errors.length > 0) return { allowed: false, message: `DagRun ${resource.metadata.name} does not fit DAG ${resource.spec.dagName}`, errors: p.errors.map((e) => ({ ...e, path: `spec.${e.path}` })) };
    }
    return { allowed: true };
  }
  return { allowed: true };
}
