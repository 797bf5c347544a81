import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ElfError, PT_LOAD, R_RISCV_64, SHN_ABS, SHN_UNDEF, readElf, type ElfFile } from './reader';
import { listElf } from '../disasm/listing';
import { OBJ_DIR, readManifest } from '../fixtures/manifest';

const manifest = readManifest();
const load = (file: string) => new Uint8Array(readFileSync(join(OBJ_DIR, file)));
const elf = (file: string) => readElf(load(file), file);

/** Bytes of one nop in a sled: c.nop with C, nop (addi) without. */
const nopSize = (march: string) => (/^rv64[a-z]*c/.test(march.replace(/_.*/, '')) ? 2n : 4n);

function funcs(e: ElfFile) {
  return e.symbols.filter((s) => s.type === 'FUNC');
}

/** Every accessor, so a property can check that none of them throws anything but ElfError. */
function touchEverything(e: ElfFile): void {
  for (const s of e.sections) e.relocations(s);
  e.patchableEntries();
  e.symbol('leaf');
  listElf(e);
}

describe('elf/reader', () => {
  describe('relocatable objects', () => {
    it('reads the header, sections and symbols of a fixture', () => {
      const e = elf('control.rv64imac.o');
      expect(e.type).to.equal('REL');
      expect(e.machine).to.equal(243);
      expect(e.segments).to.deep.equal([]);
      expect(e.sections[0]!.name).to.equal('');
      const text = e.section('.text')!;
      expect(text.size).to.equal(BigInt(text.bytes.length));
      expect(text.flags & 0x6n).to.equal(0x6n); // SHF_ALLOC | SHF_EXECINSTR
      const leaf = e.symbol('leaf')!;
      expect(leaf).to.include({ type: 'FUNC', binding: 'GLOBAL', section: text });
      expect(leaf.value).to.be.a('bigint');
      expect(leaf.size > 0n).to.equal(true);
      expect(e.symbol('counter')).to.include({ type: 'OBJECT', binding: 'LOCAL' });
      expect(e.symbols.find((s) => s.type === 'FILE')).to.include({ name: 'control.c', shndx: SHN_ABS });
      expect(e.symbols.some((s) => s.type === 'SECTION' && s.section === text)).to.equal(true);
      expect(e.symbols[0]).to.include({ name: '', shndx: SHN_UNDEF });
      expect(e.arch).to.match(/^rv64i2p1_m2p0_a2p1_c2p0_zicsr2p0_zifencei2p0/);
    });

    it('reads relocations of a section', () => {
      const e = elf('control.rv64imac.o');
      const relocs = e.relocations(e.section('.text')!);
      expect(relocs.length).to.be.greaterThan(0);
      const names = relocs.map((r) => e.symbols[r.symbol]!.name);
      expect(names).to.include('leaf');
      expect(relocs.map((r) => r.offset)).to.deep.equal([...relocs.map((r) => r.offset)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    });

    it('has no patchable entries without -fpatchable-function-entry', () => {
      expect(elf('arith.rv64gc.o').patchableEntries()).to.deep.equal([]);
    });

    // Each sled starts M nops before the function for -fpatchable-function-entry=N,M.
    for (const o of manifest.objects.filter((x) => x.kind === 'obj' && x.pfe)) {
      it(`${o.file}: one sled per function, ${o.pfe} nops`, () => {
        const e = elf(o.file);
        const [n, m = 0] = o.pfe!.split(',').map(Number) as [number, number?];
        const nop = nopSize(o.march!);
        const sleds = e.patchableEntries();
        const fs = funcs(e);
        expect(sleds.length).to.equal(fs.length);
        for (const f of fs) {
          const start = f.value - BigInt(m) * nop;
          const sled = sleds.find((s) => s.offset === start);
          expect(sled, `sled of ${f.name}`).to.not.equal(undefined);
          expect(sled!.section).to.equal(f.section);
          expect(sled!.address).to.equal(start);
          const bytes = sled!.section.bytes.subarray(Number(start), Number(start + BigInt(n) * nop));
          const expected = nop === 2n ? [0x01, 0x00] : [0x13, 0x00, 0x00, 0x00];
          for (let i = 0; i < bytes.length; i++) expect(bytes[i], `${f.name} sled byte ${i}`).to.equal(expected[i % expected.length]);
        }
      });
    }
  });

  describe('executables', () => {
    for (const o of manifest.objects.filter((x) => x.kind === 'link')) {
      it(`${o.file}: segments, kernel addresses and absolute sled addresses`, () => {
        const e = elf(o.file);
        expect(e.type).to.equal('EXEC');
        const text = e.section('.text')!;
        expect(text.addr).to.equal(o.address);
        const load = e.segments.filter((s) => s.type === PT_LOAD);
        const code = load.find((s) => s.flags.x)!;
        expect(code.flags).to.deep.equal({ r: true, w: false, x: true });
        expect(code.vaddr <= text.addr && text.addr + text.size <= code.vaddr + code.memsz).to.equal(true);
        expect(code.bytes.length).to.equal(Number(code.filesz));
        // Segment bytes are the file bytes the section occupies.
        const at = Number(text.addr - code.vaddr);
        expect(Buffer.from(code.bytes.subarray(at, at + text.bytes.length)).equals(Buffer.from(text.bytes))).to.equal(true);
        const data = load.find((s) => s.flags.w)!;
        expect(data.memsz >= data.filesz).to.equal(true);

        const [, m = 0] = o.pfe!.split(',').map(Number) as [number, number?];
        const nop = nopSize(o.march!);
        const sleds = e.patchableEntries();
        const fs = funcs(e);
        expect(sleds.length).to.equal(fs.length);
        for (const f of fs) {
          expect(f.value >= 0xffffffff80000000n, f.name).to.equal(true);
          const sled = sleds.find((s) => s.address === f.value - BigInt(m) * nop);
          expect(sled, `sled of ${f.name}`).to.not.equal(undefined);
          expect(sled!.section).to.equal(text);
          expect(sled!.offset).to.equal(sled!.address - text.addr);
        }
      });
    }
  });

  describe('errors', () => {
    const good = load('control.rv64imac.o');
    const patched = (at: number, bytes: number[]) => {
      const b = good.slice();
      b.set(bytes, at);
      return b;
    };
    const u64 = (v: bigint) => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty file', new Uint8Array(0), /truncated file/],
      ['short file', good.subarray(0, 40), /truncated file \(40 bytes/],
      ['bad magic', patched(0, [0x7f, 0x45, 0x4c, 0x47]), /bad magic/],
      ['not an ELF at all', new TextEncoder().encode('#!/bin/sh\necho hello\n'), /bad magic/],
      ['ELFCLASS32', patched(4, [1]), /not ELFCLASS64/],
      ['big-endian', patched(5, [2]), /not little-endian/],
      ['x86-64', patched(18, [62, 0]), /e_machine is 62, not RISC-V \(243\)/],
      ['section headers past the end', patched(40, u64(0xfffffn)), /section header table out of bounds/],
      ['program headers past the end', patched(32, u64(0x100000n)).map((v, i) => (i === 56 ? 1 : i === 54 ? 56 : v)), /program header table out of bounds/],
    ];
    for (const [what, bytes, re] of cases) {
      it(`${what}: one-line ElfError naming the file`, () => {
        try {
          readElf(bytes, 'fixtures/bad.o');
          expect.fail('no error');
        } catch (err) {
          expect(err).to.be.instanceOf(ElfError);
          const msg = (err as Error).message;
          expect(msg.startsWith('fixtures/bad.o: '), msg).to.equal(true);
          expect(msg).to.match(re);
          expect(msg).to.not.include('\n');
        }
      });
    }

    it('a section whose contents lie outside the file', () => {
      const e = elf('control.rv64imac.o');
      const shoff = Number(new DataView(good.buffer).getBigUint64(40, true));
      const text = e.section('.text')!;
      const b = patched(shoff + 64 * text.index + 24, u64(0x7fffffffn));
      expect(() => readElf(b, 'x.o')).to.throw(ElfError, /^x\.o: section 1 out of bounds/);
    });
  });

  describe('properties', () => {
    // Truncated or corrupted input may fail, but only with ElfError; and when it parses, every
    // accessor and a full listing run without any other exception.
    const inputs = manifest.objects.map((o) => load(o.file));
    const check = (bytes: Uint8Array) => {
      try {
        touchEverything(readElf(bytes, 'mutant.o'));
      } catch (err) {
        if (!(err instanceof ElfError)) throw err;
        expect(err.message).to.not.include('\n');
      }
    };
    // A fixed seed (npm test is the same on every run); RVTRAMP_SEED=<n> tries another.
    const SEED = process.env['RVTRAMP_SEED'] !== undefined ? Number(process.env['RVTRAMP_SEED']) : 0xe1f;

    it('truncation at any length throws nothing but ElfError', () => {
      fc.assert(
        fc.property(fc.nat({ max: inputs.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (i, frac) => {
          const b = inputs[i]!;
          check(b.subarray(0, Math.floor(b.length * frac)));
        }),
        { numRuns: 150, seed: SEED },
      );
    });

    it('flipping random bytes throws nothing but ElfError', () => {
      fc.assert(
        fc.property(
          fc.nat({ max: inputs.length - 1 }),
          fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }),
          (i, flips) => {
            const b = inputs[i]!.slice();
            for (const [where, v] of flips) b[Math.floor(where * b.length)] = v;
            check(b);
          },
        ),
        { numRuns: 150, seed: SEED },
      );
    });

    it('corrupting header and table fields throws nothing but ElfError', () => {
      // Random bytes rarely hit the fields that matter; aim at the ELF header and the
      // section header table, where counts, offsets and sizes live.
      fc.assert(
        fc.property(fc.nat({ max: inputs.length - 1 }), fc.nat(), fc.nat({ max: 7 }), fc.nat({ max: 255 }), (i, pick, byte, v) => {
          const b = inputs[i]!.slice();
          const shoff = Number(new DataView(b.buffer).getBigUint64(40, true));
          const targets = [pick % 64, shoff + (pick % Math.max(1, b.length - shoff))];
          b[Math.min(b.length - 1, targets[pick % 2]! + byte)] = v;
          check(b);
        }),
        { numRuns: 300, seed: SEED },
      );
    });
  });

  it('relocation type constant', () => {
    expect(R_RISCV_64).to.equal(2);
  });
});
