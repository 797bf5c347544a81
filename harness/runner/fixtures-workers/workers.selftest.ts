/** Fixture (worker threads only): a dying thread, a thread stuck in synchronous code, and a normal test. */
import type { TestContext } from '../context';

/**
 * process.exit as it was when this file loaded: while a test runs, the runner puts a guard in
 * its place (a call fails the test), so this is how a test really ends its thread.
 */
const exitThread = process.exit.bind(process);

/** Ends its thread (in a worker, process.exit ends only the worker). */
export function test_exits(t: TestContext): void {
  t.log('about to exit');
  exitThread(7);
}

/** Spins in TypeScript: no instruction budget can stop it, only terminating the worker. */
export function test_spins(t: TestContext): void {
  t.log('spinning');
  for (;;) {
    // endless on purpose
  }
}

export function test_fine(t: TestContext): void {
  t.ASSERT_EQ(1, 1, 'one');
}
