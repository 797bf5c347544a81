/**
 * BPF side of fsession_test (upstream progs/fsession_test.c, 7.0): fsession programs run at
 * the traced function's entry and at its exit; bpf_session_is_return tells which. On the entry
 * side the return value reads 0 (the trampoline zeroed its slot). Every result ends up 1.
 *
 * - test1..test4: the arguments of bpf_fentry_test1/3/4/5 on both sides, ret 0 at entry and
 *   the function's value (2, 15, 34, 65) at exit.
 * - test5: bpf_fentry_test7's NULL argument on both sides.
 * - test6: bpf_get_func_ip on both sides (the only program that needs the ip slot).
 * - test7, test8: a session cookie written at entry, read back at entry and at exit.
 * - test9: arguments, return value and a cookie together.
 * - test10 (fexit), test11 (fentry): plain programs on the same function, next to them.
 */
import { defineObject, type ProgCtx } from '../../kernel/bpf/runtime';
import type { Kernel } from '../../kernel/kernel';
import { args, bit } from '../_lib/decl';

/** A cookie written at entry and expected unchanged at exit. */
function cookieProg(name: string, value: bigint) {
  return {
    name, attach: 'fsession' as const, target: 'bpf_fentry_test1', args: args('int a'), usesSessionCookie: true,
    body: (c: ProgCtx) => {
      if (!c.sessionIsReturn()) {
        c.writeCookie(value);
        c.bss[`${name}_entry_ok`] = bit(c.readCookie() === value);
      } else c.bss[`${name}_exit_ok`] = bit(c.readCookie() === value);
    },
  };
}

export function fsession_test(k: Kernel) {
  const ip = k.sym('bpf_fentry_test1');
  return defineObject({
    name: 'fsession_test',
    bss: {
      test1_entry_result: 0, test1_exit_result: 0, test2_entry_result: 0, test2_exit_result: 0,
      test3_entry_result: 0, test3_exit_result: 0, test4_entry_result: 0, test4_exit_result: 0,
      test5_entry_result: 0, test5_exit_result: 0, test6_entry_result: 0, test6_exit_result: 0,
      test7_entry_ok: 0, test7_exit_ok: 0, test8_entry_ok: 0, test8_exit_ok: 0,
      test9_entry_result: 0, test9_exit_result: 0, test10_result: 0, test11_result: 0,
    },
    progs: [
      {
        name: 'test1', attach: 'fsession', target: 'bpf_fentry_test1', args: args('int a'),
        body: (c) => {
          if (!c.sessionIsReturn()) c.bss.test1_entry_result = bit(c.arg('a') === 1n && c.ret() === 0n);
          else c.bss.test1_exit_result = bit(c.arg('a') === 1n && c.ret() === 2n);
        },
      },
      {
        name: 'test2', attach: 'fsession', target: 'bpf_fentry_test3', args: args('char a', 'int b', 'u64 c'),
        body: (c) => {
          const ok = c.arg('a') === 4n && c.arg('b') === 5n && c.arg('c') === 6n;
          if (!c.sessionIsReturn()) c.bss.test2_entry_result = bit(ok && c.ret() === 0n);
          else c.bss.test2_exit_result = bit(ok && c.ret() === 15n);
        },
      },
      {
        name: 'test3', attach: 'fsession', target: 'bpf_fentry_test4', args: args('void *a', 'char b', 'int c', 'u64 d'),
        body: (c) => {
          const ok = c.arg('a') === 7n && c.arg('b') === 8n && c.arg('c') === 9n && c.arg('d') === 10n;
          if (!c.sessionIsReturn()) c.bss.test3_entry_result = bit(ok && c.ret() === 0n);
          else c.bss.test3_exit_result = bit(ok && c.ret() === 34n);
        },
      },
      {
        name: 'test4', attach: 'fsession', target: 'bpf_fentry_test5', args: args('u64 a', 'void *b', 'short c', 'int d', 'u64 e'),
        body: (c) => {
          const ok = c.arg('a') === 11n && c.arg('b') === 12n && c.arg('c') === 13n && c.arg('d') === 14n && c.arg('e') === 15n;
          if (!c.sessionIsReturn()) c.bss.test4_entry_result = bit(ok && c.ret() === 0n);
          else c.bss.test4_exit_result = bit(ok && c.ret() === 65n);
        },
      },
      {
        name: 'test5', attach: 'fsession', target: 'bpf_fentry_test7', args: args('struct bpf_fentry_test_t *arg'),
        body: (c) => {
          if (!c.sessionIsReturn()) {
            if (c.arg('arg') === 0n && c.ret() === 0n) c.bss.test5_entry_result = 1n;
          } else if (c.arg('arg') === 0n) c.bss.test5_exit_result = 1n;
        },
      },
      {
        name: 'test6', attach: 'fsession', target: 'bpf_fentry_test1', args: args('int a'), usesFuncIp: true,
        body: (c) => {
          if (!c.sessionIsReturn()) c.bss.test6_entry_result = bit(c.funcIp() === ip);
          else c.bss.test6_exit_result = bit(c.funcIp() === ip);
        },
      },
      cookieProg('test7', 0xaaaabbbbccccddddn),
      cookieProg('test8', 0x1111222233334444n),
      {
        name: 'test9', attach: 'fsession', target: 'bpf_fentry_test1', args: args('int a'), usesSessionCookie: true,
        body: (c) => {
          if (!c.sessionIsReturn()) {
            c.bss.test9_entry_result = bit(c.arg('a') === 1n && c.ret() === 0n);
            c.writeCookie(0x123456n);
          } else c.bss.test9_exit_result = bit(c.arg('a') === 1n && c.ret() === 2n && c.readCookie() === 0x123456n);
        },
      },
      {
        name: 'test10', attach: 'fexit', target: 'bpf_fentry_test1', args: args('int a'),
        body: (c) => { c.bss.test10_result = bit(c.arg('a') === 1n && c.ret() === 2n); },
      },
      {
        name: 'test11', attach: 'fentry', target: 'bpf_fentry_test1', args: args('int a'),
        body: (c) => { c.bss.test11_result = bit(c.arg('a') === 1n); },
      },
    ],
  });
}
