export * from './state.js';
export * from './events.js';
export * from './runtime.js';
export { decide, decideAll, initialRunState, type Decision, type DecideOptions, type RunContext } from './decide.js';
export { readiness, readinessFromCounts, type Readiness } from './readiness.js';
export { shouldRetry, retryDelayMs } from './retry.js';
export * from './transitions.js';
export { RunDraft } from './draft.js';
export { isMapped, reduceOutput, settledMap, type InstanceCounts } from './map.js';
