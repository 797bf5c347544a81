import type { EntryDef, Ext, HintDef } from '../entry';
import type { FieldName } from '../fields';

// RV64C: every compressed form, each expanded to the base instruction it stands for.
// Reserved encodings are the words no entry accepts: `nonzero`/`not` reject them.
// HINT encodings are legal words of an entry, listed in its `hints` (see HintDef).

type Args = Readonly<Partial<Record<FieldName, FieldName | number>>>;
/** A HintDef whose objdump spelling may be 'itself': the entry's own name and syntax (`c.li zero,5`). */
type Hint = Omit<HintDef, 'objdump'> & { readonly objdump?: HintDef['objdump'] | 'itself' };
const spelled = ({ objdump, ...rest }: Hint, name: string, syntax: string): HintDef =>
  objdump === undefined ? rest : { ...rest, objdump: objdump === 'itself' ? { name, syntax } : objdump };
const c = (
  name: string, q: number, f3: number, fields: FieldName[], syntax: string, to: string, args: Args,
  extra: { fixed?: Record<string, number>; nonzero?: FieldName[]; not?: Partial<Record<FieldName, number>>; ext?: Ext; hints?: Hint[] } = {},
): EntryDef => ({
  name, ext: extra.ext ?? 'C', size: 2, fields, syntax,
  fixed: { '15..13': f3, ...(extra.fixed ?? {}), '1..0': q },
  ...(extra.nonzero ? { nonzero: extra.nonzero } : {}),
  ...(extra.not ? { not: extra.not } : {}),
  expand: { to, args },
  ...(extra.hints ? { hints: extra.hints.map((h) => spelled(h, name, syntax)) } : {}),
});

const SP = 2;
const RA = 1;

