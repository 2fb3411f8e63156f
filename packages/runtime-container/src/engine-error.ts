// What the engine answered when an operation failed: its HTTP status (0 when it could not be
// reached) and its message. Translated into KontrolerErrors by the runtime, which knows what the
// user should do about it.
export class EngineError extends Error {
  /** HTTP status of the engine's answer; 0 when there was none (connection refused, socket missing). */
  readonly status: number;

  constructor(status: number, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'EngineError';
    this.status = status;
  }
}

/** The engine's status of a failed operation; 0 when it was not reached or `e` is no EngineError. */
export function statusOf(e: unknown): number {
  return typeof e === 'object' && e !== null && typeof (e as { status?: unknown }).status === 'number' ? (e as { status: number }).status : 0;
}
