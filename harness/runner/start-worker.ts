/**
 * Starting a worker thread that runs one of our modules, from the TypeScript sources (under
 * ts-node, as in the tests) or from dist/, whichever this module was loaded from. The worker
 * calls the module's `workerMain()`; `data` is its workerData.
 */
import { Worker } from 'node:worker_threads';

// The worker registers ts-node first when the main thread runs from the sources.
const BOOT = `
const { workerData } = require('node:worker_threads');
if (workerData.tsNode) require(workerData.tsNode);
require(workerData.entry).workerMain();
`;

const TS_NODE = __filename.endsWith('.ts') ? require.resolve('ts-node/register/transpile-only') : undefined;

/** A worker running `workerMain()` of the module `entry` (an absolute path, e.g. require.resolve('./worker')). */
export function startWorker(entry: string, data: object): Worker {
  return new Worker(BOOT, { eval: true, workerData: { ...data, entry, ...(TS_NODE ? { tsNode: TS_NODE } : {}) } });
}
