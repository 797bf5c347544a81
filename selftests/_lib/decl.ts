/**
 * C-like argument declarations for program specs, so a port reads like its BPF_PROG():
 *
 *   args('int a', 'u64 b')                     // BPF_PROG(test2, int a, __u64 b)
 *   args('void *a', 'char b', STRUCT_ARG_2('c'))
 *
 * A declaration is `<type> <name>`: a pointer (`*` anywhere) is 'ptr'; otherwise one of the
 * scalar names of kernel/bpf/runtime/types.ts, or a C spelling of one (`unsigned int`,
 * `__u64`, `long long` ...). Struct arguments passed by value are ArgSpec objects.
 */
import type { ArgSpec, ScalarType, StructType } from '../../kernel/bpf/runtime';

const C_NAMES: Readonly<Record<string, ScalarType>> = {
  char: 'char', 'signed char': 's8', 'unsigned char': 'u8', u8: 'u8', __u8: 'u8', s8: 's8', bool: 'bool', _Bool: 'bool',
  short: 'short', 'unsigned short': 'u16', u16: 'u16', __u16: 'u16', s16: 's16',
  int: 'int', 'unsigned int': 'u32', unsigned: 'u32', u32: 'u32', __u32: 'u32', s32: 's32', __s32: 's32',
  long: 'long', 'unsigned long': 'u64', 'long long': 's64', 'unsigned long long': 'u64', u64: 'u64', __u64: 'u64', s64: 's64', __s64: 's64',
  size_t: 'u64', ssize_t: 'long', loff_t: 'long',
};

/** One declaration: `int a`, `void *b`, `struct file *file`, `unsigned long k`. */
export function arg(decl: string): ArgSpec {
  const m = /^\s*(.*?)[\s*]*\b([A-Za-z_]\w*)\s*$/.exec(decl);
  if (!m || !m[1]) throw new Error(`decl: cannot read '${decl}'`);
  const name = m[2]!;
  if (decl.includes('*')) return { name, type: 'ptr' };
  const ctype = m[1].replace(/\b(const|volatile)\b/g, '').replace(/\s+/g, ' ').trim();
  const type = C_NAMES[ctype];
  if (!type) throw new Error(`decl: unknown C type '${ctype}' in '${decl}'`);
  return { name, type };
}

/** A list of declarations (strings, or struct ArgSpecs as they are). */
export function args(...decls: readonly (string | ArgSpec)[]): ArgSpec[] {
  return decls.map((d) => (typeof d === 'string' ? arg(d) : d));
}

/** A struct passed by value: `struct_arg(S2, 'a')`. */
export function struct_arg(type: StructType, name: string): ArgSpec {
  return { name, type };
}

/** A C truth value as the u64 a program stores: 1 or 0. */
export function bit(cond: boolean): bigint {
  return cond ? 1n : 0n;
}
