// Entry point of the worker thread that prepares large files of the DAG folder (see dag-folder.ts).
import { parentPort } from 'node:worker_threads';
import { serveJobs } from '@kontroler/server';
import { prepareFolderFile } from './dag-folder-prepare.js';

serveJobs(parentPort, prepareFolderFile);
