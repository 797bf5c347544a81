import { expect } from 'chai';
import { getProfile } from '../../kernel/profiles/profiles';
import { BATCH, runCampaign, shardBatch } from './campaign';
import { batchIndex, newSharedState, noteFailure, runCampaignParallel, stopBefore, subShard, workerRuns, type Shard } from './parallel';

/** Batch index -> cases a shard with `runs` cases runs in it. */
function batchesOf(shard: Shard, runs: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let k = 0; k * BATCH < runs; k++) m.set(shardBatch(shard, k), Math.min(BATCH, runs - k * BATCH));
  return m;
}

describe('harness/fuzz/parallel (rvtramp fuzz -j N)', function () {
  this.timeout(120_000);

  it('the workers of a shard run exactly its batches, each with the cases one thread gives it', () => {
    for (const shard of [{ index: 1, count: 1 }, { index: 2, count: 3 }]) {
      for (const workers of [1, 2, 3, 4]) {
        for (const runs of [1, 10, 25, 40, 95]) {
          const want = batchesOf(shard, runs);
          const got = new Map<number, number>();
          let total = 0;
          for (let w = 0; w < workers; w++) {
            const r = workerRuns(runs, workers, w);
            total += r;
            for (const [g, n] of batchesOf(subShard(shard, workers, w), r)) {
              expect(got.has(g), `batch ${g} twice`).to.equal(false);
              got.set(g, n);
            }
          }
          expect(total, `${shard.index}/${shard.count} x${workers} ${runs}`).to.equal(runs);
          expect([...got].sort((a, b) => a[0] - b[0])).to.deep.equal([...want].sort((a, b) => a[0] - b[0]));
        }
      }
    }
    expect(batchIndex({ index: 2, count: 3 }, 7)).to.equal(2);
    expect(() => batchIndex({ index: 2, count: 3 }, 6)).to.throw(/not in shard 2\/3/);
  });

  it('the shared minimum: no batch after the lowest failing one starts', () => {
    const shared = newSharedState();
    expect(stopBefore(shared, 1000)).to.equal(false);
    // Batch numbers of a shard of many shards pass 2^31 (they used to look like they came after a failure).
    expect(stopBefore(shared, 2 ** 31 + 5)).to.equal(false);
    expect(stopBefore(shared, Number.MAX_SAFE_INTEGER)).to.equal(false);
    noteFailure(shared, 12);
    noteFailure(shared, 30);
    expect([stopBefore(shared, 11), stopBefore(shared, 12), stopBefore(shared, 13)]).to.deep.equal([false, false, true]);
    noteFailure(shared, 5);
    expect(stopBefore(shared, 6)).to.equal(true);
    const wide = newSharedState();
    noteFailure(wide, 2 ** 31 + 100);
    expect([stopBefore(wide, 2 ** 31 + 100), stopBefore(wide, 2 ** 31 + 101)]).to.deep.equal([false, true]);
    Atomics.store(shared, 1, 1n);
    expect(stopBefore(shared, 0)).to.equal(true);
  });

  it('finds, shrinks and numbers the failure one thread finds (the 2023 bug)', async () => {
    // Shard 4/6 of these 6 targets runs three passing v6.16 batches (3, 9, 15) before the
    // first on v6.5+direct-calls (21): the failure is not the first batch of its worker, and
    // the worker after it fails too (27), so the lowest failing batch must win.
    const o = { profiles: [getProfile('v6.5+direct-calls'), getProfile('v6.16')], seed: 1, shard: { index: 4, count: 6 }, runs: 100 };
    const one = runCampaign(o);
    expect(one.failure?.batch, 'the first failing batch').to.equal(21);
    expect(one.failure!.atCase).to.be.above(30);
    const par = await runCampaignParallel({ ...o, workers: 3 });
    expect(par.failure).to.deep.equal(one.failure);
    expect(par.stats.failures).to.be.at.least(1);
  });

  it('runs the whole budget when nothing fails, and stops when asked', async () => {
    const o = { profiles: [getProfile('v6.16')], seed: 7, runs: 40, workers: 2 };
    const r = await runCampaignParallel(o);
    expect(r.failure).to.equal(undefined);
    expect(r.interrupted).to.equal(undefined);
    expect([r.stats.cases, r.stats.batches, r.stats.failures]).to.deep.equal([40, 4, 0]);
    let progressed = 0;
    const stopped = await runCampaignParallel({ ...o, runs: undefined, timeMs: 60_000, progress: (s) => (progressed = s.cases), stop: () => progressed > 0 });
    expect(stopped.interrupted).to.equal(true);
    expect(stopped.stats.cases).to.be.above(0);
    expect(stopped.stats.elapsedMs).to.be.below(30_000);
  });
});
