// @kontroler/testing: the test kit (devDependency only; production code never imports it).
// The test database is `createTestDatabase` from `@kontroler/store/testing`.
export { attemptSpec } from './attempt-spec.js';
export { EventRecorder, sameKey, type EventRecorderOptions, type Exited, type LogEvent, type Started } from './event-recorder.js';
export { EVENT_WAIT_LIMIT_MS, Recording, type RecordingOptions } from './recording.js';
export { FakeRuntime, attemptId, hello, type FakeAttempt, type FakeCall, type FakeRuntimeOptions, type FakeScript } from './fake-runtime.js';
export { ManualClock } from './manual-clock.js';
export { CONTRACT_DEADLINE_MS, CONTRACT_IMAGE, CONTRACT_SCRIPT, contractFakeScript, runtimeContract, truncatedTime, type ContractSubject, type RuntimeDifferences } from './runtime-contract.js';
export { compatDir, repoRoot, yamlFilesUnder } from './repo-files.js';
export { dagDefinition, resolvedTask } from './definitions.js';
