// Container mode of `kontroler up` / `kontroler controller` (`--runtime container`): settings
// (flags, DOCKER_HOST and KONTROLER_* variables) and the runtime over the Docker Engine API.
// Only this entry point builds the engine client.
import { messageOf } from '@kontroler/core';
import { DockerContainerRuntime, DockerodeEngine, parsePullPolicy, type PullPolicy } from '@kontroler/runtime-container';

export interface ContainerSettings {
  /** DOCKER_HOST (`unix:///path.sock`, `tcp://host:port`); undefined: /var/run/docker.sock. */
  readonly dockerHost: string | undefined;
  /** --pull-policy / KONTROLER_PULL_POLICY (default IfNotPresent); a task's podTemplate imagePullPolicy wins. */
  readonly pullPolicy: PullPolicy;
  /** KONTROLER_KILL_GRACE_SECONDS: between SIGTERM and SIGKILL when an attempt is stopped (default 10). */
  readonly killGraceSeconds: number;
}

export interface ContainerFlags {
  pullPolicy?: string;
}

export function readContainerSettings(f: ContainerFlags, env: NodeJS.ProcessEnv = process.env): ContainerSettings {
  const grace = env.KONTROLER_KILL_GRACE_SECONDS;
  const killGraceSeconds = grace === undefined || grace === '' ? 10 : Number(grace);
  if (!Number.isFinite(killGraceSeconds) || killGraceSeconds < 0) throw new Error(`KONTROLER_KILL_GRACE_SECONDS must be a number ≥ 0, got "${grace}"`);
  return {
    dockerHost: env.DOCKER_HOST || undefined,
    pullPolicy: parsePullPolicy(f.pullPolicy ?? (env.KONTROLER_PULL_POLICY || 'IfNotPresent'), '--pull-policy / KONTROLER_PULL_POLICY'),
    killGraceSeconds,
  };
}

/** Connects to the engine (failing at startup, saying what to do, when it does not answer) and builds the runtime. */
export async function startContainerRuntime(
  cs: ContainerSettings,
  opts: { readonly stateDir: string; readonly controllerId: string; readonly log: (msg: string) => void },
): Promise<DockerContainerRuntime> {
  const engine = new DockerodeEngine(cs.dockerHost);
  try {
    await engine.ping();
  } catch (e) {
    throw new Error(
      `--runtime container: no Docker Engine API at ${cs.dockerHost ?? 'unix:///var/run/docker.sock'} (${messageOf(e)}): start Docker, or Podman's service (podman system service --time=0 unix:///PATH.sock), and set DOCKER_HOST to its socket`,
      { cause: e },
    );
  }
  return new DockerContainerRuntime({ engine, stateDir: opts.stateDir, controllerId: opts.controllerId, pullPolicy: cs.pullPolicy, killGraceMs: cs.killGraceSeconds * 1000, log: opts.log });
}
