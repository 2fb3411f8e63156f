export { DockerContainerRuntime } from './docker-container-runtime.js';
export type { DockerContainerRuntimeOptions } from './options.js';
export type { ContainerEngine, ContainerInfo, ContainerRequest } from './container-engine.js';
export { DockerodeEngine, dockerOptions } from './dockerode-engine.js';
export { EngineError } from './engine-error.js';
export { LABELS, containerName, scopeOf } from './naming.js';
export { OUTPUTS_PATH, WORKSPACE_PATH } from './container-spec.js';
export { PULL_POLICIES, parsePullPolicy, type PullPolicy } from './pull-policy.js';
export { containerLimits, parseQuantity } from './limits.js';
