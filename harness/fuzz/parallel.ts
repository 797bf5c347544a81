/**
 * `rvtramp fuzz -j N`: one shard's campaign on N worker threads, with the result one thread
 * gives.
 *
 * Worker w (0-based) of shard i/n runs shard (i + w*n)/(n*N): the shard's k-th batches with
 * k mod N = w, so together the workers run exactly the shard's batches (campaign.ts for the
 * schedule). With --runs the shard's budget is split along its batches (workerRuns): only the
 * shard's last batch can be short, and it is the last batch of the worker that runs it.
 *
 * The failure reported is the shard's first failing batch, as with one thread: a worker that
 * fails at batch g lowers a shared minimum, and no worker starts a batch after that minimum, so
 * every batch before the reported one ran and passed. Its case, shrink and replay file are the
 * ones one thread finds (a batch is a pure function of the campaign seed and its index); its
 * case number is counted over the shard as one thread counts it.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../runner/start-worker';
import { getProfile } from '../../kernel/profiles/profiles';
import { BATCH, shardBatch, type CampaignOptions, type CampaignResult, type CampaignStats, type Failure, type PropertyName } from './campaign';

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The shard worker w (0-based) of `workers` runs within shard `shard`. */
export function subShard(shard: Shard, workers: number, w: number): Shard {
  return { index: shard.index + w * shard.count, count: shard.count * workers };
}

/** The cases worker w runs of a shard budget of `runs` cases (0: it has no batch). */
export function workerRuns(runs: number, workers: number, w: number): number {
  const batches = Math.ceil(runs / BATCH);
  if (w >= batches) return 0;
  const mine = Math.floor((batches - 1 - w) / workers) + 1;
  const short = (batches - 1) % workers === w ? batches * BATCH - runs : 0;
  return mine * BATCH - short;
}

/**
 * The workers' shared state, 64-bit slots (batch numbers pass 2^31 in a shard of many
 * shards: an Int32 "no failure yet" made later batches look as if they came after one).
 * Index 0: the lowest failing batch so far (NONE: none); index 1: 1n once a stop was asked.
 */
export type SharedState = BigInt64Array;
const LOWEST = 0;
const STOP = 1;
const NONE = 2n ** 63n - 1n;

/** A fresh shared state: no failure, no stop. */
export function newSharedState(): SharedState {
  const shared = new BigInt64Array(new SharedArrayBuffer(16));
  shared[LOWEST] = NONE;
  return shared;
}

/** The shared state a worker got as workerData. */
export function sharedStateOf(buffer: SharedArrayBuffer): SharedState {
  return new BigInt64Array(buffer);
}

/** What a worker gets as workerData. */
export interface FuzzWorkerInit {
  readonly profiles: readonly string[];
  readonly seed: number;
  readonly shard: Shard;
  readonly runs?: number;
  readonly timeMs?: number;
  readonly shared: SharedArrayBuffer;
}

/** A Failure as it crosses threads (profiles by name). */
export interface WireFailure extends Omit<Failure, 'target'> {
  readonly profile: string;
  readonly property: PropertyName;
}

export type FromFuzzWorker =
  | { readonly type: 'progress'; readonly cases: number }
  | {
      readonly type: 'done';
      readonly cases: number;
      readonly batches: number;
      readonly failures: number;
      /** Stopped early by a stop request (not by another worker's failure). */
      readonly interrupted: boolean;
      readonly failure?: WireFailure;
    };

/** Lowers the shared minimum to g (another worker may lower it at the same time). */
export function noteFailure(shared: SharedState, g: number): void {
  const b = BigInt(g);
  for (;;) {
    const cur = Atomics.load(shared, LOWEST);
    if (b >= cur || Atomics.compareExchange(shared, LOWEST, cur, b) === cur) return;
  }
}

/** The worker's stop test: a stop was asked, or a batch before g failed. */
export function stopBefore(shared: SharedState, g: number): boolean {
  return stopAsked(shared) || BigInt(g) > Atomics.load(shared, LOWEST);
}

/** A stop (Ctrl-C) was asked. */
export function stopAsked(shared: SharedState): boolean {
  return Atomics.load(shared, STOP) === 1n;
}

