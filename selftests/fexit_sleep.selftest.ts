/**
 * fexit_sleep (upstream prog_tests/fexit_sleep.c + progs/fexit_sleep.c, reference §2.7): the
 * trampoline torn down while a call is still inside it.
 *
 * Upstream, fentry and fexit programs on nanosleep count calls; a child sleeps 10 s inside the
 * traced syscall while the parent detaches both programs, kills the child, and checks that the
 * bypassed fexit program never ran during the unwind and that the dying trampoline image was
 * not freed under the sleeper. rvtramp's kernel has no tasks, so the "parent" acts from inside
 * the fentry program, which runs in the trampoline before the traced function is called:
 *
 * - the child's first call (nanosleep(1 ns)) runs both programs: fentry_cnt 1, fexit_cnt 1;
 * - on its second call (nanosleep(10 s)) fentry_cnt becomes 2, and the parent (what upstream's
 *   busy-wait on fentry_cnt == 2 releases) checks fexit_cnt == 1, then detaches both links
 *   while the call is inside the old image;
 * - the call must finish with the right return value, the old image's fexit programs must be
 *   skipped (fexit_cnt stays 1), and the old image must stay mapped until the call has left it
 *   and be freed by the next grace period (bpf_tramp_image_put's RCU callback: reap()).
 *
 * bpf_fentry_test1 stands in for __riscv_sys_nanosleep.
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject } from '../kernel/bpf/runtime';
import { args, explain, kernel_call, monitorsFor, open_and_load, removeMonitors, type Skeleton } from './_lib';

const NANOSLEEP = 'bpf_fentry_test1';

export function test_fexit_sleep(t: TestContext): void {
  const k = t.boot();
  let parent: (() => void) | undefined;

  /** progs/fexit_sleep.c */
  const fexit_sleep = defineObject({
    name: 'fexit_sleep',
    bss: { fentry_cnt: 0, fexit_cnt: 0 },
    progs: [
      {
        name: 'nanosleep_fentry', attach: 'fentry', target: NANOSLEEP, args: args('int a'),
        body: (c) => {
          c.bss.fentry_cnt!++;
          if (c.bss.fentry_cnt === 2n) parent?.();
        },
      },
      { name: 'nanosleep_fexit', attach: 'fexit', target: NANOSLEEP, args: args('int a'), body: (c) => { c.bss.fexit_cnt!++; } },
    ],
  });

  const skel: Skeleton = open_and_load(t, k, fexit_sleep);
  if (!t.ASSERT_OK_PTR(skel, 'fexit_skel_load')) return;
  const err = skel.attach();
  if (!t.ASSERT_OK(err, 'fexit_attach')) return;

  const tramp = skel.bpf.trampolines.trampolineOf({ kind: 'kernel', name: NANOSLEEP });
  let oldImage: bigint | undefined;
  parent = () => {
    // The child is inside the trampoline (its second call): fexit ran once, for the first.
    t.ASSERT_EQ(skel.bss.fexit_cnt!, 1, 'fexit_cnt');
    oldImage = tramp?.image?.addr;
    // close(prog fds) + fexit_sleep_lskel__detach(): every link goes while the call is inside.
    skel.detach();
    t.ASSERT_TRUE(oldImage !== undefined && k.machine.memory.isMapped(oldImage), 'old image kept while in use');
  };

  // The child: nanosleep(1 ns), then nanosleep(10 s).
  const monitors = monitorsFor(k, [NANOSLEEP]);
  try {
    for (const call of ['nanosleep(1ns)', 'nanosleep(10s)']) {
      const out = kernel_call(k, NANOSLEEP, [1n], { monitors });
      if (!out.ok) {
        if (out.kind === 'timeout') t.timeout(`${call} ${out.message}`);
        else t.fail(`${out.tag} ${call}: ${out.message}`);
        explain(t, out);
        return;
      }
      // waitpid / WEXITSTATUS: the call came back, with its own return value.
      if (!t.ASSERT_EQ(BigInt.asIntN(32, out.value), 2, 'exitstatus')) {
        for (const m of monitors) for (const f of m.findings) t.log(`monitor: ${f.message}`);
        return;
      }
    }
  } finally {
    removeMonitors(monitors);
  }

  t.ASSERT_EQ(skel.bss.fentry_cnt!, 2, 'fentry_cnt');
  // The fexit program of the detached image was bypassed on the way out.
  t.ASSERT_EQ(skel.bss.fexit_cnt!, 1, 'fexit_cnt');
  if (!t.ASSERT_TRUE(oldImage !== undefined, 'parent ran')) return;
  t.ASSERT_EQ(skel.bpf.runtime.imagesInUse().length, 0, 'images in use');
  t.ASSERT_TRUE(k.machine.memory.isMapped(oldImage!), 'old image kept until the grace period');
  skel.bpf.trampolines.reap();
  t.ASSERT_FALSE(k.machine.memory.isMapped(oldImage!), 'old image freed');
  skel.destroy();
}
