// Where an attempt lives on disk. Names come from users (run ids, task names), so each one becomes a
// single safe path segment: plain names are kept as they are (readable folders), anything else is
// encoded injectively so two different names never share a folder.
import { join } from 'node:path';
import { KontrolerError } from '@kontroler/core';
import type { AttemptKey } from '@kontroler/engine';

const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_SEGMENT = 200;

/** Files in an attempt folder. The user's command runs in `work/` so it cannot clobber them. */
export const FILES = {
  pid: 'pid',
  log: 'log',
  exit: 'exit',
  kill: 'kill',
  work: 'work',
  /** The task's outputs folder (KONTROLER_OUTPUTS); the task writes one file per output. */
  outputs: 'outputs',
  /** The declared output names, one JSON line (only when there are some). */
  declared: 'declared',
} as const;

function segment(what: string, name: string): string {
  if (name.length === 0) {
    throw new KontrolerError('VALIDATION_FAILED', `${what} is empty: give the attempt a non-empty ${what}`);
  }
  // `~` never occurs in a plain name, and base64url is injective: no collisions.
  const seg = PLAIN.test(name) ? name : `~${Buffer.from(name, 'utf8').toString('base64url')}`;
  if (seg.length > MAX_SEGMENT) {
    throw new KontrolerError(
      'VALIDATION_FAILED',
      `${what} "${name.slice(0, 40)}..." is too long for a folder name: keep it under ${MAX_SEGMENT / 2} characters`,
    );
  }
  return seg;
}

export function attemptsRoot(stateDir: string): string {
  return join(stateDir, 'attempts');
}

export function runAttemptsDir(stateDir: string, runId: string): string {
  return join(attemptsRoot(stateDir), segment('runId', runId));
}

export function workspaceDir(stateDir: string, runId: string): string {
  return join(stateDir, 'workspaces', segment('runId', runId));
}

/** `<stateDir>/attempts/<runId>/<task>/<attempt>`; throws VALIDATION_FAILED for unusable keys. */
export function attemptDir(stateDir: string, key: AttemptKey): string {
  if (!Number.isSafeInteger(key.attempt) || key.attempt < 0) {
    throw new KontrolerError(
      'VALIDATION_FAILED',
      `attempt number ${String(key.attempt)} is not a non-negative integer: number attempts 1, 2, 3, ...`,
    );
  }
  return join(runAttemptsDir(stateDir, key.runId), segment('task', key.task), String(key.attempt));
}

/** For messages: `run/task#attempt`. */
export function describeKey(key: AttemptKey): string {
  return `${key.runId}/${key.task}#${key.attempt}`;
}
