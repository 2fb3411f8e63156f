export { startAgent, type AgentOptions, type RunningAgent } from './agent.js';
export { startKubeSubstrate, buildHarness, type SubstrateOptions, type RunningSubstrate } from './substrate.js';
export { readHarnessEnv, type HarnessEnv } from './harness-env.js';
export { startReflector, type Reflector, type ReflectorEvent, type ReflectorOptions } from './reflector.js';
export { kubeRequest, KubeHttpError } from './raw-request.js';
export { IMAGE_PULL_ERROR_ANNOTATION } from './pod-worker.js';
export { nodeSelectorMatches } from './binder.js';
// Kubelet semantics the agent implements, exported for their unit tests and for reuse.
export { expand as expandKubeVars } from './env-expansion.js';
export { computePhase, newContainerRecord, refreshConditions, renderStatus, type PodRecord, type ContainerRecord, type RestartPolicy } from './pod-status.js';
export { ContainerLog } from './container-log.js';
export { readContainerLog, type LogQuery } from './log-reader.js';
