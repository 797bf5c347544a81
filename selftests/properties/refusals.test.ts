/**
 * Refusals: attaching programs the profile's kernel cannot run is refused exactly as that
 * kernel refuses it (-ENOTSUPP without a trampoline, without direct calls for kernel
 * functions, or with more argument slots than its trampoline takes; -EBUSY twice; -E2BIG past
 * BPF_MAX_TRAMP_LINKS) and changes no text byte, on every profile, with functions of up to 12
 * argument slots.
 */
import { arbAttachCase, limitsFor } from './gen/arbitraries';
import { MAX_SLOTS } from './gen/func';
import { CORRECT, checkCases } from './suite';
import { propertyTimeout } from './params';

describe('property: refusals are exactly the kernel\'s', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of CORRECT) {
    it(`${p.name}: attach answers as this kernel would (up to ${MAX_SLOTS} argument slots), refusals change nothing`, function () {
      checkCases(this.test!.fullTitle(), p, arbAttachCase({ ...limitsFor(p), maxSlots: MAX_SLOTS, bpf: true }, { callFirst: false }), 8, ['restore']);
    });
  }
});
