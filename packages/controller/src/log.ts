import { createLog, type Log, type LogFormat } from '@kontroler/core';
/** Where the controller reports what it does. Secrets never reach it. */
export type ControllerLog = Log;

/** The controller's log on the console in `format` (text: `[controller] ...`; json: one object a line). */
export function controllerConsoleLog(format: LogFormat, component = 'controller'): ControllerLog {
  return createLog({ component, format, sink: { out: (l) => console.log(l), err: (l) => console.error(l) } });
}

export const consoleLog: ControllerLog = controllerConsoleLog('text');

export const silentLog: ControllerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
