/**
 * How long a test may run before it is a TIMEOUT, by default: its own module so that the CLI
 * can show and parse them without loading the test executor.
 */

/** Instructions per test and per subtest (`run -w`). */
export const DEFAULT_WATCHDOG = 200_000_000;
/** Wall clock per test in milliseconds, for tests still running asynchronously (`run --wall-timeout`). */
export const DEFAULT_WALL_TIMEOUT_MS = 120_000;
