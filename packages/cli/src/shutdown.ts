// How a long-running Kontroler process ends: on SIGINT/SIGTERM, or when a part it cannot live
// without failed for good (the embedded PostgreSQL could not be restarted). Shutdown has a time
// limit: a step that hangs (a database that is gone, a stuck connection) cannot keep the process
// alive past it, and a second signal ends it at once.
import type { ControllerLog as Log } from '@kontroler/controller';

/** Default of KONTROLER_SHUTDOWN_TIMEOUT_SECONDS. */
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 20;

/** Exit code when shutdown hit its time limit or a second signal cut it short. */
export const EXIT_FORCED = 1;
/** Exit code when a part failed for good. */
export const EXIT_FAILED = 1;

/**
 * A repeated signal sooner than this is the same Ctrl-C arriving twice (the terminal signals the
 * whole process group, and `npm start` forwards it to us as well), not a request to hurry.
 */
export const REPEAT_SIGNAL_GRACE_MS = 1000;

/**
 * Resolves once `stop` finished after the first SIGINT/SIGTERM or after `failed` settled (then
 * with exit code EXIT_FAILED). Exits the process when `stop` takes longer than `timeoutSeconds`,
 * or at a second signal (one more than REPEAT_SIGNAL_GRACE_MS after the first).
 */
export function untilSignal(stop: () => Promise<void>, failed: Promise<Error>, timeoutSeconds: number, log: Log): Promise<void> {
  return new Promise<void>((resolve) => {
    let shuttingDown = false;
    let since = 0;
    const begin = (why: string) => {
      if (shuttingDown) {
        if (Date.now() - since < REPEAT_SIGNAL_GRACE_MS) return;
        log.error(`${why} again: exiting now without finishing the shutdown`);
        process.exit(EXIT_FORCED);
      }
      shuttingDown = true;
      since = Date.now();
      const deadline = setTimeout(() => {
        log.error(`shutdown took longer than ${timeoutSeconds} s (KONTROLER_SHUTDOWN_TIMEOUT_SECONDS): exiting anyway`);
        process.exit(EXIT_FORCED);
      }, timeoutSeconds * 1000);
      deadline.unref(); // fires only if something still keeps the process alive
      void stop().then(() => {
        log.info('stopped');
        resolve();
      });
    };
    const onSig = (sig: string) => {
      if (!shuttingDown) log.info(`${sig}: shutting down (running tasks keep running and are picked up at the next start)...`);
      begin(sig);
    };
    process.on('SIGINT', onSig);
    process.on('SIGTERM', onSig);
    void failed.then((e) => {
      if (shuttingDown) return;
      log.error(`${e.message}: shutting down`);
      process.exitCode = EXIT_FAILED;
      begin('failure');
    });
  });
}
