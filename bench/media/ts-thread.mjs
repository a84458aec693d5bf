// A worker thread's entry that runs a TypeScript module: Node 20's workers do not take the
// parent's `--import tsx` hooks, so the thread registers them before importing its module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
