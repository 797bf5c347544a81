/**
 * The CI gate of DESIGN.md decision 8: every mutant of the catalogue is killed by the scripted
 * selftests or the properties, and the unmutated kernels pass both under the same conditions
 * (stale icaches), so a kill is the mutant's doing.
 */
import { expect } from 'chai';
import { MUTANTS } from '../../kernel/mutants/catalogue';
import { PROFILE_NAMES } from '../../kernel/profiles/profiles';
import { baseline, runMutants } from './run';

describe('mutation testing', function () {
  this.timeout(300000);

  it('the catalogue: at least 30 mutants, unique ids, known profiles', () => {
    expect(MUTANTS.length).to.be.at.least(30);
    expect(new Set(MUTANTS.map((m) => m.id)).size).to.equal(MUTANTS.length);
    for (const m of MUTANTS) {
      expect(m.profiles.length, m.id).to.be.at.least(1);
      for (const p of m.profiles) expect(PROFILE_NAMES, m.id).to.include(p);
    }
  });

  it('the unmutated kernels pass the same suites', async () => {
    const profiles = [...new Set(MUTANTS.flatMap((m) => m.profiles.slice(0, 2)))];
    expect(await baseline(profiles)).to.deep.equal([]);
  });

  it('every mutant is killed', async () => {
    const rep = await runMutants(undefined);
    expect(rep.results.filter((r) => !r.killed).map((r) => `${r.id}: ${r.description}`)).to.deep.equal([]);
    expect(rep.killed).to.equal(MUTANTS.length);
  });
});