export const RV_C: readonly EntryDef[] = [
  // Quadrant 0
  c('c.addi4spn', 0, 0, ['crdp', 'c_nzuimm10'], 'crdp,sp,c_nzuimm10', 'addi', { rd: 'crdp', rs1: SP, imm12: 'c_nzuimm10' }, { nonzero: ['c_nzuimm10'] }),
  c('c.fld', 0, 1, ['cfrdp', 'crs1p', 'c_uimm8'], 'cfrdp,c_uimm8(crs1p)', 'fld', { fd: 'cfrdp', rs1: 'crs1p', imm12: 'c_uimm8' }, { ext: 'D' }),
  c('c.lw', 0, 2, ['crdp', 'crs1p', 'c_uimm7'], 'crdp,c_uimm7(crs1p)', 'lw', { rd: 'crdp', rs1: 'crs1p', imm12: 'c_uimm7' }),
  c('c.ld', 0, 3, ['crdp', 'crs1p', 'c_uimm8'], 'crdp,c_uimm8(crs1p)', 'ld', { rd: 'crdp', rs1: 'crs1p', imm12: 'c_uimm8' }),
  c('c.fsd', 0, 5, ['cfrs2p', 'crs1p', 'c_uimm8'], 'cfrs2p,c_uimm8(crs1p)', 'fsd', { fs2: 'cfrs2p', rs1: 'crs1p', simm12: 'c_uimm8' }, { ext: 'D' }),
  c('c.sw', 0, 6, ['crs2p', 'crs1p', 'c_uimm7'], 'crs2p,c_uimm7(crs1p)', 'sw', { rs2: 'crs2p', rs1: 'crs1p', simm12: 'c_uimm7' }),
  c('c.sd', 0, 7, ['crs2p', 'crs1p', 'c_uimm8'], 'crs2p,c_uimm8(crs1p)', 'sd', { rs2: 'crs2p', rs1: 'crs1p', simm12: 'c_uimm8' }),

  // Quadrant 1
  c('c.addi', 1, 0, ['crd', 'c_imm6'], 'crd,c_imm6', 'addi', { rd: 'crd', rs1: 'crd', imm12: 'c_imm6' }, {
    hints: [
      { fixed: { crd: 0 }, nonzero: ['c_imm6'], objdump: { name: 'c.nop', syntax: 'c_imm6' } }, // c.nop with an immediate
      { fixed: { c_imm6: 0 }, nonzero: ['crd'] }, // c.addi rd,0 (objdump: add rd,rd,0)
    ],
  }),
  c('c.addiw', 1, 1, ['crd', 'c_imm6'], 'crd,c_imm6', 'addiw', { rd: 'crd', rs1: 'crd', imm12: 'c_imm6' }, { nonzero: ['crd'] }),
  c('c.li', 1, 2, ['crd', 'c_imm6'], 'crd,c_imm6', 'addi', { rd: 'crd', rs1: 0, imm12: 'c_imm6' }, { hints: [{ fixed: { crd: 0 }, objdump: 'itself' }] }),
  c('c.addi16sp', 1, 3, ['c_nzimm10'], 'sp,c_nzimm10', 'addi', { rd: SP, rs1: SP, imm12: 'c_nzimm10' }, { fixed: { '11..7': SP }, nonzero: ['c_nzimm10'] }),
  c('c.lui', 1, 3, ['crd', 'c_nzimm18'], 'crd,c_nzimm18', 'lui', { rd: 'crd', imm20: 'c_nzimm18' }, {
    nonzero: ['c_nzimm18'], not: { crd: SP }, hints: [{ fixed: { crd: 0 }, objdump: 'itself' }],
  }),
  c('c.srli', 1, 4, ['crs1p', 'c_shamt'], 'crs1p,c_shamt', 'srli', { rd: 'crs1p', rs1: 'crs1p', shamt6: 'c_shamt' }, {
    fixed: { '11..10': 0 }, hints: [{ fixed: { c_shamt: 0 }, objdump: { name: 'c.srli64', syntax: 'crs1p' } }],
  }),
  c('c.srai', 1, 4, ['crs1p', 'c_shamt'], 'crs1p,c_shamt', 'srai', { rd: 'crs1p', rs1: 'crs1p', shamt6: 'c_shamt' }, {
    fixed: { '11..10': 1 }, hints: [{ fixed: { c_shamt: 0 }, objdump: { name: 'c.srai64', syntax: 'crs1p' } }],
  }),
  c('c.andi', 1, 4, ['crs1p', 'c_imm6'], 'crs1p,c_imm6', 'andi', { rd: 'crs1p', rs1: 'crs1p', imm12: 'c_imm6' }, { fixed: { '11..10': 2 } }),
  ...([['c.sub', 0, 0, 'sub'], ['c.xor', 0, 1, 'xor'], ['c.or', 0, 2, 'or'], ['c.and', 0, 3, 'and'], ['c.subw', 1, 0, 'subw'], ['c.addw', 1, 1, 'addw']] as const)
    .map(([name, b12, f2, to]) => c(name, 1, 4, ['crs1p', 'crs2p'], 'crs1p,crs2p', to, { rd: 'crs1p', rs1: 'crs1p', rs2: 'crs2p' }, { fixed: { '12': b12, '11..10': 3, '6..5': f2 } })),
  c('c.j', 1, 5, ['c_jimm'], 'c_jimm', 'jal', { rd: 0, jimm20: 'c_jimm' }),
  c('c.beqz', 1, 6, ['crs1p', 'c_bimm'], 'crs1p,c_bimm', 'beq', { rs1: 'crs1p', rs2: 0, bimm12: 'c_bimm' }),
  c('c.bnez', 1, 7, ['crs1p', 'c_bimm'], 'crs1p,c_bimm', 'bne', { rs1: 'crs1p', rs2: 0, bimm12: 'c_bimm' }),

  // Quadrant 2
  c('c.slli', 2, 0, ['crd', 'c_shamt'], 'crd,c_shamt', 'slli', { rd: 'crd', rs1: 'crd', shamt6: 'c_shamt' }, {
    hints: [{ fixed: { c_shamt: 0 }, objdump: { name: 'c.slli64', syntax: 'crd' } }, { fixed: { crd: 0 }, objdump: 'itself' }],
  }),
  c('c.fldsp', 2, 1, ['cfrd', 'c_uimm9sp'], 'cfrd,c_uimm9sp(sp)', 'fld', { fd: 'cfrd', rs1: SP, imm12: 'c_uimm9sp' }, { ext: 'D' }),
  c('c.lwsp', 2, 2, ['crd', 'c_uimm8sp'], 'crd,c_uimm8sp(sp)', 'lw', { rd: 'crd', rs1: SP, imm12: 'c_uimm8sp' }, { nonzero: ['crd'] }),
  c('c.ldsp', 2, 3, ['crd', 'c_uimm9sp'], 'crd,c_uimm9sp(sp)', 'ld', { rd: 'crd', rs1: SP, imm12: 'c_uimm9sp' }, { nonzero: ['crd'] }),
  c('c.jr', 2, 4, ['crd'], 'crd', 'jalr', { rd: 0, rs1: 'crd', imm12: 0 }, { fixed: { '12': 0, '6..2': 0 }, nonzero: ['crd'] }),
  c('c.mv', 2, 4, ['crd', 'crs2'], 'crd,crs2', 'add', { rd: 'crd', rs1: 0, rs2: 'crs2' }, {
    fixed: { '12': 0 }, nonzero: ['crs2'], hints: [{ fixed: { crd: 0 }, objdump: 'itself' }],
  }),
  c('c.ebreak', 2, 4, [], '', 'ebreak', {}, { fixed: { '12': 1, '11..7': 0, '6..2': 0 } }),
  c('c.jalr', 2, 4, ['crd'], 'crd', 'jalr', { rd: RA, rs1: 'crd', imm12: 0 }, { fixed: { '12': 1, '6..2': 0 }, nonzero: ['crd'] }),
  c('c.add', 2, 4, ['crd', 'crs2'], 'crd,crs2', 'add', { rd: 'crd', rs1: 'crd', rs2: 'crs2' }, {
    fixed: { '12': 1 }, nonzero: ['crs2'], hints: [{ fixed: { crd: 0 }, objdump: 'itself' }],
  }),
  c('c.fsdsp', 2, 5, ['cfrs2', 'c_uimm9sp_s'], 'cfrs2,c_uimm9sp_s(sp)', 'fsd', { fs2: 'cfrs2', rs1: SP, simm12: 'c_uimm9sp_s' }, { ext: 'D' }),
  c('c.swsp', 2, 6, ['crs2', 'c_uimm8sp_s'], 'crs2,c_uimm8sp_s(sp)', 'sw', { rs2: 'crs2', rs1: SP, simm12: 'c_uimm8sp_s' }),
  c('c.sdsp', 2, 7, ['crs2', 'c_uimm9sp_s'], 'crs2,c_uimm9sp_s(sp)', 'sd', { rs2: 'crs2', rs1: SP, simm12: 'c_uimm9sp_s' }),
];