export interface ParallelOptions extends Omit<CampaignOptions, 'stop'> {
  readonly workers: number;
  /** Polled every 50 ms: true stops every worker after its running batch (an interrupt). */
  readonly stop?: () => boolean;
}

interface Running {
  readonly worker: Worker;
  readonly shard: Shard;
  cases: number;
  done?: Extract<FromFuzzWorker, { type: 'done' }>;
}

/** Runs the campaign of o.shard on o.workers threads (see the top of this file). */
export async function runCampaignParallel(o: ParallelOptions): Promise<CampaignResult> {
  const now = o.now ?? (() => performance.now());
  const shard = o.shard ?? { index: 1, count: 1 };
  if (o.runs === undefined && o.timeMs === undefined) throw new Error('a campaign needs --runs or --time');
  const shared = newSharedState();
  const stats: CampaignStats = { cases: 0, batches: 0, failures: 0, startMs: now(), elapsedMs: 0 };
  const running: Running[] = [];
  for (let w = 0; w < o.workers; w++) {
    const runs = o.runs === undefined ? undefined : workerRuns(o.runs, o.workers, w);
    if (runs === 0) continue;
    const sub = subShard(shard, o.workers, w);
    const init: FuzzWorkerInit = {
      profiles: o.profiles.map((p) => p.name),
      seed: o.seed,
      shard: sub,
      ...(runs !== undefined ? { runs } : {}),
      ...(o.timeMs !== undefined ? { timeMs: o.timeMs } : {}),
      shared: shared.buffer as SharedArrayBuffer,
    };
    running.push({ worker: startWorker(require.resolve('./fuzz-worker'), init), shard: sub, cases: 0 });
  }
  // A stop request (Ctrl-C) is polled here and passed on through the shared flag.
  const poll = setInterval(() => {
    if (o.stop?.()) Atomics.store(shared, STOP, 1n);
  }, 50);
  try {
    await Promise.all(
      running.map(
        (r) =>
          new Promise<void>((resolve, reject) => {
            r.worker.on('message', (m: FromFuzzWorker) => {
              r.cases = m.cases;
              if (m.type === 'done') r.done = m;
              stats.cases = running.reduce((a, x) => a + x.cases, 0);
              stats.elapsedMs = now() - stats.startMs;
              o.progress?.(stats);
            });
            r.worker.on('error', (e) => {
              Atomics.store(shared, STOP, 1n);
              reject(new Error(`fuzz worker (shard ${r.shard.index}/${r.shard.count}): ${e instanceof Error ? e.message : String(e)}`));
            });
            r.worker.on('exit', (code) => (r.done ? resolve() : reject(new Error(`fuzz worker (shard ${r.shard.index}/${r.shard.count}) exited with code ${code}`))));
          }),
      ),
    );
  } catch (e) {
    await Promise.all(running.map((r) => r.worker.terminate()));
    throw e;
  } finally {
    clearInterval(poll);
  }
  stats.batches = running.reduce((a, r) => a + r.done!.batches, 0);
  stats.failures = running.reduce((a, r) => a + r.done!.failures, 0);
  stats.elapsedMs = now() - stats.startMs;
  const first = running
    .filter((r) => r.done!.failure !== undefined)
    .map((r) => ({ r, f: r.done!.failure! }))
    .sort((a, b) => a.f.batch - b.f.batch)[0];
  const interrupted = running.some((r) => r.done!.interrupted);
  if (!first) return interrupted ? { stats, interrupted } : { stats };
  const { profile, property, ...rest } = first.f;
  // The failing case's number in the shard, as one thread counts it: the shard's batches before
  // it are full, and so are the worker's.
  const k = batchIndex(shard, first.f.batch);
  const kw = batchIndex(first.r.shard, first.f.batch);
  const failure: Failure = { ...rest, target: { profile: getProfile(profile), property }, atCase: k * BATCH + (first.f.atCase - kw * BATCH) };
  return { stats, failure };
}

/** Batch g's position in shard s: the k with shardBatch(s, k) = g. */
export function batchIndex(s: Shard, g: number): number {
  const k = (g - (s.index - 1)) / s.count;
  if (!Number.isInteger(k) || k < 0 || shardBatch(s, k) !== g) throw new Error(`batch ${g} is not in shard ${s.index}/${s.count}`);
  return k;
}
