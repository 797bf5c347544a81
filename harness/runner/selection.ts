/**
 * Test selection as test_progs does it (reference §3.1):
 *
 *   -t NAMES   allow by substring: `x` becomes the glob `*x*` (in the test and the subtest part)
 *   -b NAMES   deny by substring
 *   -a NAMES   allow by glob (exact unless it has `*` / `?`)
 *   -d NAMES   deny by glob; deny always wins over allow
 *   -n NUMS[/SUBNUMS]   test numbers (1-based alphabetical position), sets like `1,3-5`
 *
 * NAMES is a comma-separated list of `test` or `test/subtest` entries, any of which may be
 * `@file`: a list in the upstream DENYLIST syntax (one entry per line, `#` starts a comment).
 *
 * An allow entry `test` selects the test with all its subtests; `test/sub` selects the test
 * and, inside it, only matching subtests. A deny entry `test` removes the test; `test/sub`
 * removes only matching subtests.
 *
 * Allow entries and numbers add up, as in test_progs' should_run(): a test (or subtest) runs
 * when no deny entry removes it and an allow entry or a number selects it; with neither
 * given, everything runs. (`-t fexit -n 1` runs test 1 and the fexit tests.) One difference
 * from test_progs' should_run_subtest(): a test picked by its number keeps all its subtests
 * (unless the -n entry names subtest numbers), where test_progs, when name entries are given,
 * runs only the subtests those names match, so `-n 1 -t era` would run test 1 with none.
 *
 * Everything here is plain data (a Selector can be sent to a worker thread as it is).
 */
import { readFileSync } from 'node:fs';
import { PROFILES, type Profile } from '../../kernel/profiles/profiles';
import { globMatch } from './glob';

/** What selection and listing need of a test: its name and 1-based number. */
export interface TestId {
  readonly name: string;
  readonly number: number;
}

export interface NameEntry {
  /** Glob on the test name. */
  readonly test: string;
  /** Glob on the subtest name; absent: the entry is about the whole test. */
  readonly sub?: string;
}

export interface NumberEntry {
  readonly tests: readonly number[];
  /** Subtest numbers; absent: all subtests. */
  readonly subs?: readonly number[];
}

export interface Selector {
  readonly allow: readonly NameEntry[];
  readonly deny: readonly NameEntry[];
  readonly nums: readonly NumberEntry[];
}

export const SELECT_ALL: Selector = { allow: [], deny: [], nums: [] };

/** A selection argument that cannot be used (bad number set, unreadable @file). */
export class SelectionError extends Error {}

export interface ParseNamesOptions {
  /** -t / -b: wrap each part in `*…*`. */
  readonly substring: boolean;
  /** Reads an @file (default: the file system); relative paths are the caller's business. */
  readonly readFile?: (path: string) => string;
}

/** Lines of a DENYLIST-style file: `#` comments stripped, blank lines dropped. */
export function parseListFile(text: string): string[] {
  return text
    .split('\n')
    .map((l) => {
      const hash = l.indexOf('#');
      return (hash >= 0 ? l.slice(0, hash) : l).trim();
    })
    .filter((l) => l !== '');
}

function entryOf(raw: string, substring: boolean): NameEntry {
  const slash = raw.indexOf('/');
  const wrap = (s: string) => (substring ? `*${s}*` : s);
  if (slash < 0) return { test: wrap(raw) };
  return { test: wrap(raw.slice(0, slash)), sub: wrap(raw.slice(slash + 1)) };
}

/** Parses one -t/-b/-a/-d argument into entries. */
export function parseNames(value: string, opts: ParseNamesOptions): NameEntry[] {
  const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const out: NameEntry[] = [];
  for (const part of value.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    if (item.startsWith('@')) {
      let text: string;
      try {
        text = read(item.slice(1));
      } catch (e) {
        throw new SelectionError(`cannot read test list '${item.slice(1)}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      for (const line of parseListFile(text)) out.push(entryOf(line, opts.substring));
    } else {
      out.push(entryOf(item, opts.substring));
    }
  }
  return out;
}

/** `1,3-5` → [1, 3, 4, 5]. */
export function parseNumberSet(text: string, what: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new SelectionError(`bad ${what} number set '${text}' (use e.g. 3, 1-3 or 5-10,1,3-4)`);
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (lo < 1 || hi < lo) throw new SelectionError(`bad ${what} number range '${part.trim()}' in '${text}' (numbers start at 1)`);
    if (hi - lo > 100_000) throw new SelectionError(`${what} number range '${part.trim()}' is too large`);
    for (let n = lo; n <= hi; n++) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

/** Parses a -n argument: `NUMS` or `NUMS/SUBNUMS`. */
export function parseNumbers(value: string): NumberEntry {
  const slash = value.indexOf('/');
  if (slash < 0) return { tests: parseNumberSet(value, 'test') };
  return { tests: parseNumberSet(value.slice(0, slash), 'test'), subs: parseNumberSet(value.slice(slash + 1), 'subtest') };
}

/** Whether the test runs at all (its subtests are filtered by subtestSelected). */
export function testSelected(sel: Selector, name: string, num: number): boolean {
  if (sel.deny.some((e) => e.sub === undefined && globMatch(e.test, name))) return false;
  if (sel.allow.some((e) => globMatch(e.test, name))) return true;
  if (sel.allow.length === 0 && sel.nums.length === 0) return true;
  return sel.nums.some((n) => n.tests.includes(num));
}

/** Whether a subtest of a selected test runs. */
export function subtestSelected(sel: Selector, test: string, testNum: number, sub: string, subNum: number): boolean {
  if (sel.deny.some((e) => e.sub !== undefined && globMatch(e.test, test) && globMatch(e.sub, sub))) return false;
  if (sel.allow.some((e) => globMatch(e.test, test) && (e.sub === undefined || globMatch(e.sub, sub)))) return true;
  if (sel.allow.length === 0 && sel.nums.length === 0) return true;
  return sel.nums.some((n) => n.tests.includes(testNum) && (n.subs === undefined || n.subs.includes(subNum)));
}

/** Whether the selection names subtests (then a test whose subtests were all filtered out is not reported). */
export function selectsSubtests(sel: Selector): boolean {
  return sel.allow.some((e) => e.sub !== undefined) || sel.deny.some((e) => e.sub !== undefined) || sel.nums.some((n) => n.subs !== undefined);
}

/** Profiles named by patterns (names or globs, in PROFILES order); throws naming an unknown one. */
export function resolveProfiles(patterns: readonly string[]): Profile[] {
  if (patterns.length === 0) return [...PROFILES];
  for (const p of patterns) {
    if (!PROFILES.some((x) => globMatch(p, x.name))) {
      throw new Error(`unknown profile '${p}' (known: ${PROFILES.map((x) => x.name).join(', ')})`);
    }
  }
  return PROFILES.filter((x) => patterns.some((p) => globMatch(p, x.name)));
}

/** The tests a selector picks (before any subtest filtering), in their order. */
export function selectedTests<T extends TestId>(tests: readonly T[], selector: Selector): T[] {
  return tests.filter((t) => testSelected(selector, t.name, t.number));
}
