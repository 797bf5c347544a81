/**
 * An expected failure: on the profiles it names, the test (or subtest) must FAIL, and its
 * failure log must contain the signature. A profile that models a real, historically broken
 * kernel lists the tests that see its bug; if one of them passes there (XPASS), the harness
 * has lost the power to see that bug, and the run fails.
 */
export interface Expectation {
  /** A profile name or glob (`v6.5+direct-calls`, `v6.3*`), or a list of them. */
  readonly profile: string | readonly string[];
  /**
   * `test` or `test/subtest`, globs allowed (`fexit_test/fexit`, `tracing_struct/*`). A bare
   * `test` is about the test as a whole: something in it must fail, and every part of it that
   * fails must show the signature.
   */
  readonly test: string;
  /** Why it fails there (printed with XFAIL / XPASS). */
  readonly reason: string;
  /** A substring that must appear in the failure log, e.g. `test_run unexpected error: -14`. */
  readonly signature: string;
}
