/** Test helpers for the CLI: run main() in-process with stdout/stderr captured. */
import { expect } from 'chai';
import { main } from './main';

export interface Captured { code: number; out: string; err: string }

export async function run(argv: string[]): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => (out.push(Buffer.from(s).toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(Buffer.from(s).toString()), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

/** One line on stderr, naming `what`, no stack trace, non-zero exit. */
export function expectOneLineError(r: Captured, what: RegExp): void {
  expect(r.code, r.err).to.not.equal(0);
  expect(r.err.trimEnd().split('\n'), r.err).to.have.length(1);
  expect(r.err).to.match(what);
  expect(r.err).to.not.match(/\n\s+at /);
}

