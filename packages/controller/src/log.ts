import { messageOf } from '@kontroler/core';
/** Where the controller reports what it does. Secrets never reach it. */
export interface ControllerLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
}

export const consoleLog: ControllerLog = {
  info: (m) => console.log(`[controller] ${m}`),
  warn: (m) => console.warn(`[controller] ${m}`),
  error: (m, e) => console.error(`[controller] ${m}${e ? `: ${messageOf(e)}` : ''}`),
};

export const silentLog: ControllerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
