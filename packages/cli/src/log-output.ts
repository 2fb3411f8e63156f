// How a long-running kontroler process (up, controller, server) logs: the format from
// --log-format / KONTROLER_LOG_FORMAT, one log per component, and in JSON every line it prints
// (startup failures and Node's own warnings too) one JSON object.
import { createLog, messageOf, parseLogFormat, type Log, type LogFormat } from '@kontroler/core';
import { controllerConsoleLog, type ControllerLog } from '@kontroler/controller';
import { printError } from './remote/program.js';

export interface ProcessLogs {
  readonly format: LogFormat;
  /** Controller, scheduler, webhook sender, retention, the embedded PostgreSQL, the DAG folder. */
  readonly controller: ControllerLog;
  /** The Kubernetes front end: CRD adapter, admission webhooks, leader election, shard namespaces. */
  readonly kubeOperator: ControllerLog;
  /** The task runtime's own notes (container or pod runtime). */
  readonly runtime: ControllerLog;
  /** The process itself: startup failures, Node's warnings. */
  readonly cli: Log;
}

/** --log-format / KONTROLER_LOG_FORMAT: text (default) or json; anything else is refused by name. */
export function logFormatFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): LogFormat {
  return flag !== undefined ? parseLogFormat(flag, '--log-format') : parseLogFormat(env.KONTROLER_LOG_FORMAT, 'KONTROLER_LOG_FORMAT');
}

export function processLogs(format: LogFormat): ProcessLogs {
  return {
    format,
    controller: controllerConsoleLog(format),
    kubeOperator: controllerConsoleLog(format, 'kube-operator'),
    runtime: controllerConsoleLog(format, 'runtime'),
    cli: createLog({ component: 'cli', format, sink: { out: (l) => console.log(l), err: (l) => console.error(l) } }),
  };
}

/**
 * In JSON, Node's warnings (printed to stderr as text by default) become log lines of the cli
 * component. Entry points only: it replaces the process's warning printer.
 */
export function logProcessWarnings(logs: ProcessLogs): void {
  if (logs.format !== 'json') return;
  process.removeAllListeners('warning');
  process.on('warning', (w) => logs.cli.warn(`${w.name}: ${w.message}`));
}

/** Reports why the process could not start: as the CLI prints errors (text), or one JSON line. */
export function reportStartFailure(logs: ProcessLogs, what: string, e: unknown): void {
  if (logs.format === 'text') printError(e);
  else logs.cli.error(`${what} failed: ${messageOf(e)}`, e);
}
