/**
 * Golden listings of generated trampolines per era, for a fixed set of (function model, links,
 * flags), and the generator's own refusals. Accept intended changes with
 *   RVTRAMP_ACCEPT=1 npx mocha --no-config -r ts-node/register/transpile-only kernel/bpf/trampoline/gen.test.ts
 */
import { expect } from 'chai';
import { join } from 'node:path';
import fc from 'fast-check';
import { generateTrampoline, trampolineSize, IMM_MAX_COUNT, type TrampSpec, type TrampLink } from './gen';
import { MUTANTS } from '../../mutants/catalogue';
import { ERAS } from './era';
import { withinArgLimit } from '../../profiles/profiles';
import { listBytes } from '../../../emulator/disasm/listing';
import { checkGolden } from '../../testing/golden';

const ACCEPT = 'RVTRAMP_ACCEPT=1 npx mocha --no-config -r ts-node/register/transpile-only kernel/bpf/trampoline/gen.test.ts';
const IMAGE = 0xffffffff70000000n;
const FUNC = 0xffffffff80000100n;
const NAMES = new Map<bigint, string>([
  [0xffffffff80800000n, '__bpf_prog_enter'], [0xffffffff80800010n, '__bpf_prog_exit'],
  [0xffffffff80800020n, '__bpf_tramp_enter'], [0xffffffff80800030n, '__bpf_tramp_exit'],
  [0xffffffff80800100n, 'prog_a'], [0xffffffff80800110n, 'prog_b'], [0xffffffff80800120n, 'prog_c'],
  [FUNC, 'traced_func'],
]);
const link = (body: bigint, cookie = 0n): TrampLink => ({ prog: 0xffffffff80600000n + (body & 0xfffn), bpfFunc: body, cookie });
const session = (body: bigint): TrampLink => ({ ...link(body), sessionCookie: true });

function spec(era: keyof typeof ERAS, over: Partial<TrampSpec>): TrampSpec {
  return {
    traits: ERAS[era], funcAddr: FUNC, nrArgs: over.nrArgSlots ?? 1, nrArgSlots: 1, rvc: false, fentry: [], fexit: [], fmodRet: [],
    flags: { callOrig: false, skipFrame: false, restoreRegs: true, ipArg: false },
    im: 0xffffffff80700000n,
    helpers: { progEnter: 0xffffffff80800000n, progExit: 0xffffffff80800010n, trampEnter: 0xffffffff80800020n, trampExit: 0xffffffff80800030n },
    runCtx: { size: 16, cookieOff: 0 }, image: IMAGE, ...over,
  };
}

const CALL_ORIG = { callOrig: true, skipFrame: true, restoreRegs: false, ipArg: false };
const CASES: [string, Partial<TrampSpec>][] = [
  ['fentry-1arg', { fentry: [link(0xffffffff80800100n)] }],
  ['fexit-1arg', { fexit: [link(0xffffffff80800100n)], flags: CALL_ORIG }],
  ['fentry-fmodret-fexit-7args', { nrArgSlots: 7, fentry: [link(0xffffffff80800100n)], fmodRet: [link(0xffffffff80800110n)], fexit: [link(0xffffffff80800120n)], flags: CALL_ORIG }],
  ['fentry-ip-cookie', { fentry: [link(0xffffffff80800100n, 0x1234n)], flags: { callOrig: false, skipFrame: false, restoreRegs: true, ipArg: true } }],
  ['fexit-11args', { nrArgSlots: 11, fexit: [link(0xffffffff80800100n)], flags: CALL_ORIG }],
  // v6.11+: 12 arguments, four of them 16-byte structs: 16 slots, 8 of them from the stack.
  ['fexit-12args-16slots', { nrArgs: 12, nrArgSlots: 16, fentry: [link(0xffffffff80800100n)], fexit: [link(0xffffffff80800110n)], flags: CALL_ORIG }],
  // struct_ops: called like a normal function, one frame, returns through ra (1732ebc4a261).
  ['indirect-fentry-ret', { nrArgSlots: 2, fentry: [link(0xffffffff80800100n)], flags: { callOrig: false, skipFrame: false, restoreRegs: false, ipArg: false, indirect: true, retFentryRet: true } }],
  // Before v6.8 struct_ops passed no func_addr and no INDIRECT flag: v6.6 tests func_addr,
  // v6.3 has one frame for every case.
  ['struct-ops-null-func-addr', { funcAddr: 0n, nrArgSlots: 2, fentry: [link(0xffffffff80800100n)], flags: { callOrig: false, skipFrame: false, restoreRegs: false, ipArg: false, retFentryRet: true } }],
  // v6.18+ (fd2e08128944): an int-returning struct_ops member gets its value sign-extended into a0.
  ['indirect-fentry-ret-int', { nrArgSlots: 2, retSize: 4, fentry: [link(0xffffffff80800100n)], flags: { callOrig: false, skipFrame: false, restoreRegs: false, ipArg: false, indirect: true, retFentryRet: true } }],
  // 7.0: an fsession program is in both lists; no cookie: only the zeroed return slot and the
  // is_return store before the exit side.
  ['fsession-1arg', { fentry: [link(0xffffffff80800100n)], fexit: [link(0xffffffff80800100n)], fsession: { count: 1, cookies: 0 }, flags: CALL_ORIG }],
  // Two fsession programs with cookies around a plain fentry / fexit one, with the ip slot:
  // func_meta carries each one's cookie index on both sides, is_return on the exit side.
  ['fsession-cookies-ip', {
    nrArgSlots: 2,
    fentry: [session(0xffffffff80800100n), link(0xffffffff80800110n), session(0xffffffff80800120n)],
    fexit: [session(0xffffffff80800100n), link(0xffffffff80800110n), session(0xffffffff80800120n)],
    fsession: { count: 2, cookies: 2 },
    flags: { ...CALL_ORIG, ipArg: true },
  }],
];

