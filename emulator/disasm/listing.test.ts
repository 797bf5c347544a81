import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readElf } from '../elf/reader';
import { elfSymbolizer, listBytes, listElf } from './listing';
import { AddressTracker } from '../isa/disasm';
import { encode } from '../isa/encode';
import { needOracles } from '../testing/oracles';
import { FIXTURES_DIR, OBJ_DIR, readManifest } from '../fixtures/manifest';

const manifest = readManifest();
// Listings are compared as bytes: objdump prints names byte by byte.
const committed = (file: string) => readFileSync(join(OBJ_DIR, file), 'latin1');

/** First differing line, for a readable failure. */
function firstDifference(ours: string, theirs: string): string {
  const a = ours.split('\n');
  const b = theirs.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  ours:    ${JSON.stringify(a[i])}\n  objdump: ${JSON.stringify(b[i])}`;
  }
  return 'identical';
}

function bytesOf(words: readonly number[]): Uint8Array {
  const out: number[] = [];
  for (const w of words) for (let i = 0; i < ((w & 3) === 3 ? 4 : 2); i++) out.push((w >>> (8 * i)) & 0xff);
  return Uint8Array.from(out);
}

describe('disasm/listing', () => {
  describe('committed fixtures: our listing is byte-identical to the objdump -d output', () => {
    for (const f of manifest.listings) {
      const label = f.args.length ? `${f.name} (${f.file} ${f.args.join(' ')})` : f.name;
      it(label, () => {
        const elf = readElf(readFileSync(join(OBJ_DIR, f.file)), f.file);
        const ours = listElf(elf, f.options);
        const theirs = committed(f.listing);
        expect(ours === theirs, firstDifference(ours, theirs)).to.equal(true);
      });
    }

    it('every file in obj/ belongs to a fixture line', () => {
      const expected = new Set([...manifest.objects.map((o) => o.file), ...manifest.listings.map((l) => l.listing)]);
      const present = readdirSync(OBJ_DIR);
      expect(present.filter((f) => !expected.has(f)), 'files not in variants.txt').to.deep.equal([]);
      expect([...expected].filter((f) => !present.includes(f)), 'fixtures not built').to.deep.equal([]);
    });
  });

  describe('oracles', () => {
    it('objdump on the committed files prints the committed listings', function () {
      const { objdump } = needOracles(this, 'objdump');
      for (const f of manifest.listings) {
        const r = spawnSync(objdump, ['-d', ...f.args, f.file], { cwd: OBJ_DIR, encoding: 'latin1' });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout === committed(f.listing), `${f.name}: ${firstDifference(committed(f.listing), r.stdout)}`).to.equal(true);
      }
    });

    it('rebuilding the fixtures with gcc/ld reproduces the committed files', function () {
      needOracles(this, 'gcc', 'ld', 'objdump');
      const out = mkdtempSync(join(tmpdir(), 'rvtramp-fixtures-'));
      try {
        const r = spawnSync('sh', [join(FIXTURES_DIR, 'build.sh')], { env: { ...process.env, OUT: out }, encoding: 'utf8' });
        expect(r.status, r.stderr).to.equal(0);
        const drifted = readdirSync(OBJ_DIR).filter((f) => !readFileSync(join(out, f)).equals(readFileSync(join(OBJ_DIR, f))));
        expect(drifted, 'rebuilt files differ from the committed ones (run npm run build:fixtures and review)').to.deep.equal([]);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });

  describe('elfSymbolizer', () => {
    it('names addresses of an image like objdump', () => {
      const file = 'image.control.pfe8-4.elf';
      const e = readElf(readFileSync(join(OBJ_DIR, file)), file);
      const name = elfSymbolizer(e);
      const leaf = e.symbol('leaf')!.value;
      expect(name(leaf)).to.equal('leaf');
      expect(name(leaf + 8n)).to.equal('leaf+0x8');
      expect(name(leaf - 8n)).to.equal('leaf-0x8'); // the sled before the first function
      expect(name(0x1000n)).to.equal(undefined);
      let checked = 0;
      // Same names as in the committed objdump listing of the image.
      const listing = committed('image.control.pfe8-4.objdump');
      for (const m of listing.matchAll(/<([^>]+)>/g)) {
        const at = listing.lastIndexOf('\n', m.index);
        const line = listing.slice(at + 1, listing.indexOf('\n', m.index));
        const target = /([0-9a-f]+) <[^>]+>(?::)?$/.exec(line);
        if (target) {
          expect(name(BigInt(`0x${target[1]}`)), line).to.equal(m[1]);
          checked++;
        }
      }
      expect(checked).to.be.greaterThan(20);
    });
  });

  describe('listBytes', () => {
    // The ftrace detour of the design document, at a kernel address.
    const words = [encode('auipc', { rd: 5, imm20: 0xf70c0000 | 0 }), encode('jalr', { rd: 5, rs1: 5, imm12: -336 }), encode('c.addi', { crd: 0, c_imm6: 0 })];

    it('uses objdump line layout at kernel addresses', () => {
      const text = listBytes(bytesOf(words), 0xffffffff80fa4150n);
      expect(text.split('\n')).to.deep.equal([
        'ffffffff80fa4150:\tf70c0297          \tauipc\tt0,0xf70c0',
        'ffffffff80fa4154:\teb0282e7          \tjalr\tt0,-336(t0) # 0xffffffff78064000',
        'ffffffff80fa4158:\t0001                \tnop',
        '',
      ]);
    });

    it('names targets and labels regions through callbacks', () => {
      const code = bytesOf([encode('jal', { rd: 1, jimm20: 8 }), encode('c.addi', { crd: 0, c_imm6: 0 }), encode('c.addi', { crd: 0, c_imm6: 0 }), encode('jalr', { rd: 0, rs1: 1, imm12: 0 })]);
      const base = 0xffffffff80fa4000n;
      const names = new Map([[base, 'tramp'], [base + 8n, 'tramp_exit']]);
      const text = listBytes(code, base, {
        label: (a) => names.get(a),
        symbolize: (a) => (a >= base + 8n ? `tramp_exit+0x${(a - base - 8n).toString(16)}` : `tramp+0x${(a - base).toString(16)}`).replace(/\+0x0$/, ''),
      });
      expect(text).to.equal([
        '',
        'ffffffff80fa4000 <tramp>:',
        'ffffffff80fa4000:\t008000ef          \tjal\tffffffff80fa4008 <tramp_exit>',
        'ffffffff80fa4004:\t0001                \tnop',
        'ffffffff80fa4006:\t0001                \tnop',
        '',
        'ffffffff80fa4008 <tramp_exit>:',
        'ffffffff80fa4008:\t00008067          \tret',
        '',
      ].join('\n'));
    });

    it('keeps objdump address memory across calls when given a tracker', () => {
      const tracker = new AddressTracker();
      listBytes(bytesOf([encode('auipc', { rd: 5, imm20: 4096 })]), 0x1000n, { tracker });
      const second = listBytes(bytesOf([encode('jalr', { rd: 0, rs1: 5, imm12: 16 })]), 0x1004n, { tracker });
      expect(second).to.equal('    1004:\t01028067          \tjr\t16(t0) # 0x2010\n');
    });

    it('skips runs of zeros and reports instructions cut by the end', () => {
      const bytes = new Uint8Array([0x13, 0, 0, 0, ...new Array<number>(12).fill(0), 0x97, 0x02]);
      expect(listBytes(bytes, 0n)).to.equal([
        '   0:\t00000013          \tnop',
        '\t...',
        '  10:\t97 02             \tAddress 0x10 is out of bounds.',
        '',
        '',
      ].join('\n'));
    });
  });
});
