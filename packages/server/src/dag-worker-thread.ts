// Entry point of the worker thread that prepares large DAG bodies for the API (see dag-worker.ts).
import { parentPort } from 'node:worker_threads';
import { prepareDag } from './dag-prepare.js';
import { serveJobs } from './dag-worker.js';

serveJobs(parentPort, prepareDag);
