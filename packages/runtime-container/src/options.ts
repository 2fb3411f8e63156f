import type { ContainerEngine } from './container-engine.js';
import type { PullPolicy } from './pull-policy.js';

export interface DockerContainerRuntimeOptions {
  /** The Docker Engine API (DockerodeEngine over DOCKER_HOST). */
  readonly engine: ContainerEngine;
  /**
   * Folder on this machine for the attempts' outputs folders, kill records and the runs'
   * workspaces: bind-mounted into containers, so the engine must run on this machine.
   */
  readonly stateDir: string;
  /** Written to each container's controller label (informational). */
  readonly controllerId?: string;
  /** Where its attempts are visible, for `TaskRuntime.host`. Default `<hostname>:<absolute stateDir>`. */
  readonly host?: string;
  /** Epoch ms. Default Date.now. */
  readonly clock?: () => number;
  /** Time between SIGTERM and SIGKILL when stopping an attempt. Default 5000 ms. */
  readonly killGraceMs?: number;
  /** When the task's podTemplate says nothing. Default IfNotPresent. */
  readonly pullPolicy?: PullPolicy;
  /** Poll period: deadlines, kill escalation, log follows to resume. Default 250 ms. */
  readonly pollMs?: number;
  /** A full look at every watched container every this many polls, in case a log follow missed its end. Default 8. */
  readonly inspectEvery?: number;
  /** How long an adopter waits for a container that was created but not started yet. Default 3000 ms. */
  readonly startGraceMs?: number;
  /** Operational messages (never carries parameter values). Default: dropped. */
  readonly log?: (msg: string) => void;
}
