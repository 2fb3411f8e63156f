// Failed Kubernetes API calls as data: the HTTP status, the Status reason and message, and the
// one place that decides which failures are worth retrying.
import { KontrolerError, type ErrorCode } from '@kontroler/core';

/** A non-2xx answer from the apiserver (or a transport failure, with status 0). */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    /** The Status object's `reason` (e.g. AlreadyExists, NotFound, Conflict, Expired). */
    readonly reason: string,
    message: string,
    readonly body: unknown,
    opts: { cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KubeApiError';
  }
}

/** The HTTP status of a failed call; 0 for transport errors; undefined when it is not one of ours. */
export function statusOf(err: unknown): number | undefined {
  return err instanceof KubeApiError ? err.status : undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

export function isAlreadyExists(err: unknown): boolean {
  return statusOf(err) === 409 && (err as KubeApiError).reason === 'AlreadyExists';
}

export function isConflict(err: unknown): boolean {
  return statusOf(err) === 409;
}

const TRANSIENT_NET = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

/**
 * Whether a failed call may succeed when repeated, and after how long: throttling (429, with the
 * server's Retry-After when given), server errors (500, 502, 503, 504) and connection failures.
 * Conflicts (409) are not retried here: they mean "someone else won" and callers handle them.
 * Returns the delay in ms for retry number `attempt` (1-based), or undefined to give up.
 */
export function retryDelay(err: unknown, attempt: number, maxAttempts = 6, random: () => number = Math.random): number | undefined {
  if (attempt >= maxAttempts) return undefined;
  let base: number | undefined;
  if (err instanceof KubeApiError) {
    if (err.status === 429) base = retryAfterMs(err.body) ?? 200;
    else if ([500, 502, 503, 504].includes(err.status)) base = 200;
    else if (err.status === 0) base = 200;
  } else {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && TRANSIENT_NET.has(code)) base = 200;
  }
  if (base === undefined) return undefined;
  const exp = Math.min(5_000, base * 2 ** (attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

function retryAfterMs(body: unknown): number | undefined {
  const s = (body as { details?: { retryAfterSeconds?: unknown } } | null)?.details?.retryAfterSeconds;
  return typeof s === 'number' && s > 0 ? s * 1000 : undefined;
}

/** A KontrolerError for a failed call, with a code callers can branch on. */
export function toKontrolerError(err: unknown, what: string): KontrolerError {
  const status = statusOf(err);
  const code: ErrorCode =
    status === 404 ? 'NOT_FOUND' : status === 409 ? 'CONFLICT' : status === 403 || status === 401 ? 'FORBIDDEN' : status === 422 || status === 400 ? 'VALIDATION_FAILED' : 'UNAVAILABLE';
  const message = err instanceof Error ? err.message : String(err);
  const hint = code === 'FORBIDDEN' ? forbiddenHint(message) : code === 'UNAVAILABLE' ? ': is the Kubernetes API reachable (--kubeconfig / KUBECONFIG / in-cluster)?' : '';
  return new KontrolerError(code, `${what}: ${message}${hint}`, { cause: err, retryable: code === 'UNAVAILABLE' });
}

/**
 * What to do about a 403, by who refused: Pod Security admission (the message names the level
 * and the fields), another admission webhook or policy, or RBAC (`cannot VERB resource`).
 */
export function forbiddenHint(message: string): string {
  const pss = /violates PodSecurity "([^"]+)"/.exec(message);
  if (pss) {
    return `: the namespace's Pod Security admission (level "${pss[1]}") refused the pod; set the fields it names in the task's podTemplate (securityContext for the pod, containerSecurityContext for its container), or ask for a namespace whose pod-security.kubernetes.io/enforce label allows them`;
  }
  if (/admission webhook "[^"]+" denied the request|denied by|violat/i.test(message)) {
    return ': an admission policy of the cluster refused the request (its message above says why); change the task\'s podTemplate to comply, or ask the cluster\'s administrators';
  }
  return ': check the controller service account RBAC (deploy/helm/kontroler templates/rbac.yaml)';
}
