/**
 * Visibility: fentry programs see the exact arguments (typed as BTF says, structs by value,
 * stack arguments too), fmod_ret and fexit programs the arguments and the return value; every
 * program sees its cookie, the ip and the argument count when it asks; programs run in attach
 * order, fentry before fmod_ret before fexit, once per call; the function tracer records each
 * call of the functions it traces with the right parent.
 */
import { arbAttachCase, limitsFor } from './gen/arbitraries';
import { getProfile } from '../../kernel/profiles/profiles';
import { BPF_PROFILES, TRACER_ONLY, RUNS, checkCases } from './suite';
import { propertyTimeout } from './params';

describe('property: visibility and order', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of [...BPF_PROFILES, ...TRACER_ONLY]) {
    const bpf = BPF_PROFILES.includes(p);
    it(`${p.name}: programs see exact arguments, return values, cookies, ip and nregs, newest first, once per call${bpf ? '' : ' (function tracer only)'}`, function () {
      checkCases(this.test!.fullTitle(), p, arbAttachCase(limitsFor(p), { maxProgs: 8 }), bpf ? RUNS.bpf : RUNS.tracerOnly, ['visibility']);
    });
  }
  // Up to BPF_MAX_TRAMP_LINKS + 2 programs on one function: the limit holds, all of them run.
  for (const name of ['v6.16', 'v6.8-norvc']) {
    const p = getProfile(name);
    it(`${p.name}: up to BPF_MAX_TRAMP_LINKS programs on one function all run in order; one more is -E2BIG`, function () {
      checkCases(this.test!.fullTitle(), p, arbAttachCase(limitsFor(p), { manyLinksWeight: 1000, callFirst: false }), 2, ['visibility']);
    });
  }
});
