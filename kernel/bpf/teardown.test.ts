/**
 * Trampoline image teardown while a caller is still inside (the fexit_sleep situation), and
 * bpf_arch_text_poke's own contract.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { bootKernel } from '../kernel';
import { bpfOf } from './bpf';
import type { BpfLink } from './trampoline/manager';
import { bpfArchTextPoke, pokeBytes } from './text-poke';
import { generateTrampoline, trampolineSize, IMM_MAX_COUNT } from './trampoline/gen';
import { ERAS } from './trampoline/era';

describe('trampoline teardown', function () {
  this.timeout(30000);
  // ip_after_call, which the detach patches into a jump to ip_epilogue, as laid out there: with
  // RVC the compressed instructions before it leave it 2-byte aligned (v6.8, v6.16), given the
  // fentry link's cookie 1 (loaded with one c.li; the im's emit_imm alone leaves it 4-aligned).
  const ALIGN: Record<string, bigint> = { 'v6.8': 2n, 'v6.11-norvc': 0n, 'v6.16': 2n };
  for (const name of ['v6.8', 'v6.11-norvc', 'v6.16']) {
    it(`${name}: detaching fexit while a call is inside its image: the call finishes correctly, skips fexit, and the image is freed after it leaves`, () => {
      const k = bootKernel(name);
      const bpf = bpfOf(k);
      let fexitRuns = 0;
      let fexitLink: BpfLink | undefined;
      let oldImage: bigint | undefined;
      let oldSize = 0;
      let ipAfterCall: bigint | undefined;
      const obj = bpf.runtime.load({
        name: 'sleep',
        progs: [
          // The fentry program runs inside the CALL_ORIG image (it exists because of the fexit
          // link) and detaches the fexit program there, like a detach racing a sleeping call.
          { name: 'fe', attach: 'fentry', target: 'bpf_fentry_test1', args: 1, body: () => { if (fexitLink) { oldImage = fexitLink.tramp.image?.addr; oldSize = fexitLink.tramp.image?.size ?? 0; ipAfterCall = fexitLink.tramp.image?.ipAfterCall; expect(bpf.detach(fexitLink).ok).to.equal(true); fexitLink = undefined; } } },
          { name: 'fx', attach: 'fexit', target: 'bpf_fentry_test1', args: 1, body: () => { fexitRuns++; } },
        ],
      });
      expect(bpf.attach(obj.prog('fe'), { cookie: 1n }).ok).to.equal(true);
      const l = bpf.attach(obj.prog('fx'));
      expect(l.ok).to.equal(true);
      fexitLink = l.ok ? l.value : undefined;
      const r = k.call('bpf_fentry_test1', [1n]);
      expect(r.kind === 'returned' && r.value).to.equal(2n);
      expect(fexitRuns, 'fexit skipped through the patched ip_after_call').to.equal(0);
      expect(ipAfterCall! & 3n, 'ip_after_call alignment').to.equal(ALIGN[name]);
      const tr = bpf.trampolines.trampolineOf({ kind: 'kernel', name: 'bpf_fentry_test1' })!;
      expect(tr.retired.map((i) => i.addr), 'old image kept while it was in use').to.deep.equal([oldImage]);
      bpf.trampolines.reap();
      expect(tr.retired).to.deep.equal([]);
      if (k.profile.trampoline === 'v6.11' || k.profile.trampoline === 'v6.16') {
        // bpf_prog_pack: the image's chunks are invalidated (zeros: illegal instructions) and
        // stay in the pack, which the remaining trampoline keeps mapped.
        expect(Buffer.from(k.machine.memory.readBytes(oldImage!, oldSize)).equals(Buffer.alloc(oldSize)), 'freed image invalidated').to.equal(true);
      } else {
        expect(k.machine.memory.isMapped(oldImage!)).to.equal(false);
      }
      // The remaining fentry-only trampoline still works.
      expect(k.call('bpf_fentry_test1', [1n]).kind).to.equal('returned');
      expect(k.log.problems()).to.deep.equal([]);
    });
  }
});

describe('bpf_arch_text_poke', function () {
  this.timeout(30000);
  it('nop <-> call <-> jump transitions on a program sled, -EFAULT on a mismatch, -EINVAL outside text', () => {
    for (const name of ['v6.3', 'v6.8']) {
      const k = bootKernel(name);
      const bpf = bpfOf(k);
      const target = bpf.runtime.load({ name: 't', progs: [{ name: 'c', attach: 'classifier', body: () => 1n }] }).prog('c');
      const env = bpf.trampolines.poke!;
      const sled = target.image!.sled;
      const t1 = target.image!.addr + 0x100n, t2 = target.image!.addr + 0x200n;
      const at = () => k.machine.memory.readBytes(sled.addr, sled.size);
      expect(bpfArchTextPoke(env, sled.addr, 'nop', 'call', 0n, t1, sled.insns).ok).to.equal(true);
      const call = pokeBytes(env.traits, sled.addr, 'call', t1, sled.insns);
      expect(call.ok && at()).to.deep.equal(call.ok && call.value);
      // Wrong expected old target: -EFAULT, nothing written.
      const bad = bpfArchTextPoke(env, sled.addr, 'call', 'nop', t2, 0n, sled.insns);
      expect(bad.ok || bad.err, name).to.equal(-14);
      expect(call.ok && at()).to.deep.equal(call.ok && call.value);
      expect(bpfArchTextPoke(env, sled.addr, 'call', 'jump', t1, t2, sled.insns).ok).to.equal(true);
      expect(bpfArchTextPoke(env, sled.addr, 'jump', 'nop', t2, 0n, sled.insns).ok).to.equal(true);
      expect(at().every((b, i) => b === [0x13, 0, 0, 0][i % 4])).to.equal(true);
      const outside = bpfArchTextPoke(env, 0xffffffc000000000n, 'nop', 'call', 0n, t1, 2);
      expect(outside.ok || outside.err).to.equal(-22);
    }
  });
});

describe('trampoline sizing (v6.11+ bpf_prog_pack)', () => {
  it('the generated size never exceeds the sized size, for any image and im address', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(ERAS['v6.11'], ERAS['v6.16']), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }),
        fc.bigUintN(28), fc.bigUintN(64), fc.boolean(), fc.boolean(),
        (traits, slots, nfe, nfx, nfm, imgOff, im, ip, rvc) => {
          const link = (i: number) => ({ prog: 0xffffffff80601000n + BigInt(i * 128), bpfFunc: 0xffffffff80800100n + BigInt(i * 16), cookie: BigInt(i) });
          const callOrig = nfx + nfm > 0;
          const spec = (image: bigint, imv: bigint) => ({
            traits, funcAddr: 0xffffffff80000100n, nrArgs: slots, nrArgSlots: slots,
            fentry: Array.from({ length: nfe }, (_, i) => link(i)), fexit: Array.from({ length: nfx }, (_, i) => link(10 + i)), fmodRet: Array.from({ length: nfm }, (_, i) => link(20 + i)),
            flags: { callOrig, skipFrame: callOrig, restoreRegs: !callOrig, ipArg: ip }, im: imv,
            helpers: { progEnter: 0xffffffff80800000n, progExit: 0xffffffff80800010n, trampEnter: 0xffffffff80800020n, trampExit: 0xffffffff80800030n },
            runCtx: { size: 16, cookieOff: 0 }, image, rvc,
          });
          const sized = trampolineSize(spec(0xffffffff70000000n, IMM_MAX_COUNT));
          const real = generateTrampoline(spec(0xffffffff70000000n + (imgOff & ~3n), BigInt.asUintN(64, im)));
          expect(sized.ok).to.equal(real.ok);
          if (sized.ok && real.ok) expect(real.value.bytes.length).to.be.at.most(sized.value);
          // The sizing pass counts what the assembler lays out: equal when im is the placeholder.
          const same = generateTrampoline(spec(0xffffffff70000000n + (imgOff & ~3n), IMM_MAX_COUNT));
          if (sized.ok && same.ok) expect(same.value.bytes.length).to.equal(sized.value);
        },
      ),
      { seed: 0x512e, numRuns: 200 },
    );
  });
});

describe('emit_imm (JitEmit.imm)', () => {
  for (const rvc of [false, true]) {
    it(`${rvc ? 'with' : 'without'} RVC: loads every 64-bit value exactly, never in more bytes than IMM_MAX_COUNT takes`, async () => {
      const { Assembler } = await import('../../emulator/asm');
      const { JitEmit } = await import('./trampoline/jit-emit');
      const { Machine } = await import('../../emulator/cpu/machine');
      const code = (v: bigint) => {
        const a = new Assembler({ base: 0x10000n });
        new JitEmit(a, rvc).imm(10, v);
        return a.finish().bytes;
      };
      const max = code(IMM_MAX_COUNT).length;
      if (rvc) {
        // val + 2^11 wraps in the kernel's s64 arithmetic: INT64_MAX is li -1, slli 63, addi -1.
        const want = new Assembler({ base: 0x10000n });
        want.insn('c.li', { crd: 10, c_imm6: -1 }).insn('c.slli', { crd: 10, c_shamt: 63 }).insn('c.addi', { crd: 10, c_imm6: -1 });
        expect(Buffer.from(code((1n << 63n) - 1n)).toString('hex')).to.equal(Buffer.from(want.finish().bytes).toString('hex'));
      }
      // 8 instructions; with RVC its three slli are compressed and nothing else can be.
      expect(max).to.equal(rvc ? 26 : 32);
      const m = new Machine();
      const h = m.addHart();
      m.memory.map(0x10000n, 0x1000, 'rwx');
      const EBREAK = Uint8Array.of(0x73, 0x00, 0x10, 0x00);
      fc.assert(fc.property(fc.oneof(
        fc.bigUintN(64), fc.bigUintN(32), fc.bigUintN(12), fc.bigIntN(7).map((x) => BigInt.asUintN(64, x)),
        // Sign-extended 32-bit values (kernel addresses), their edges and the 0x800 rounding.
        fc.bigIntN(32).map((x) => BigInt.asUintN(64, x)),
        fc.constantFrom(0n, 31n, 32n, 0x800n, 0x7ffn, 0x1f000n, 0x20000n, 0x7ffff7ffn, 0x7ffff800n, 0x7fffffffn, 0x80000000n, 0x80000800n, 0xffffffff80000000n, 0xffffffff7ffff800n, 0xfffffffffffff800n, 0xfffffffffffe0000n, 0xffffffffffffffffn, 0xffffffff80800000n, (1n << 63n) - 1n),
      ), (v) => {
        const c = code(v);
        expect(c.length).to.be.at.most(max);
        m.memory.writeBytes(0x10000n, new Uint8Array(0x100), true);
        m.memory.writeBytes(0x10000n, c, true);
        m.memory.writeBytes(0x10000n + BigInt(c.length), EBREAK, true);
        h.flushIcache();
        h.pc = 0x10000n;
        const r = h.run(16);
        expect(r.kind === 'trap' && r.trap.kind).to.equal('ebreak');
        expect(h.pc).to.equal(0x10000n + BigInt(c.length));
        expect(h.reg(10)).to.equal(BigInt.asUintN(64, v));
      }), { seed: 0x1aa, numRuns: 500 });
    });
  }
});
