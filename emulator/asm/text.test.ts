/** Text front end: syntax, directives, errors, and agreement with the builder API. */
import { expect } from 'chai';
import { assemble } from './text';
import { Assembler } from './assembler';
import { AsmError } from './errors';
import { A0, RA, SP, T0 } from './regs';
import { decode } from '../isa/decode';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Base-instruction names of a program's words (16- and 32-bit). */
function names(b: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.length; ) {
    const lo = b[i]! | (b[i + 1]! << 8);
    const size = (lo & 3) === 3 ? 4 : 2;
    const w = size === 4 ? (lo | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0 : lo;
    out.push(decode(w)?.entry.name ?? `?${w.toString(16)}`);
    i += size;
  }
  return out;
}

describe('assemble (text front end)', () => {
  it('gives the same bytes as the builder for the same program', () => {
    const text = assemble(
      `
      # a loop, a call and some data
      .text
      .globl f
      f:  addi sp, sp, -16        # prologue
          sd   ra, 8(sp)
      loop:
          addi a0, a0, -1
          bnez a0, loop
          li   t0, 0x123456789
          call g
          ld   ra, 8(sp)
          addi sp, sp, 16
          ret
      g:  ret
      `,
      { base: 0x80000000n },
    );
    const a = new Assembler({ base: 0x80000000n });
    a.label('f').addi(SP, SP, -16).sd(RA, 8, SP);
    a.label('loop').addi(A0, A0, -1).bnez(A0, 'loop');
    a.li(T0, 0x123456789n).call('g').ld(RA, 8, SP).addi(SP, SP, 16).ret();
    a.label('g').ret();
    const built = a.finish();
    expect(hex(text.bytes)).to.equal(hex(built.bytes));
    expect([...text.symbols]).to.deep.equal([...built.symbols]);
  });

  it('reads registers by ABI and xN name, hex/negative/char immediates, and expressions', () => {
    const p = assemble(`
      addi x10, a1, 0x10
      addi a0, fp, -0x10
      addi a0, a0, 'A'
      addi a0, a0, (1 << 4) | 3
      .equ K, 12 * 2
      K2 = K + 1
      addi a0, a0, K2
    `);
    const imms = Array.from({ length: 5 }, (_, i) => decode(new DataView(p.bytes.buffer).getUint32(i * 4, true))!.args.imm12);
    expect(imms).to.deep.equal([16, -16, 65, 19, 25]);
  });

  it('supports numeric local labels (1b / 1f), several statements per line, and memory operands', () => {
    const p = assemble(`
      1: addi a0, a0, 1; beqz a0, 1f
         j 1b
      1: lw a1, (a0); sw a1, -4(sp); lr.d a2, (a1); amoswap.d.aqrl a3, a4, (a5)
    `);
    expect(names(p.bytes)).to.deep.equal(['addi', 'beq', 'jal', 'lw', 'sw', 'lr.d', 'amoswap.d']);
    expect(p.symbols.size).to.equal(0, 'numeric labels are local');
  });

  it('handles %hi/%lo/%pcrel_hi/%pcrel_lo, la, tail and .dword of a label', () => {
    const p = assemble(`
      start:
        lui a0, %hi(0x12345678)
        addi a0, a0, %lo(0x12345678)
      1: auipc a1, %pcrel_hi(msg)
        ld a1, %pcrel_lo(1b)(a1)
        la a2, msg
        call t0, start
        jump start, t2
        tail start
      msg: .dword msg
        .word msg - start
    `, { base: 0x10000n });
    const v = new DataView(p.bytes.buffer);
    expect(v.getBigUint64(Number(p.address('msg') - 0x10000n), true)).to.equal(p.address('msg'));
    expect(v.getUint32(Number(p.address('msg') - 0x10000n) + 8, true)).to.equal(Number(p.address('msg') - 0x10000n));
    expect(names(p.bytes.subarray(0, 48))).to.deep.equal(['lui', 'addi', 'auipc', 'ld', 'auipc', 'addi', 'auipc', 'jalr', 'auipc', 'jalr', 'auipc', 'jalr']);
  });

  it('switches RVC with .option rvc / norvc / push / pop', () => {
    const p = assemble(`
      addi a0, a0, 1
      .option push
      .option rvc
      addi a0, a0, 1
      .option norvc
      addi a0, a0, 1
      .option pop
      addi a0, a0, 1
    `, { compressed: true });
    expect(names(p.bytes)).to.deep.equal(['c.addi', 'c.addi', 'addi', 'c.addi']);
  });

  it('writes strings, zeros and alignment', () => {
    const p = assemble(`
      .ascii "hi\\n"
      .asciz "\\x41\\101"
      .zero 1
      .balign 8, 0xee
      .byte 1, 2
      .half 0x304
      .byte 5
      .align 2
    `);
    // 7 bytes, one fill byte to 8, 5 bytes of data, then code padding: a zero byte and c.nop.
    expect(hex(p.bytes)).to.equal('68690a' + '414100' + '00' + 'ee' + '0102' + '0403' + '05' + '00' + '0100');
  });

  it('accepts the builder-only forms too: explicit c.*, fence without operands, rounding modes', () => {
    const p = assemble(`
      c.addi a0, 1
      c.addi16sp sp, 32
      fence
      fadd.d fa0, fa1, fa2, rtz
      fcvt.d.w fa0, a0
    `);
    expect(names(p.bytes)).to.deep.equal(['c.addi', 'c.addi16sp', 'fence', 'fadd.d', 'fcvt.d.w']);
  });

  it('accepts the sign-injection aliases that repeat a register (fmv.s fd,fs1 is fsgnj.s fd,fs1,fs1)', () => {
    // Bytes from riscv64-linux-gnu-as 2.40 -march=rv64gc for the same lines.
    const p = assemble('fmv.s fa0,fa1\nfneg.s fa0,fa1\nfabs.s fa0,fa1\nfmv.d fa0,fa1\nfneg.d ft0,ft1\nfabs.d fs0,fs1\n');
    expect(Array.from(new Uint32Array(p.bytes.slice().buffer), (w) => w.toString(16))).to.deep.equal([
      '20b58553', '20b59553', '20b5a553', '22b58553', '22109053', '2294a453',
    ]);
  });

  describe('errors name the line, the instruction and the operand', () => {
    const cases: [string, RegExp][] = [
      ['nop\n  addi a0, a0, 4096', /^line 2: addi a0, a0, 4096: operand 3 \(imm12\): 4096 is out of range \[-2048, 2047\]$/],
      ['frob a0', /^line 1: frob a0: unknown instruction frob$/],
      ['addi a0, a1', /^line 1: addi a0, a1: addi expects rd,rs1,imm12/],
      ['addi a0, a1, a2', /^line 1: addi a0, a1, a2: operand 3 \(imm12\): expected an immediate, got register a2$/],
      ['ld a0, 8(q9)', /^line 1: 8\(q9\): q9 is not a register$/],
      ['ld a0, a1', /^line 1: ld a0, a1: ld expects rd,imm12\(rs1\)$/],
      ['\n\nbeq a0, a1, far\n.zero 8000\nfar:', /^line 3: beq a0, a1, far: operand 3 \(bimm12\): target far is 8004 bytes away/],
      ['j nowhere', /^line 1: j nowhere: undefined symbol nowhere$/],
      ['x: nop\nx: nop', /^line 2: x:: x is already defined$/],
      ['beqz a0, 1f', /^line 1: 1f: no label 1: after this line$/],
      ['j 1b', /^line 1: 1b: no label 1: before this line$/],
      ['.data', /^line 1: \.data: only the \.text section is supported/],
      ['.frob 1', /^line 1: \.frob 1: unknown directive \.frob$/],
      ['li a0, here\nhere:', /^line 1: li a0, here: li needs a constant/],
      ['c.addi4spn a0, sp, 0', /^line 1: c.addi4spn a0, sp, 0: .*must not be zero/],
      ['addi a0, a0, 1 +', /^line 1: bad expression "1 \+": unexpected end$/],
      ['csrr a0, nosuchcsr', /^line 1: csrr a0, nosuchcsr: operand 2 \(csr\): unknown CSR nosuchcsr$/],
      // Exact conversions take no rounding mode (GNU as 2.40 rejects one too).
      ['fcvt.d.w fa0, a0, rne', /^line 1: fcvt.d.w fa0, a0, rne: fcvt.d.w expects fd,rs1$/],
    ];
    for (const [src, re] of cases) {
      it(JSON.stringify(src), () => {
        expect(() => assemble(src)).to.throw(AsmError, re);
      });
    }
    it('carries the line number on the error object', () => {
      try {
        assemble('nop\nnop\naddi a0, a0, 99999');
        expect.fail('no error');
      } catch (e) {
        expect(e).to.be.instanceOf(AsmError);
        expect((e as AsmError).line).to.equal(3);
      }
    });
  });

  it('lists each instruction with its address and source line', () => {
    const p = assemble('nop\n\nli a0, 0x12345678\n', { base: 0x100n });
    expect(p.listing.map((l) => [l.address, l.size, l.line, l.text])).to.deep.equal([
      [0x100n, 4, 1, 'nop'],
      [0x104n, 4, 3, 'li a0, 0x12345678'],
      [0x108n, 4, 3, 'li a0, 0x12345678'],
    ]);
  });
});
