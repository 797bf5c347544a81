/**
 * Refusals: attaching programs the profile's kernel cannot run is refused exactly as that
 * kernel refuses it (-ENOTSUPP without a trampoline, without direct calls for kernel
 * functions, or with more arguments than its trampoline takes: 8 slots before v6.11, 12
 * arguments since; -EBUSY twice; -E2BIG past BPF_MAX_TRAMP_LINKS) and changes no text byte,
 * on every profile, with functions of up to 12 arguments in up to 24 slots. What is not
 * refused must work, every contract holding: v6.11+ trace functions whose 16-byte structs push
 * arguments past 12 slots, which the other properties (12 slots at most) never generate.
 */
import { arbAttachCase, limitsFor } from './gen/arbitraries';
import { MAX_ARGS, MAX_ARG_SLOTS } from './gen/func';
import { CORRECT, checkCases } from './suite';
import { propertyTimeout } from './params';

describe('property: refusals are exactly the kernel\'s', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of CORRECT) {
    it(`${p.name}: attach answers as this kernel would (up to ${MAX_ARGS} arguments, ${MAX_ARG_SLOTS} slots), refusals change nothing`, function () {
      checkCases(this.test!.fullTitle(), p, arbAttachCase({ ...limitsFor(p), maxSlots: MAX_ARG_SLOTS, bpf: true }, { callFirst: false }), 8);
    });
  }
});
