// The security contexts of task pods: Pod Security `restricted` by default, so task pods run in a
// namespace labelled pod-security.kubernetes.io/enforce=restricted without any podTemplate, and
// everywhere with the least privilege. A task loosens them in its podTemplate: `securityContext`
// (the pod's, PodSecurityContext fields) and `containerSecurityContext` (ours: the main
// container's SecurityContext fields), field by field over the defaults. Pure.
import type { PodTemplateSpec } from '@kontroler/core';
import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';

/**
 * The user task pods run as when their podTemplate names none: runAsNonRoot needs a numeric
 * non-root user, and the pod cannot know whether the image declares one. 65532 is the `nonroot`
 * user of distroless images; any image works as long as its files are readable by others.
 */
export const DEFAULT_RUN_AS_USER = 65532;

/** What `restricted` asks of every container (the pod-level part is in podSecurityContext). */
export const RESTRICTED_CONTAINER_SECURITY_CONTEXT: Readonly<V1SecurityContext> = Object.freeze({
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
});

/**
 * The pod's securityContext: runAsNonRoot, runAsUser DEFAULT_RUN_AS_USER, fsGroup of the same
 * number (so the default user may write the run's workspace claim and other volumes that support
 * ownership) and the RuntimeDefault seccomp profile, each unless the task's
 * podTemplate.securityContext sets it (no default user or group when it sets runAsNonRoot: false:
 * the image's own user then applies).
 */
export function podSecurityContext(t: PodTemplateSpec): V1PodSecurityContext {
  const own = (t.securityContext ?? {}) as V1PodSecurityContext;
  const runAsNonRoot = own.runAsNonRoot ?? true;
  return {
    runAsNonRoot,
    ...(runAsNonRoot && own.runAsUser === undefined ? { runAsUser: DEFAULT_RUN_AS_USER } : {}),
    ...(runAsNonRoot && own.fsGroup === undefined ? { fsGroup: DEFAULT_RUN_AS_USER } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
    ...own,
  };
}

/** The main container's securityContext: the restricted defaults, then podTemplate.containerSecurityContext. */
export function mainContainerSecurityContext(t: PodTemplateSpec): V1SecurityContext {
  return { ...structuredClone(RESTRICTED_CONTAINER_SECURITY_CONTEXT), ...((t.containerSecurityContext ?? {}) as V1SecurityContext) };
}

/** The securityContext of containers Kontroler adds (the script injector): always the restricted one. */
export function addedContainerSecurityContext(): V1SecurityContext {
  return structuredClone(RESTRICTED_CONTAINER_SECURITY_CONTEXT);
}
