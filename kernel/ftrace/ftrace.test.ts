/**
 * Dynamic ftrace on the real kernel images, for every profile: boot-time sled state, the
 * function tracer's (ip, parent ip) pairs, direct calls, byte-exact restore, icache flushing,
 * and the kernel's error codes for bad requests.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { bootKernel, type Kernel } from '../kernel';
import { PROFILES, getProfile } from '../profiles/profiles';
import { scratchPage } from '../image';
import { decode } from '../../emulator/isa/decode';
import { assemble } from '../../emulator/asm';
import { listBytes } from '../../emulator/disasm/listing';
import { hex } from '../../emulator/memory/address';
import { checkGolden } from '../testing/golden';
import { join } from 'node:path';

const FENTRY = 24n;
const CALLEES = Array.from({ length: 10 }, (_, i) => `bpf_fentry_test${i + 1}`);

function runTracing(k: Kernel): bigint | string {
  const r = k.call('bpf_prog_test_run_tracing', [FENTRY, scratchPage(k.machine)]);
  return r.kind === 'returned' ? BigInt.asIntN(32, r.value) : r.kind;
}

/** Every byte of every sled (including a CALL_OPS literal), for restore checks. */
function sledBytes(k: Kernel): string {
  return k.image.sleds.map((s) => hex(s.address) + ':' + Buffer.from(k.machine.memory.readBytes(s.address, s.size + 8)).toString('hex')).join('\n');
}

/**
 * Call sites in `caller` (jal, or auipc+jalr through ra) decoded from the image bytes: the
 * independent oracle for the parent ips the tracer must report.
 */
function callSites(k: Kernel, caller: string): Map<bigint, bigint[]> {
  const sym = k.image.functions.get(caller)!;
  const bytes = k.machine.memory.readBytes(sym.value, Number(sym.size));
  const sites = new Map<bigint, bigint[]>();
  let auipcRa: bigint | undefined;
  for (let off = 0; off < bytes.length; ) {
    const lo = bytes[off]! | (bytes[off + 1]! << 8);
    const size = (lo & 3) === 3 ? 4 : 2;
    const word = size === 4 ? new DataView(bytes.buffer, bytes.byteOffset + off).getUint32(0, true) : lo;
    const pc = sym.value + BigInt(off);
    const d = decode(word)?.base;
    let target: bigint | undefined;
    if (d?.entry.name === 'auipc' && d.args.rd === 1) auipcRa = pc + BigInt(d.args.imm20!);
    else if (d?.entry.name === 'jalr' && d.args.rd === 1 && d.args.rs1 === 1 && auipcRa !== undefined) target = auipcRa + BigInt(d.args.imm12!);
    else if (d?.entry.name === 'jal' && d.args.rd === 1) target = pc + BigInt(d.args.jimm20!);
    if (target !== undefined) {
      const list = sites.get(target) ?? [];
      list.push(pc + BigInt(size));
      sites.set(target, list);
    }
    if (d?.entry.name !== 'auipc') auipcRa = undefined;
    off += size;
  }
  return sites;
}

