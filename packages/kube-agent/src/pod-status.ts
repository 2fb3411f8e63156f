// The agent's record of a pod and its rendering as a kubelet-shaped `status`. Pure: time is an input.
import { kubeTime } from './kube-time.js';

export type Terminated = {
  kind: 'terminated';
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt?: Date;
  finishedAt: Date;
  containerID?: string;
};

export type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: Date }
  | Terminated;

export interface ContainerRecord {
  readonly name: string;
  readonly image: string;
  state: ContainerState;
  lastState?: Terminated;
  restartCount: number;
  /** `<runtime>://<id>` of the current attempt, once one was created. */
  containerID?: string;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface Condition {
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastTransitionTime: Date;
}

export interface PodRecord {
  phase: PodPhase;
  reason?: string;
  message?: string;
  startTime: Date;
  hostIP: string;
  podIP: string;
  restartPolicy: RestartPolicy;
  init: ContainerRecord[];
  containers: ContainerRecord[];
  conditions: Map<string, Condition>;
}

export function newContainerRecord(name: string, image: string, waitingReason: string): ContainerRecord {
  return { name, image, state: { kind: 'waiting', reason: waitingReason }, restartCount: 0 };
}

export function isTerminal(phase: PodPhase): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Sets a condition; its lastTransitionTime changes only when its status flips. */
export function setCondition(
  rec: PodRecord,
  type: string,
  status: 'True' | 'False',
  now: Date,
  reason?: string,
  message?: string,
): void {
  const before = rec.conditions.get(type);
  const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : now;
  const c: Condition = { status, lastTransitionTime };
  if (reason !== undefined) c.reason = reason;
  if (message !== undefined) c.message = message;
  rec.conditions.set(type, c);
}

const succeeded = (c: ContainerRecord): boolean => c.state.kind === 'terminated' && c.state.exitCode === 0;
const failed = (c: ContainerRecord): boolean => c.state.kind === 'terminated' && c.state.exitCode !== 0;

/**
 * The phase kubelet would report (its `getPhase`, simplified): init containers must all succeed
 * first; a failed container is final under `restartPolicy: Never` only.
 */
export function computePhase(rec: PodRecord): PodPhase {
  const never = rec.restartPolicy === 'Never';
  if (rec.init.some((c) => failed(c)) && never) return 'Failed';
  if (!rec.init.every(succeeded)) return 'Pending';
  const cs = rec.containers;
  const running = cs.filter((c) => c.state.kind === 'running').length;
  const terminated = cs.filter((c) => c.state.kind === 'terminated').length;
  const neverStarted = cs.filter((c) => c.state.kind === 'waiting' && c.restartCount === 0 && !c.lastState).length;
  if (neverStarted === cs.length) return 'Pending';
  if (running > 0 || terminated < cs.length) return 'Running';
  if (rec.restartPolicy === 'Always') return 'Running';
  if (cs.some(failed)) return never ? 'Failed' : 'Running';
  return 'Succeeded';
}

/** Recomputes phase-dependent conditions (PodScheduled belongs to the Binding, not to us). */
export function refreshConditions(rec: PodRecord, now: Date): void {
  const terminal = isTerminal(rec.phase);
  setCondition(rec, 'PodReadyToStartContainers', terminal ? 'False' : 'True', now);
  const initPending = rec.init.filter((c) => !succeeded(c)).map((c) => c.name);
  if (initPending.length === 0) setCondition(rec, 'Initialized', 'True', now);
  else setCondition(rec, 'Initialized', 'False', now, 'ContainersNotInitialized', `containers with incomplete status: [${initPending.join(' ')}]`);
  const unready = rec.containers.filter((c) => c.state.kind !== 'running').map((c) => c.name);
  for (const type of ['ContainersReady', 'Ready']) {
    if (rec.phase === 'Succeeded') setCondition(rec, type, 'False', now, 'PodCompleted');
    else if (unready.length === 0 && !terminal) setCondition(rec, type, 'True', now);
    else setCondition(rec, type, 'False', now, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`);
  }
}

function renderState(s: ContainerState | undefined): Record<string, unknown> {
  if (!s) return {};
  switch (s.kind) {
    case 'waiting':
      return { waiting: compact({ reason: s.reason, message: s.message }) };
    case 'running':
      return { running: { startedAt: kubeTime(s.startedAt) } };
    case 'terminated':
      return {
        terminated: compact({
          exitCode: s.exitCode,
          signal: s.signal,
          reason: s.reason,
          message: s.message,
          startedAt: s.startedAt && kubeTime(s.startedAt),
          finishedAt: kubeTime(s.finishedAt),
          containerID: s.containerID,
        }),
      };
  }
}

function renderContainer(c: ContainerRecord): Record<string, unknown> {
  const running = c.state.kind === 'running';
  return compact({
    name: c.name,
    image: c.image,
    imageID: `kontroler-local://${c.image}`,
    containerID: c.containerID,
    ready: running,
    started: running,
    restartCount: c.restartCount,
    state: renderState(c.state),
    lastState: renderState(c.lastState),
  });
}

/**
 * The full `status` the agent owns, for one strategic-merge write to `pods/status`. Reason and
 * message are sent as null when unset so a stale value is cleared.
 */
export function renderStatus(rec: PodRecord): Record<string, unknown> {
  const status: Record<string, unknown> = {
    phase: rec.phase,
    reason: rec.reason ?? null,
    message: rec.message ?? null,
    startTime: kubeTime(rec.startTime),
    hostIP: rec.hostIP,
    hostIPs: [{ ip: rec.hostIP }],
    podIP: rec.podIP,
    podIPs: [{ ip: rec.podIP }],
    conditions: [...rec.conditions].map(([type, c]) =>
      compact({ type, status: c.status, reason: c.reason, message: c.message, lastProbeTime: null, lastTransitionTime: kubeTime(c.lastTransitionTime) }),
    ),
    containerStatuses: rec.containers.map(renderContainer),
  };
  if (rec.init.length > 0) status.initContainerStatuses = rec.init.map(renderContainer);
  return status;
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
