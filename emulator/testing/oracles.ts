/**
 * External oracles (binutils objdump/as/gcc for riscv64, qemu-riscv64) for tests.
 *
 * Without the tool a test SKIPs and says why; with RVTRAMP_REQUIRE_ORACLES=1 (set by .ci/run)
 * a missing tool is a failure, so CI can never pass by skipping.
 */
import { spawnSync } from 'node:child_process';

export const ORACLES = {
  objdump: 'riscv64-linux-gnu-objdump',
  as: 'riscv64-linux-gnu-as',
  ld: 'riscv64-linux-gnu-ld',
  gcc: 'riscv64-linux-gnu-gcc',
  qemu: 'qemu-riscv64',
} as const;

export type OracleName = keyof typeof ORACLES;

const found = new Map<string, boolean>();

/** True when the tool runs on this machine. */
export function haveTool(cmd: string): boolean {
  let ok = found.get(cmd);
  if (ok === undefined) {
    const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
    ok = r.status === 0;
    found.set(cmd, ok);
  }
  return ok;
}

export function oraclesRequired(): boolean {
  return process.env['RVTRAMP_REQUIRE_ORACLES'] === '1';
}

/** The part of a mocha test context this module needs (so it builds without mocha's types). */
export interface SkippableContext {
  skip(): void;
}

/**
 * Call at the start of a mocha test (or in `before`) that needs oracles: returns the command
 * names, or skips the test with the reason, or throws when oracles are required.
 */
export function needOracles<K extends OracleName>(ctx: SkippableContext, ...names: K[]): { [P in K]: string } {
  const missing = names.filter((n) => !haveTool(ORACLES[n]));
  if (missing.length > 0) {
    const reason = `${missing.map((n) => ORACLES[n]).join(', ')} not installed (apt-get install gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu qemu-user)`;
    if (oraclesRequired()) throw new Error(`oracle required by RVTRAMP_REQUIRE_ORACLES=1 but ${reason}`);
    // mocha's skip() takes no reason; print it so the SKIP is never silent.
    console.log(`      SKIP: ${reason}`);
    ctx.skip();
  }
  const out = {} as { [P in K]: string };
  for (const n of names) out[n] = ORACLES[n];
  return out;
}
