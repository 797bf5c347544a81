/**
 * A worker thread of the pool (./pool.ts): loads the selftests from the same directory as the
 * main thread (so names and numbers agree) and runs what it is sent, one test at a time.
 */
import { messageOf } from './thrown';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { getProfile } from '../../kernel/profiles/profiles';
import { executeTest, trapStrayErrors } from './execute';
import { discoverTests } from './registry';
import type { FromWorker, ToWorker, WorkerInit } from './pool';

export function workerMain(): void {
  const port = parentPort;
  if (!port) throw new Error('workerMain: not in a worker thread');
  const init = workerData as WorkerInit;
  const post = (m: FromWorker) => port.postMessage(m);
  let tests;
  try {
    tests = new Map(discoverTests(init.dir, true).map((t) => [t.name, t]));
    // Load the kernel model now, not inside the first test's time limit.
    require('../../kernel/kernel');
  } catch (e) {
    post({ type: 'fatal', message: messageOf(e) });
    return;
  }
  trapStrayErrors();
  port.on('message', (m: ToWorker) => {
    const def = tests.get(m.test);
    if (!def) {
      post({ type: 'fatal', message: `test '${m.test}' is not in ${init.dir}` });
      return;
    }
    void executeTest(def, getProfile(m.profile), { ...init.exec, clock: () => performance.now() }).then((run) => post({ type: 'done', id: m.id, run }));
  });
  post({ type: 'ready' });
}
