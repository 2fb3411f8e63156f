export { Controller, type ControllerOptions } from './controller.js';
export { MAX_EVENTS_PER_DECISION, RunActor, SAVE_BACKOFF, type RunActorDeps } from './run-actor.js';
export { LARGE_RUN_TASKS, RUN_BYTES_PER_ATTEMPT, RUN_BYTES_PER_TASK, estimateRunBytes, type RunMemory } from './run-memory.js';
export { HoldBack, HAND_BACK_BACKOFF } from './hold-back.js';
export { DEFAULT_LOG_BUFFER_BYTES, LOG_CHUNK_BYTES, LogWriter, type LogWriterOptions } from './log-writer.js';
export {
  DEFAULT_MAX_LOG_BYTES,
  DEFAULT_MAX_LOG_LINE_BYTES,
  LogShaper,
  MAX_LOG_TAIL_BYTES,
  MIN_LOG_BYTES,
  MIN_LOG_LINE_BYTES,
  checkLogLimits,
  cutMarker,
  headBytesFor,
  splitMarker,
  tailBytesFor,
  type DurableLogState,
  type LogLimits,
  type StoredPiece,
} from './log-shaper.js';
export { SECRET_NOT_FOUND, buildAttemptSpec, envSecretResolver, runtimeReadsSecrets, type SecretLookup, type SecretResolver } from './attempt-spec.js';
export { webhookItems } from './webhook-payload.js';
export { consoleLog, controllerConsoleLog, silentLog, type ControllerLog } from './log.js';
export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { BackfillReleaser, type BackfillReleaserOptions } from './backfill-releaser.js';
export { logicalTimesOf } from './attempt-spec.js';
export { planFires, type CronFns, type SchedulePlan } from './plan-fires.js';
export { cron } from './cron-fns.js';
export { WebhookSender, signBody, type WebhookSenderOptions } from './webhook-sender.js';
export { UNREACHABLE, MAX_RESPONSE_BYTES } from './webhook-sender.js';
export * from './outbound/index.js';
export { ControllerMetrics, secondsSince, type ControllerGauges, type WebhookOutcome } from './metrics.js';
export { HEALTH_MAX_CONNECTIONS, HEALTH_REQUEST_TIMEOUT_MS, READY_TIMEOUT_MS, startHealthServer, type HealthServerOptions, type RunningHealthServer } from './health-server.js';