describe('ftrace', function () {
  this.timeout(60000);

  for (const p of PROFILES) {
    describe(p.name, () => {
      it('boots with every sled in its disabled form', () => {
        const k = bootKernel(p);
        const nop = '13000000';
        for (const s of k.image.sleds) {
          const at = Buffer.from(k.machine.memory.readBytes(s.funcAddr, p.scheme === 'A' ? 16 : 8)).toString('hex');
          if (p.scheme === 'C') {
            expect(at.slice(8), s.func).to.equal(nop);
            expect(decode(parseInt(at.slice(0, 8).match(/../g)!.reverse().join(''), 16))?.entry.name, s.func).to.equal('auipc');
            expect(k.machine.memory.readU(s.funcAddr - 8n, 8), s.func).to.equal(k.ftrace.nopOps.addr);
          } else expect(at, s.func).to.equal(nop.repeat(p.scheme === 'A' ? 4 : 2));
        }
      });

      it('runs bpf_prog_test_run_tracing untraced and with the function tracer on its callees; the trace holds the exact (ip, parent ip) pairs', () => {
        const k = bootKernel(p);
        expect(runTracing(k)).to.equal(0n);
        expect(k.tracer.enable(CALLEES).ok).to.equal(true);
        expect(runTracing(k)).to.equal(0n);
        const sites = callSites(k, 'bpf_prog_test_run_tracing');
        const expected = CALLEES.map((f) => {
          const addr = k.sym(f);
          const parents = sites.get(addr);
          expect(parents, `call site of ${f}`).to.have.length(1);
          return { ip: p.scheme === 'C' ? addr + 4n : addr, parentIp: parents![0]! };
        });
        const fmt = (e: { ip: bigint; parentIp: bigint }) => `${k.kallsyms.format(e.ip)} <- ${k.kallsyms.format(e.parentIp)}`;
        expect(k.tracer.buffer.map(fmt)).to.deep.equal(expected.map(fmt));
        expect(k.log.hasProblems()).to.equal(false);
      });

      it('an ops without SAVE_REGS finds the traced call\'s argument registers where its caller saved them', () => {
        const k = bootKernel(p);
        const seen: bigint[][] = [];
        const o = k.ftrace.createOps({ name: 'args_probe', func: (c) => seen.push([0, 1, 2].map((i) => c.regs.arg(i))) });
        expect(k.ftrace.setFilterFunctions(o, ['bpf_fentry_test3']).ok).to.equal(true);
        expect(k.ftrace.register(o).ok).to.equal(true);
        expect(runTracing(k)).to.equal(0n);
        // bpf_fentry_test3(4, 5, 6), as bpf_prog_test_run_tracing calls it
        expect(seen).to.deep.equal([[4n, 5n, 6n]]);
      });

      it('an ops that saves registers sees the traced call\'s arguments in its register area', () => {
        const k = bootKernel(p);
        const seen: bigint[] = [];
        const o = k.ftrace.createOps({
          name: 'regs_probe', saveRegs: true, saveRegsIfSupported: p.ftraceWith === 'ARGS',
          func: (c) => {
            // a0 of the traced function, from the saved area this caller built.
            seen.push(c.ip, c.parentIp, c.regs.arg(0));
          },
        });
        expect(k.ftrace.setFilterFunctions(o, ['bpf_fentry_test2']).ok).to.equal(true);
        expect(k.ftrace.register(o).ok).to.equal(true);
        expect(runTracing(k)).to.equal(0n);
        expect(seen[0]).to.equal(k.ftrace.locationOf('bpf_fentry_test2'));
        expect(k.kallsyms.lookup(seen[1]!)?.name).to.equal('bpf_prog_test_run_tracing');
        expect(seen[2]).to.equal(2n);
      });

      if (p.ftraceWith === 'ARGS') {
        it('WITH_ARGS: an ops asking for SAVE_REGS alone is refused with -EINVAL, nothing patched', () => {
          const k = bootKernel(p);
          const before = sledBytes(k);
          const patches = k.text.history.length;
          const o = k.ftrace.createOps({ name: 'regs_only', saveRegs: true, func: () => undefined });
          const r = k.ftrace.register(o);
          expect(r.ok || r.err).to.equal(-22);
          expect(o.registered).to.equal(false);
          expect(k.text.history.length).to.equal(patches);
          expect(sledBytes(k)).to.equal(before);
          expect(runTracing(k)).to.equal(0n);
        });
      }

      it('restores every sled byte for byte when tracing stops', () => {
        const k = bootKernel(p);
        const before = sledBytes(k);
        expect(k.tracer.enable().ok).to.equal(true);
        expect(sledBytes(k)).to.not.equal(before);
        expect(runTracing(k)).to.equal(0n);
        expect(k.tracer.disable().ok).to.equal(true);
        expect(sledBytes(k)).to.equal(before);
        expect(runTracing(k)).to.equal(0n);
      });

      if (p.directCalls !== 'none') {
        it('direct calls: the sled reaches the trampoline (alone, and together with the function tracer)', () => {
          const k = bootKernel(p);
          // A direct trampoline in the module area that counts calls and returns into the traced function.
          const base = 0xffffffff7f000000n;
          k.machine.memory.map(base, 0x1000, 'rwx');
          const t = assemble('tramp:\n  la t1, counter\n  ld t2, 0(t1)\n  addi t2, t2, 1\n  sd t2, 0(t1)\n  jr t0\n  .align 3\ncounter: .dword 0\n', { base });
          k.machine.memory.writeBytes(base, t.bytes, true);
          const counter = t.address('counter');
          const ip = k.ftrace.locationOf('bpf_fentry_test1')!;
          const d = k.ftrace.registerDirect(ip, t.address('tramp'));
          expect(d.ok).to.equal(true);
          expect(runTracing(k)).to.equal(0n);
          expect(k.machine.memory.readU(counter, 8)).to.equal(1n);
          expect(k.tracer.enable(['bpf_fentry_test1', 'bpf_fentry_test2']).ok).to.equal(true);
          expect(runTracing(k)).to.equal(0n);
          expect(k.machine.memory.readU(counter, 8)).to.equal(2n);
          expect(k.tracer.buffer.map((e) => k.kallsyms.lookup(e.ip)?.name)).to.deep.equal(['bpf_fentry_test1', 'bpf_fentry_test2']);
          expect(d.ok && k.ftrace.unregisterDirect(d.value).ok).to.equal(true);
          expect(runTracing(k)).to.equal(0n);
          expect(k.machine.memory.readU(counter, 8)).to.equal(2n);
        });
        it('a direct trampoline out of reach of the sled', () => {
          const k = bootKernel(p);
          const far = 0xffffffc000000000n;
          k.machine.memory.map(far, 0x1000, 'rx');
          k.machine.memory.writeBytes(far, assemble('jr t0\n', { base: far }).bytes, true);
          const before = sledBytes(k);
          const r = k.ftrace.registerDirect(k.ftrace.locationOf('bpf_fentry_test1')!, far);
          if (p.scheme === 'C') {
            // CALL_OPS reaches any trampoline through ftrace_caller and ops->direct_call.
            expect(r.ok).to.equal(true);
            expect(runTracing(k)).to.equal(0n);
          } else {
            expect(r.ok || r.err).to.equal(-22);
            expect(r.ok || r.message).to.match(/out of reach/);
            expect(sledBytes(k)).to.equal(before);
          }
        });
      } else {
        it('direct calls are not supported (-ENOTSUPP) and nothing is patched', () => {
          const k = bootKernel(p);
          const before = sledBytes(k);
          const r = k.ftrace.registerDirect(k.ftrace.locationOf('bpf_fentry_test1')!, k.ftrace.sym('ftrace_stub'));
          expect(r.ok || r.err).to.equal(-524);
          expect(sledBytes(k)).to.equal(before);
        });
      }
    });
  }

  it('enable -> disable restores every sled byte for byte (random function sets, schemes, RVC)', () => {
    const names = ['bpf_fentry_test1', 'bpf_fentry_test2', 'bpf_fentry_test6', 'bpf_modify_return_test2', 'bpf_testmod_fentry_test11', 'bpf_testmod_test_struct_arg_9', 'bpf_prog_test_run_tracing'];
    const kernels = new Map(PROFILES.map((p) => [p.name, bootKernel(p)]));
    fc.assert(
      fc.property(fc.constantFrom(...PROFILES.map((p) => p.name)), fc.subarray(names, { minLength: 1 }), fc.boolean(), (prof, fns, withDirect) => {
        const k = kernels.get(prof)!;
        const before = sledBytes(k);
        expect(k.tracer.enable(fns).ok).to.equal(true);
        let direct;
        if (withDirect && k.profile.directCalls !== 'none') {
          const r = k.ftrace.registerDirect(k.ftrace.locationOf(fns[0]!)!, k.ftrace.sym('ftrace_stub_direct_tramp'));
          expect(r.ok).to.equal(true);
          direct = r.ok ? r.value : undefined;
        }
        expect(runTracing(k)).to.equal(0n);
        if (direct) expect(k.ftrace.unregisterDirect(direct).ok).to.equal(true);
        expect(k.tracer.disable().ok).to.equal(true);
        expect(sledBytes(k)).to.equal(before);
      }),
      { seed: 0xf7ace, numRuns: 60 },
    );
  });

  it('a missing icache flush is observable: a hart keeps running the stale nops', () => {
    for (const skipFenceI of [false, true]) {
      const k = bootKernel('v6.8', { staleIcache: true, patchFaults: { skipFenceI } });
      expect(runTracing(k)).to.equal(0n); // test1's nops are now in the hart's icache
      expect(k.tracer.enable(['bpf_fentry_test1']).ok).to.equal(true);
      expect(runTracing(k)).to.equal(0n);
      expect(k.tracer.buffer.length, `skipFenceI=${skipFenceI}`).to.equal(skipFenceI ? 0 : 1);
    }
  });

  describe('bad requests get the kernel error code and leave nothing half-patched', () => {
    it('a filter on an address that is not an ftrace location: -EINVAL', () => {
      const k = bootKernel('v6.8');
      const before = sledBytes(k);
      const r = k.ftrace.setFilterIp(k.tracer.ops, k.sym('bpf_fentry_test1') + 2n);
      expect(r.ok || r.err).to.equal(-22);
      expect(r.ok || r.message).to.match(/\(bpf_fentry_test1\+0x2\/0x[0-9a-f]+\) is not an ftrace location/);
      expect(k.tracer.enable(['no_such_function']).ok).to.equal(false);
      expect(sledBytes(k)).to.equal(before);
    });

    it('a sled whose bytes differ from what the scheme expects: -EINVAL, a WARN, and no site patched', () => {
      for (const name of ['v6.2', 'v6.8', 'v6.16-norvc']) {
        const k = bootKernel(name);
        const s = k.image.sledOf('bpf_fentry_test1');
        k.machine.memory.writeBytes(s.funcAddr + (getProfile(name).scheme === 'C' ? 4n : 0n), Uint8Array.of(0x73, 0x00, 0x10, 0x00), true); // ebreak
        const before = sledBytes(k);
        const r = k.tracer.enable(['bpf_fentry_test2', 'bpf_fentry_test1', 'bpf_fentry_test3']);
        expect(r.ok || r.err, name).to.equal(-22);
        expect(sledBytes(k), name).to.equal(before);
        expect(k.log.problems().map((l) => l.text).join('\n'), name).to.match(/WARNING: ftrace failed to modify .*bpf_fentry_test1/);
      }
    });

    it('enabling the function tracer again is -EBUSY and keeps its filter and sleds', () => {
      for (const name of ['v6.2', 'v6.8']) {
        const k = bootKernel(name);
        expect(k.tracer.enable(['bpf_fentry_test1']).ok, name).to.equal(true);
        const before = sledBytes(k);
        const r = k.tracer.enable(['bpf_fentry_test2']);
        expect(r.ok || r.err, name).to.equal(-16);
        expect(sledBytes(k), name).to.equal(before);
        expect(runTracing(k), name).to.equal(0n);
        expect(k.tracer.buffer.map((e) => k.kallsyms.format(e.ip).split('+')[0]), name).to.deep.equal(['bpf_fentry_test1']);
      }
    });

    it('enable() without a list traces every function again after an earlier filter', () => {
      const k = bootKernel('v6.8');
      expect(k.tracer.enable(['bpf_fentry_test1']).ok).to.equal(true);
      expect(k.tracer.disable().ok).to.equal(true);
      expect(k.tracer.enable().ok).to.equal(true);
      expect(runTracing(k)).to.equal(0n);
      const traced = new Set(k.tracer.buffer.map((e) => k.kallsyms.format(e.ip).split('+')[0]));
      expect(traced.has('bpf_fentry_test1') && traced.has('bpf_fentry_test2')).to.equal(true);
    });

    it('a second direct call on one site is -EBUSY; unregistering twice is -ENOENT', () => {
      const k = bootKernel('v6.11');
      const ip = k.ftrace.locationOf('bpf_fentry_test1')!;
      const a = k.ftrace.registerDirect(ip, k.ftrace.sym('ftrace_stub_direct_tramp'));
      expect(a.ok).to.equal(true);
      const b = k.ftrace.registerDirect(ip, k.ftrace.sym('ftrace_stub_direct_tramp'));
      expect(b.ok || b.err).to.equal(-16);
      if (a.ok) {
        expect(k.ftrace.unregisterDirect(a.value).ok).to.equal(true);
        const again = k.ftrace.unregisterDirect(a.value);
        expect(again.ok || again.err).to.equal(-2);
      }
    });

    it('a direct ops is freed when unregistered: 300 register/unregister rounds do not run out of ops slots', () => {
      for (const name of ['v6.8', 'v6.16']) {
        const k = bootKernel(name);
        const ip = k.ftrace.locationOf('bpf_fentry_test1')!;
        const tramp = k.ftrace.sym('ftrace_stub_direct_tramp');
        const before = k.kallsyms.entries().length;
        for (let i = 0; i < 300; i++) {
          const d = k.ftrace.registerDirect(ip, tramp, 'loop_ops');
          if (!d.ok) expect.fail(`${name} round ${i}: ${d.message}`);
          expect(k.kallsyms.has('loop_ops'), name).to.equal(true);
          expect(k.ftrace.unregisterDirect(d.value).ok, name).to.equal(true);
          expect(k.kallsyms.has('loop_ops'), name).to.equal(false);
        }
        expect(k.kallsyms.entries().length, name).to.equal(before);
      }
    });

    it('scheme C as upstream encodes it: a target near ftrace_caller with another high part is missed by 4 KiB; a modify goes through ftrace_caller', () => {
      // Where a call site really goes: the boot-time auipc plus the jalr's immediate.
      const sext = (v: number, bits: number) => (v << (32 - bits)) >> (32 - bits);
      const lands = (k: ReturnType<typeof bootKernel>, f: bigint) => {
        const auipcWord = Number(k.machine.memory.readU(f, 4)), jalrWord = Number(k.machine.memory.readU(f + 4n, 4));
        return f + BigInt(sext(auipcWord & 0xfffff000, 32)) + BigInt(sext(jalrWord >>> 20, 12));
      };
      const k = bootKernel('v6.16-norvc');
      const stub = k.ftrace.sym('ftrace_stub_direct_tramp');
      expect(stub - k.ftrace.sym('ftrace_caller') < 2048n).to.equal(true);
      // bpf_testmod_fentry_test3's pc and ftrace_caller straddle a 4 KiB step that the stub is past.
      const f = k.image.sledOf('bpf_testmod_fentry_test3').funcAddr;
      const d = k.ftrace.registerDirect(k.ftrace.locationOf('bpf_testmod_fentry_test3')!, stub);
      expect(d.ok).to.equal(true);
      expect(k.ftrace.location(k.ftrace.locationOf('bpf_testmod_fentry_test3')!)!.state).to.deep.equal({ kind: 'call', target: stub });
      const off = lands(k, f) - stub;
      expect(off === 4096n || off === -4096n, `lands at stub ${off >= 0n ? '+' : ''}${off}`).to.equal(true);
      // bpf_fentry_test1 shares ftrace_caller's high part: the same encoding lands on the stub.
      const g = k.image.sledOf('bpf_fentry_test1').funcAddr;
      const e = k.ftrace.registerDirect(k.ftrace.locationOf('bpf_fentry_test1')!, stub);
      expect(e.ok && lands(k, g)).to.equal(stub);
      // A site that already calls something changes through ftrace_modify_call: ftrace_caller.
      const k2 = bootKernel('v6.16');
      const ip = k2.ftrace.locationOf('bpf_fentry_test1')!;
      const far = k2.ftrace.registerDirect(ip, 0xffffffff7f000000n);
      k2.machine.memory.map(0xffffffff7f000000n, 0x1000, 'rx');
      expect(far.ok && k2.ftrace.modifyDirect(far.value, k2.ftrace.sym('ftrace_stub_direct_tramp')).ok).to.equal(true);
      expect(k2.ftrace.location(ip)!.state).to.deep.equal({ kind: 'call', target: k2.ftrace.sym('ftrace_caller') });
      expect(runTracing(k2)).to.equal(0n);
    });

    it('scheme C: a near direct trampoline is called straight; a far one through ftrace_caller and ops->direct_call', () => {
      const k = bootKernel('v6.16');
      const sled = k.image.sledOf('bpf_fentry_test1');
      const ip = k.ftrace.locationOf('bpf_fentry_test1')!;
      const near = k.ftrace.sym('ftrace_stub_direct_tramp');
      expect(k.ftrace.arch.reaches(sled, near)).to.equal(true);
      const far = 0xffffffff7f000000n;
      k.machine.memory.map(far, 0x1000, 'rx');
      k.machine.memory.writeBytes(far, assemble('jr t0\n', { base: far }).bytes, true);
      expect(k.ftrace.arch.reaches(sled, far)).to.equal(false);
      const d = k.ftrace.registerDirect(ip, near);
      expect(d.ok).to.equal(true);
      expect(k.ftrace.location(ip)!.state).to.deep.equal({ kind: 'call', target: near });
      expect(runTracing(k)).to.equal(0n);
      expect(d.ok && k.ftrace.modifyDirect(d.value, far).ok).to.equal(true);
      expect(k.ftrace.location(ip)!.state).to.deep.equal({ kind: 'call', target: k.ftrace.sym('ftrace_caller') });
      expect(k.machine.memory.readU(sled.funcAddr - 8n, 8)).to.equal(d.ok ? d.value.addr : 0n);
      expect(runTracing(k)).to.equal(0n);
    });
  });

  describe('scheme A (v6.2) ftrace_regs_caller', () => {
    it('saves pt_regs one slot below the sled\'s ra slot: epc = func + 12, ra = parent ip, sp = the lowered sp (8 bytes off 16-byte alignment)', () => {
      for (const name of ['v6.2', 'v6.2-norvc']) {
        const k = bootKernel(name);
        const m = k.machine.memory;
        const seen: { epc: bigint; ra: bigint; sp: bigint; area: bigint; parent: bigint }[] = [];
        const o = k.ftrace.createOps({
          name: 'regs_probe', saveRegs: true,
          func: (c) => seen.push({ epc: m.readU(c.regs.addr, 8), ra: m.readU(c.regs.addr + 8n, 8), sp: m.readU(c.regs.addr + 16n, 8), area: c.regs.addr, parent: c.parentIp }),
        });
        expect(k.ftrace.setFilterFunctions(o, ['bpf_fentry_test2']).ok).to.equal(true);
        expect(k.ftrace.register(o).ok).to.equal(true);
        expect(runTracing(k)).to.equal(0n);
        expect(seen, name).to.have.length(1);
        const s = seen[0]!;
        expect(s.epc, name).to.equal(k.sym('bpf_fentry_test2') + 12n);
        expect(s.ra, name).to.equal(s.parent);
        expect(k.kallsyms.lookup(s.ra)?.name, name).to.equal('bpf_prog_test_run_tracing');
        expect(s.sp, name).to.equal(s.area);
        expect(s.area % 16n, name).to.equal(8n);
      }
    });
  });

  describe('golden entry code (accept with RVTRAMP_ACCEPT=1 npx mocha --spec kernel/ftrace/ftrace.test.ts)', () => {
    // One profile per distinct entry source: scheme A; B without and with direct calls (WITH_REGS),
    // B WITH_ARGS; C.
    for (const name of ['v6.2', 'v6.6', 'v6.8', 'v6.11', 'v6.16']) {
      it(`${name}: ftrace_caller and the rest of mcount-dyn.S as assembled at boot`, () => {
        const k = bootKernel(name);
        const syms = ['ftrace_caller', 'ftrace_regs_caller', 'ftrace_stub', 'ftrace_stub_direct_tramp'].flatMap((n) => {
          try {
            return [k.ftrace.sym(n)];
          } catch {
            return [];
          }
        });
        // From the first entry function (v6.8's file starts with ftrace_regs_caller) to the last.
        const start = syms.reduce((a, b) => (b < a ? b : a));
        const end = syms.reduce((a, b) => (b > a ? b : a)) + 4n;
        const sym = (a: bigint) => {
          const l = k.kallsyms.lookup(a);
          return l ? (l.offset === 0n ? l.name : `${l.name}+0x${l.offset.toString(16)}`) : undefined;
        };
        const text = `${name}: ${k.profile.summary}\n\n${listBytes(k.machine.memory.readBytes(start, Number(end - start)), start, { symbolize: sym })}\n`;
        const err = checkGolden(join(__dirname, 'golden', `entry.${name}.txt`), text, `RVTRAMP_ACCEPT=1 npx mocha --spec kernel/ftrace/ftrace.test.ts`);
        expect(err, err).to.equal(undefined);
      });
    }
  });

  describe('golden sled listings (accept with RVTRAMP_ACCEPT=1 npx mocha --spec kernel/ftrace/ftrace.test.ts)', () => {
    for (const name of ['v6.2', 'v6.2-norvc', 'v6.8', 'v6.8-norvc', 'v6.16', 'v6.16-norvc']) {
      it(`${name}: bpf_fentry_test1 as booted, with the function tracer, and with a direct call`, () => {
        const k = bootKernel(name);
        const s = k.image.sledOf('bpf_fentry_test1');
        const sym = (a: bigint) => {
          const l = k.kallsyms.lookup(a);
          return l ? (l.offset === 0n ? l.name : `${l.name}+0x${l.offset.toString(16)}`) : undefined;
        };
        const show = (title: string) => {
          // The CALL_OPS literal is data: show it as the ops it names, then the code from the symbol.
          const lit = s.before === 8 ? `${hex(s.address)}:\t.dword ${hex(k.machine.memory.readU(s.address, 8))} <${sym(k.machine.memory.readU(s.address, 8))}>\n` : '';
          return `# ${title}\n${lit}${listBytes(k.machine.memory.readBytes(s.funcAddr, s.size - s.before + 8), s.funcAddr, { symbolize: sym })}\n`;
        };
        let text = `${name}: ${k.profile.summary}\n\n${show('as booted')}`;
        expect(k.tracer.enable(['bpf_fentry_test1']).ok).to.equal(true);
        text += `\n${show('function tracer on')}`;
        expect(k.tracer.disable().ok).to.equal(true);
        if (k.profile.directCalls !== 'none') {
          expect(k.ftrace.registerDirect(k.ftrace.locationOf('bpf_fentry_test1')!, k.ftrace.sym('ftrace_stub_direct_tramp')).ok).to.equal(true);
          text += `\n${show('direct call to ftrace_stub_direct_tramp')}`;
        }
        const err = checkGolden(join(__dirname, 'golden', `${name}.txt`), text, `RVTRAMP_ACCEPT=1 npx mocha --spec kernel/ftrace/ftrace.test.ts`);
        expect(err, err).to.equal(undefined);
      });
    }
  });
});
