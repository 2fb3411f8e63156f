// Deterministic container names and labels. A container's name is a function of (run, task,
// attempt) alone, so creating an attempt twice fails with a conflict instead of running it twice,
// and a restarted controller finds its containers again; the labels carry the exact values.
import { createHash } from 'node:crypto';
import { decodeOutputNames } from '@kontroler/core';
import type { AttemptKey } from '@kontroler/engine';

const GROUP = 'kontroler.greedykomodo';
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  runId: `${GROUP}/run-id`,
  task: `${GROUP}/task`,
  attempt: `${GROUP}/attempt`,
  dag: `${GROUP}/dag`,
  namespace: `${GROUP}/namespace`,
  /** The controller that created it (informational: any controller may adopt it). */
  controller: `${GROUP}/controller`,
  /** The runtime's `host` (`<hostname>:<stateDir>`): only runtimes over that state folder adopt it. */
  host: `${GROUP}/host`,
  /** Epoch ms after which the attempt is stopped, so an adopter enforces it too. */
  deadlineAt: `${GROUP}/deadline-at`,
  /** The declared output names (JSON array), so an adopter reads the same ones. */
  outputs: `${GROUP}/outputs`,
} as const;
export const MANAGED_BY = 'kontroler';

/** Room per name part; Docker names have no documented limit, but they are shown in listings. */
const MAX_RUN = 40;
const MAX_TASK = 80;

/**
 * `s` kept when it is [A-Za-z0-9-] (and not too long); otherwise a readable head, `.`, and a hash
 * of `s`. A kept part never contains `.`, so the two forms never collide.
 */
function part(s: string, max: number): string {
  if (s.length > 0 && s.length <= max && /^[A-Za-z0-9-]+$/.test(s)) return s;
  const hash = createHash('sha256').update(s).digest('hex').slice(0, 12);
  const head = s.replace(/[^A-Za-z0-9-]+/g, '-').slice(0, max - hash.length - 1);
  return `${head}.${hash}`;
}

/**
 * A short hash of the runtime's `host`: two installations on one engine (two data folders, two
 * databases, both with a run 1) never share a container name.
 */
export function scopeOf(host: string): string {
  return createHash('sha256').update(host).digest('hex').slice(0, 8);
}

/**
 * `kontroler_<scope>_<run>_<task>_<attempt>` (scope: `scopeOf(host)`): parts never contain `_`,
 * so different keys never share a name.
 */
export function containerName(scope: string, key: AttemptKey): string {
  return `kontroler_${scope}_${part(key.runId, MAX_RUN)}_${part(key.task, MAX_TASK)}_${key.attempt}`;
}

export interface LabelFields {
  readonly host: string;
  readonly dagName: string;
  readonly namespace: string;
  readonly controller: string | undefined;
  readonly deadlineAt: number | undefined;
  readonly outputs: readonly string[] | undefined;
}

export function attemptLabels(key: AttemptKey, f: LabelFields): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.runId]: key.runId,
    [LABELS.task]: key.task,
    [LABELS.attempt]: String(key.attempt),
    [LABELS.dag]: f.dagName,
    [LABELS.namespace]: f.namespace,
    [LABELS.host]: f.host,
    ...(f.controller !== undefined ? { [LABELS.controller]: f.controller } : {}),
    ...(f.deadlineAt !== undefined ? { [LABELS.deadlineAt]: String(f.deadlineAt) } : {}),
    ...(f.outputs !== undefined && f.outputs.length > 0 ? { [LABELS.outputs]: JSON.stringify(f.outputs) } : {}),
  };
}

/** Whether the container's labels name exactly this attempt of this runtime's state folder (names hold hashes). */
export function labelsMatch(labels: Readonly<Record<string, string>>, key: AttemptKey, host: string): boolean {
  return labels[LABELS.runId] === key.runId && labels[LABELS.task] === key.task && labels[LABELS.attempt] === String(key.attempt) && labels[LABELS.host] === host;
}

export function deadlineOf(labels: Readonly<Record<string, string>>): number | undefined {
  const v = Number(labels[LABELS.deadlineAt]);
  return labels[LABELS.deadlineAt] !== undefined && Number.isFinite(v) ? v : undefined;
}

export function outputsOf(labels: Readonly<Record<string, string>>): string[] {
  return decodeOutputNames(labels[LABELS.outputs]);
}
