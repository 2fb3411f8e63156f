// @kontroler/testing: the test kit (devDependency only; production code never imports it).
// The test database is `createTestDatabase` from `@kontroler/store/testing`.
export { attemptSpec } from './attempt-spec.js';
export { EVENT_WAIT_LIMIT_MS, EventRecorder, sameKey, type Exited, type LogEvent, type Started } from './event-recorder.js';
export { FakeRuntime, attemptId, hello, type FakeAttempt, type FakeCall, type FakeRuntimeOptions, type FakeScript } from './fake-runtime.js';
export { ManualClock } from './manual-clock.js';
export { CONTRACT_DEADLINE_MS, CONTRACT_SCRIPT, contractFakeScript, runtimeContract, type ContractSubject } from './runtime-contract.js';
