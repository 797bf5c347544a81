/**
 * The interpreter's fast path: the most frequent base instructions get a small integer kind,
 * and the run loop executes those inline in a switch instead of calling their handler. V8
 * cannot inline a megamorphic handler call; the switch avoids it for ~90% of dynamic
 * instructions (measured +30-45% MIPS on ../shared/bench).
 *
 * The handlers in exec/ remain the reference semantics: every fast kind must behave exactly
 * like its handler, which fastpath.test.ts checks by running random programs both ways
 * (HartOptions.reference turns the fast path off), and the qemu differential test checks
 * against real hardware semantics.
 */
export const FAST_KIND: ReadonlyMap<string, number> = new Map([
  ['addi', 1], ['add', 2], ['sub', 3], ['xor', 4], ['or', 5], ['and', 6], ['andi', 7], ['ori', 8], ['xori', 9],
  ['slli', 10], ['srli', 11], ['srai', 12], ['addiw', 13], ['addw', 14], ['subw', 15], ['slliw', 16], ['srliw', 17], ['sraiw', 18],
  ['lui', 19], ['auipc', 19], ['beq', 20], ['bne', 21], ['blt', 22], ['bge', 23], ['bltu', 24], ['bgeu', 25], ['jal', 26],
  ['lw', 27], ['lbu', 28], ['ld', 29], ['sw', 30], ['sd', 31], ['sb', 32], ['lhu', 33], ['lwu', 34], ['lb', 35], ['lh', 36], ['sh', 37],
]);

/** Kind of a block head the interpreter counts entries of, to find hot code to translate. */
export const HEAD_KIND = 38;
/** Kind of a block head with a translated trace (op.tr): the interpreter calls the trace. */
export const TRACE_KIND = 39;
