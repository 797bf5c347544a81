/**
 * A worker thread of `rvtramp fuzz -j N` (./parallel.ts): runs its sub-shard of the campaign,
 * reports its case count as it goes and its result at the end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getProfile } from '../../kernel/profiles/profiles';
import { runCampaign } from './campaign';
import { noteFailure, sharedStateOf, stopAsked, stopBefore, type FromFuzzWorker, type FuzzWorkerInit, type WireFailure } from './parallel';

/** Progress messages at most this often (the main thread prints every 200 ms at most). */
const PROGRESS_MS = 100;

export function workerMain(): void {
  const port = parentPort;
  if (!port) throw new Error('fuzz workerMain: not in a worker thread');
  const init = workerData as FuzzWorkerInit;
  const shared = sharedStateOf(init.shared);
  const post = (m: FromFuzzWorker) => port.postMessage(m);
  let last = 0;
  const r = runCampaign({
    profiles: init.profiles.map((p) => getProfile(p)),
    seed: init.seed,
    shard: init.shard,
    ...(init.runs !== undefined ? { runs: init.runs } : {}),
    ...(init.timeMs !== undefined ? { timeMs: init.timeMs } : {}),
    progress: (s) => {
      if (s.elapsedMs - last < PROGRESS_MS) return;
      last = s.elapsedMs;
      post({ type: 'progress', cases: s.cases });
    },
    stop: (g) => stopBefore(shared, g),
  });
  let failure: WireFailure | undefined;
  if (r.failure) {
    noteFailure(shared, r.failure.batch);
    const { target, ...rest } = r.failure;
    failure = { ...rest, profile: target.profile.name, property: target.property };
  }
  const interrupted = r.interrupted === true && stopAsked(shared);
  post({ type: 'done', cases: r.stats.cases, batches: r.stats.batches, failures: r.stats.failures, interrupted, ...(failure ? { failure } : {}) });
}
