/**
 * The selftests themselves, under mocha (npm test): every test on the profiles that model a
 * working kernel passes; on the broken ones each fails with the kernel's own refusal or the
 * real symptom (not a skip, not an exception in the test). The exact per-profile signatures
 * belong to the expectations list (harness/expectations); this only keeps the suite honest.
 */
import { expect } from 'chai';
import { discoverTests, DEFAULT_SELFTESTS_DIR } from '../harness/runner/registry';
import { runTests } from '../harness/runner/runner';
import { listTests } from '../harness/runner/listing';
import { resolveProfiles } from '../harness/runner/selection';
import { isFailing, type PartRecord, type TestRun } from '../harness/runner/results';
import { EXPECTATIONS } from '../harness/expectations/expectations';
import { PROFILE_NAMES } from '../kernel/profiles/profiles';

const TESTS = [
  'abi_contract', 'bpf_cookie', 'fentry_fexit', 'fentry_test', 'fexit_bpf2bpf', 'fexit_sleep', 'fexit_stress', 'fexit_test',
  'fp_unwind', 'get_func_args_test', 'get_func_ip_test', 'modify_return', 'module_attach', 'recursion', 'sled_restore',
  'tracing_failure', 'tracing_struct', 'trampoline_count',
];

type Part = { readonly id: string; readonly part: PartRecord };

/** Every reported part: subtests, and the test itself when it has none (or failed outside them). */
function parts(runs: readonly TestRun[]): Part[] {
  return runs.flatMap((r) => [
    ...(r.subtests.length === 0 || r.own.errors > 0 ? [{ id: r.name, part: r.own }] : []),
    ...r.subtests.map((s) => ({ id: `${r.name}/${s.name}`, part: s as PartRecord })),
  ]);
}

const firstFailure = (p: PartRecord) => p.log.find((l) => /:FAIL:|^kernel: |^TIMEOUT|^WATCHDOG|^uncaught/.test(l)) ?? '(none)';
const failed = (p: PartRecord) => p.errors > 0 || p.timeout !== undefined;

async function run(profile: string): Promise<Part[]> {
  const tests = discoverTests(DEFAULT_SELFTESTS_DIR).filter((t) => TESTS.includes(t.name));
  const report = await runTests({ tests, dir: DEFAULT_SELFTESTS_DIR, profiles: resolveProfiles([profile]), clock: () => 0 });
  return parts(report.runs);
}

/** Parts that skip everywhere: what rvtramp does not model. */
const MODEL_SKIPS = /^(get_func_ip_test\/(kprobe|uprobe|test_function_body)|module_attach\/(raw_tp|tp_btf|kprobe_multi)|bpf_cookie\/lsm|fexit_bpf2bpf\/(target_yes_callees|func_.*|fmod_ret_freplace))$/;

describe('selftests', function () {
  this.timeout(120000);

  it('-l lists exactly the tests and subtests a run of every profile reports (list mode runs no guest code)', async () => {
    const tests = discoverTests(DEFAULT_SELFTESTS_DIR);
    const profiles = resolveProfiles([]);
    const report = await runTests({ tests, dir: DEFAULT_SELFTESTS_DIR, profiles, clock: () => 0 });
    // Profile by profile: a subtest one profile lists must be one it runs.
    for (const p of profiles) {
      const ran = report.runs.filter((r) => r.profile === p.name).flatMap((r) => (r.subtests.length > 0 ? r.subtests.map((s) => `${r.name}/${s.name}`) : [r.name]));
      expect((await listTests(tests, [p])).sort(), p.name).to.deep.equal(ran.sort());
    }
  });

  it('the registry finds every test', () => {
    const names = discoverTests(DEFAULT_SELFTESTS_DIR).map((t) => t.name);
    expect(names).to.include.members(TESTS);
  });

  // One of each working era, with and without RVC (`rvtramp run` covers the others).
  for (const profile of ['v6.11-norvc', 'v6.16']) {
    it(`${profile}: every test passes; only what rvtramp does not model skips`, async () => {
      const all = await run(profile);
      expect(all.filter((p) => failed(p.part)).map((p) => `${p.id}: ${firstFailure(p.part)}`)).to.deep.equal([]);
      const skipped = all.filter((p) => p.part.skipped).map((p) => p.id);
      // 12 argument slots: nothing to refuse.
      expect(skipped.filter((id) => !MODEL_SKIPS.test(id))).to.deep.equal(['tracing_failure/too_many_args']);
    });
  }

  it('v6.8: only the tests beyond 8 argument slots (-524) and recursion (a stale start, WARN) fail', async () => {
    const bad = (await run('v6.8')).filter((p) => failed(p.part)).map((p) => [p.id, firstFailure(p.part)]);
    expect(bad.map(([id]) => id)).to.deep.equal(['fentry_test/fentry_many_args', 'fexit_test/fexit_many_args', 'recursion', 'tracing_struct/struct_many_args']);
    for (const [id, line] of bad) {
      if (id === 'recursion') expect(line).to.match(/^kernel: WARNING: __bpf_prog_exit: prog on_delete .* got start/);
      else expect(line, id).to.match(/:FAIL:\S+__attach unexpected error: -524|:FAIL:\S+_attach unexpected error: -524/);
    }
  });

  it('v6.2 (no BPF trampoline): everything that runs fails with -524, except the refusals tracing_failure expects', async () => {
    for (const p of await run('v6.2')) {
      if (p.part.skipped || p.id.startsWith('tracing_failure/')) continue;
      expect(failed(p.part), p.id).to.equal(true);
      expect(firstFailure(p.part), p.id).to.match(/unexpected error: -524|actual -524 < expected 0/);
    }
  });

  it('v6.5+direct-calls (the 2023 bug): every test of a traced kernel function fails with -EFAULT, an oops, or a broken call boundary', async () => {
    for (const p of await run('v6.5+direct-calls')) {
      if (p.part.skipped || /^(tracing_failure|sled_restore|fexit_bpf2bpf)\//.test(p.id)) continue;
      expect(failed(p.part), p.id).to.equal(true);
      expect(firstFailure(p.part), p.id).to.match(/test_run unexpected error: -14|:FAIL:(oops|abi) |unexpected error: -524|map_delete unexpected map_delete/);
    }
  });

  // The CI gate: the whole suite on every profile, judged against the expectations list exactly
  // as `rvtramp run` judges it (an unexpected failure, a failure with another signature and an
  // unexpected pass all fail).
  describe('every profile, judged against harness/expectations', () => {
    for (const profile of PROFILE_NAMES) {
      it(`${profile}: every result is as expected`, async () => {
        const tests = discoverTests(DEFAULT_SELFTESTS_DIR);
        const report = await runTests({ tests, dir: DEFAULT_SELFTESTS_DIR, profiles: resolveProfiles([profile]), clock: () => 0, expectations: EXPECTATIONS });
        const bad = report.runs.flatMap((r) => [
          ...(isFailing(r.ownJudgement.verdict) ? [`${r.name}: ${r.ownJudgement.verdict} ${r.ownJudgement.reason ?? ''} ${firstFailure(r.own)}`] : []),
          ...r.subtests.filter((st) => isFailing(st.verdict)).map((st) => `${r.name}/${st.name}: ${st.verdict} ${firstFailure(st)}`),
        ]);
        expect(bad).to.deep.equal([]);
        expect(report.problems).to.deep.equal([]);
      });
    }
  });
});
