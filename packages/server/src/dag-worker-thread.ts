// Entry point of the worker thread that prepares large DAGs (see dag-worker.ts): one job per
// message, answered with the job's id.
import { parentPort } from 'node:worker_threads';
import { messageOf } from '@kontroler/core';
import { prepareDag, type PrepareDagJob } from './dag-prepare.js';

const port = parentPort;
if (port === null) throw new Error('dag-worker-thread.js runs as a worker thread (node:worker_threads)');
port.on('message', (m: { id: number; job: PrepareDagJob }) => {
  port.postMessage({ id: m.id, taken: true });
  try {
    port.postMessage({ id: m.id, ok: true, result: prepareDag(m.job) });
  } catch (e) {
    port.postMessage({ id: m.id, ok: false, message: messageOf(e) });
  }
});
