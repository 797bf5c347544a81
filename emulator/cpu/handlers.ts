/**
 * The handler for every base instruction of the table, by name. Compressed instructions have
 * no handlers of their own: they run their expansion's. The completeness check below runs when
 * the module loads, so a table entry without semantics cannot go unnoticed.
 */
import type { Handler } from './op';
import { TABLE } from '../isa/table';
import type { Ext } from '../isa/entry';
import { RV64I } from './exec/rv64i';
import { RV64M } from './exec/rv64m';
import { RV64A } from './exec/rv64a';
import { SYSTEM } from './exec/system';
import { BITMANIP } from './exec/bitmanip';

export const HANDLERS: ReadonlyMap<string, Handler> = new Map(Object.entries({ ...RV64I, ...RV64M, ...RV64A, ...SYSTEM, ...BITMANIP }));

/**
 * Extensions that are decoded and disassembled but not executed. A hart that enables one
 * reports its instructions as an unsupported extension; one that does not (the default for
 * 'S', whose sret/mret/wfi/sfence.vma need a privilege model we do not have) treats them as
 * illegal instructions, as a user-mode hart would.
 */
export const NOT_EXECUTED: ReadonlySet<Ext> = new Set<Ext>(['F', 'D', 'S']);

for (const e of TABLE) {
  if (e.size !== 4 || NOT_EXECUTED.has(e.ext)) continue;
  if (!HANDLERS.has(e.name)) throw new Error(`cpu: instruction ${e.name} has no handler`);
}
for (const name of HANDLERS.keys()) {
  if (!TABLE.some((e) => e.name === name)) throw new Error(`cpu: handler ${name} has no table entry`);
}