describe('trampoline generator', () => {
  describe('golden listings per era', () => {
    // NAME.txt: a kernel without RVC; NAME.rvc.txt: with CONFIG_RISCV_ISA_C (compressed where
    // the JIT's helpers compress).
    for (const era of Object.keys(ERAS) as (keyof typeof ERAS)[]) for (const rvc of [false, true]) {
      for (const [name, over] of CASES) {
        const s = spec(era, { ...over, rvc });
        if (!withinArgLimit(ERAS[era].argLimit, s.nrArgs, s.nrArgSlots)) continue;
        // struct_ops as each era's kernel prepares it: with BPF_TRAMP_F_INDIRECT and the stub
        // since v6.8, with no func_addr before.
        if (s.flags.indirect && ERAS[era].calledDirectly !== 'indirect-flag') continue;
        if (name === 'struct-ops-null-func-addr' && ERAS[era].calledDirectly === 'indirect-flag') continue;
        if ((s.fsession || s.retSize) && !ERAS[era].fsession) continue;
        it(`${era}${rvc ? ' (RVC)' : ''}: ${name}`, () => {
          const r = generateTrampoline(s);
          if (!r.ok) throw new Error(r.message);
          const sym = (a: bigint) => NAMES.get(a) ?? (a >= IMAGE && a < IMAGE + 0x1000n ? `tramp+0x${(a - IMAGE).toString(16)}` : undefined);
          const head = `# era ${era}, ${name}: stack ${r.value.stackSize} bytes` +
            (r.value.ipAfterCall ? `, ip_after_call tramp+0x${(r.value.ipAfterCall - IMAGE).toString(16)}, ip_epilogue tramp+0x${(r.value.ipEpilogue! - IMAGE).toString(16)}` : '') + '\n';
          const text = head + listBytes(r.value.bytes, IMAGE, { symbolize: sym, label: (a) => (a === IMAGE ? 'tramp' : undefined) });
          const err = checkGolden(join(__dirname, 'golden', `${era}.${name}${rvc ? '.rvc' : ''}.txt`), text, ACCEPT);
          expect(err, err).to.equal(undefined);
        });
      }
    }
  });

  describe('refusals', () => {
    it('more than 8 argument slots before v6.11: -ENOTSUPP', () => {
      for (const era of ['v6.3', 'v6.6'] as const) {
        for (const [nrArgs, nrArgSlots] of [[9, 9], [8, 9], [5, 10]] as const) {
          const r = generateTrampoline(spec(era, { nrArgs, nrArgSlots }));
          expect(r.ok || r.err, `${era}: ${nrArgs} arguments in ${nrArgSlots} slots`).to.equal(-524);
        }
        expect(generateTrampoline(spec(era, { nrArgs: 4, nrArgSlots: 8 })).ok, era).to.equal(true);
      }
    });

    it('more than 12 arguments since v6.11 (m->nr_args > MAX_BPF_FUNC_ARGS), however few slots: -ENOTSUPP', () => {
      for (const era of ['v6.11', 'v6.16'] as const) {
        const r = generateTrampoline(spec(era, { nrArgs: 13, nrArgSlots: 13 }));
        expect(r.ok || r.err, era).to.equal(-524);
        for (const nrArgSlots of [12, 13, 18, 24]) expect(generateTrampoline(spec(era, { nrArgs: 12, nrArgSlots })).ok, `${era}: 12 arguments in ${nrArgSlots} slots`).to.equal(true);
      }
    });

    it('ORIG_STACK and SHARE_IPMODIFY: -ENOTSUPP', () => {
      for (const f of [{ origStack: true }, { shareIpmodify: true }]) {
        const r = generateTrampoline(spec('v6.16', { flags: { ...CALL_ORIG, ...f } }));
        expect(r.ok || r.err).to.equal(-524);
      }
    });

    it('CALL_ORIG with RESTORE_REGS is refused', () => {
      const r = generateTrampoline(spec('v6.11', { flags: { callOrig: true, skipFrame: true, restoreRegs: true, ipArg: false } }));
      expect(r.ok || r.err).to.equal(-22);
    });
  });

  describe('sizing pass (arch_bpf_trampoline_size)', () => {
    it('counts exactly the bytes the generator assembles, or refuses the same way, for any spec and mutant', () => {
      const eras = Object.keys(ERAS) as (keyof typeof ERAS)[];
      // prog is a constant the trampoline loads (any value: emitImm's length depends on it);
      // bpfFunc is called, so within auipc's reach of the image.
      const callee = fc.bigUintN(28).map((x) => 0xffffffff80000000n | x);
      const arbLink = fc.record({ prog: fc.oneof(fc.bigUintN(64), callee), bpfFunc: callee, cookie: fc.oneof(fc.constant(0n), fc.bigUintN(64), fc.bigUintN(12)), sessionCookie: fc.boolean() });
      fc.assert(
        fc.property(
          fc.constantFrom(...eras), fc.integer({ min: 0, max: 13 }),
          fc.array(arbLink, { maxLength: 4 }), fc.array(arbLink, { maxLength: 4 }), fc.array(arbLink, { maxLength: 4 }),
          fc.record({ callOrig: fc.boolean(), skipFrame: fc.boolean(), restoreRegs: fc.boolean(), ipArg: fc.boolean(), indirect: fc.boolean(), retFentryRet: fc.boolean() }),
          fc.oneof(fc.constant(IMM_MAX_COUNT), fc.bigUintN(64)), fc.option(fc.constantFrom(...MUTANTS.map((m) => m.id)), { nil: undefined }), fc.boolean(),
          fc.boolean(), fc.constantFrom(4 as const, 8 as const),
          (era, slots, fentry, fexit, fmodRet, flags, im, mutant, rvc, withSession, retSize) => {
            // 7.0: the fentry programs as fsession ones (counted with their cookies).
            const fsession = withSession && ERAS[era].fsession ? { count: fentry.length, cookies: fentry.filter((l) => l.sessionCookie).length } : undefined;
            const s = spec(era, { nrArgSlots: slots, fentry, fexit, fmodRet, flags, im, rvc, retSize, ...(fsession ? { fsession } : {}), ...(mutant !== undefined ? { mutant } : {}) });
            const code = generateTrampoline(s);
            const size = trampolineSize(s);
            if (!code.ok || !size.ok) {
              expect(size.ok || size.err, JSON.stringify({ era, slots, flags, mutant, rvc })).to.equal(code.ok || code.err);
              return;
            }
            expect(size.value).to.equal(code.value.bytes.length);
          },
        ),
        { seed: 0x517e, numRuns: 400 },
      );
    });
  });

  describe('layout facts per era', () => {
    it('struct_ops (INDIRECT): a single frame returning through ra, and RET_FENTRY_RET returns the program\'s value', () => {
      const r = generateTrampoline(spec('v6.16', { nrArgSlots: 2, fentry: [link(0xffffffff80800100n)], flags: { callOrig: false, skipFrame: false, restoreRegs: false, ipArg: false, indirect: true, retFentryRet: true } }));
      if (!r.ok) throw new Error(r.message);
      const text = listBytes(r.value.bytes, IMAGE);
      expect(text).to.not.match(/\bt0\b/);
      expect(text.trimEnd().split('\n').pop()).to.match(/\tret$/);
      // the program's a0/a5 are saved after the call and reloaded before returning
      expect(text).to.match(/sd\ta0,-\d+\(s0\)\n.*sd\ta5,-\d+\(s0\)/);
    });

    it('SKIP_FRAME calls the original past the era\'s sled size: 16 bytes in v6.3, 8 after', () => {
      for (const [era, skip] of [['v6.3', 16n], ['v6.6', 8n], ['v6.11', 8n], ['v6.16', 8n], ['v7.0', 8n]] as const) {
        const r = generateTrampoline(spec(era, { fexit: [link(0xffffffff80800100n)], flags: CALL_ORIG }));
        if (!r.ok) throw new Error(r.message);
        const listing = listBytes(r.value.bytes, IMAGE, { symbolize: (a) => (a === FUNC + skip ? 'orig_call' : undefined) });
        expect(listing, era).to.match(/jalr\t.*<orig_call>/);
      }
    });
  });
});
