// When to pull a task's image, as Kubernetes' imagePullPolicy. Pure parts and the one place that
// asks the engine.
import { KontrolerError, messageOf, type PodTemplateSpec } from '@kontroler/core';
import type { ContainerEngine } from './container-engine.js';

export const PULL_POLICIES = ['IfNotPresent', 'Always', 'Never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export function isPullPolicy(v: unknown): v is PullPolicy {
  return typeof v === 'string' && (PULL_POLICIES as readonly string[]).includes(v);
}

/** `v` as a policy; throws VALIDATION_FAILED naming `where` for anything else. */
export function parsePullPolicy(v: string, where: string): PullPolicy {
  if (isPullPolicy(v)) return v;
  throw new KontrolerError('VALIDATION_FAILED', `${where} must be one of ${PULL_POLICIES.join(', ')}, got ${JSON.stringify(v)}`);
}

/** The task's own choice (podTemplate `imagePullPolicy`), else the runtime's. */
export function policyFor(podTemplate: Readonly<PodTemplateSpec> | undefined, dflt: PullPolicy): PullPolicy {
  const own = podTemplate?.imagePullPolicy;
  return isPullPolicy(own) ? own : dflt;
}

/**
 * Makes sure the image is there under `policy`. Resolves with undefined when it is, or with the
 * reason the attempt fails with (`ErrImagePull: <the registry's message>`, `ErrImageNeverPull: ...`).
 * Throws only when the engine itself cannot be asked (UNAVAILABLE).
 */
export async function ensureImage(engine: ContainerEngine, image: string, policy: PullPolicy): Promise<string | undefined> {
  if (image.trim() === '') return 'InvalidImageName: the task has no image: give it an image (e.g. busybox:1.36)';
  if (policy !== 'Always' && (await engine.imageExists(image))) return undefined;
  if (policy === 'Never') {
    return `ErrImageNeverPull: image ${JSON.stringify(image)} is not present and the pull policy is Never: pull or load it first (docker pull / podman pull / podman load), or use IfNotPresent`;
  }
  try {
    await engine.pull(image);
    return undefined;
  } catch (e) {
    return `ErrImagePull: ${messageOf(e)}`;
  }
}
