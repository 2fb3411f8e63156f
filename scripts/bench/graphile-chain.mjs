// graphile-worker's job chain, the peer of a Kontroler chain hop: job i adds job i+1 from its
// handler (as a chain of tasks ends one task and starts the next), on the PostgreSQL it is given,
// one worker. Per hop = (last job done - first job added) / jobs.
import { createRequire } from 'node:module';
import pg from 'pg';

/** A graphile-worker runner on `url` (its own schema: give a role that may create it). */
export async function startGraphileChain(url) {
  const { run, makeWorkerUtils, Logger } = await import('graphile-worker');
  const { version } = createRequire(import.meta.url)('graphile-worker/package.json');
  const logger = new Logger(() => () => undefined);
  // Our own pool, ended in stop(): graphile-worker's would outlive it and error when PostgreSQL stops.
  const pgPool = new pg.Pool({ connectionString: url, max: 4 });
  pgPool.on('error', () => undefined);
  const utils = await makeWorkerUtils({ pgPool, logger });
  let finish = () => undefined;
  const taskList = {
    hop: async (payload, helpers) => {
      if (payload.i + 1 < payload.n) await helpers.addJob('hop', { i: payload.i + 1, n: payload.n });
      else finish();
    },
  };
  await utils.migrate();
  const runner = await run({ pgPool, concurrency: 1, noHandleSignals: true, pollInterval: 1000, taskList, logger });
  return {
    version,
    /** One chain of `jobs`: ms per hop. */
    async chain(jobs) {
      const done = new Promise((resolve) => (finish = resolve));
      const t0 = performance.now();
      await utils.addJob('hop', { i: 0, n: jobs });
      await done;
      return (performance.now() - t0) / jobs;
    },
    async stop() {
      await runner.stop();
      await utils.release();
      await pgPool.end();
    },
  };
}
