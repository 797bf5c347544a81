import { expect } from 'chai';
import { getProfile } from '../../kernel/profiles/profiles';
import { BATCH, runCampaign, runCampaignAsync } from './campaign';

describe('harness/fuzz campaign: stopping and the asynchronous runner', function () {
  this.timeout(60_000);
  const profiles = [getProfile('v6.16')];

  it('stop() ends the campaign between batches, as an interrupt', () => {
    let asked = 0;
    const r = runCampaign({ profiles, seed: 4, runs: BATCH * 10, stop: () => ++asked > 2 });
    expect(r.interrupted).to.equal(true);
    expect(r.failure).to.equal(undefined);
    expect(r.stats.batches).to.equal(2);
    expect(r.stats.cases).to.equal(2 * BATCH);
    const whole = runCampaign({ profiles, seed: 4, runs: BATCH * 2, stop: () => false });
    expect(whole.interrupted).to.equal(undefined);
  });

  it('the asynchronous runner runs the same batches, and lets timers run between them', async () => {
    const sync = runCampaign({ profiles, seed: 9, runs: BATCH * 3 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let r;
    try {
      r = await runCampaignAsync({ profiles, seed: 9, runs: BATCH * 3 });
    } finally {
      clearInterval(timer);
    }
    expect(r.stats.cases).to.equal(sync.stats.cases);
    expect(r.stats.batches).to.equal(sync.stats.batches);
    expect(ticks, 'timer turns during the campaign').to.be.greaterThan(0);
  });
});
