export { Controller, type ControllerOptions } from './controller.js';
export { RunActor } from './run-actor.js';
export { LogWriter } from './log-writer.js';
export { SECRET_NOT_FOUND, buildAttemptSpec, envSecretResolver, runtimeReadsSecrets, type SecretLookup, type SecretResolver } from './attempt-spec.js';
export { webhookItems } from './webhook-payload.js';
export { consoleLog, silentLog, type ControllerLog } from './log.js';
export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { planFires, type CronFns, type SchedulePlan } from './plan-fires.js';
export { WebhookSender, signBody, type WebhookSenderOptions } from './webhook-sender.js';
