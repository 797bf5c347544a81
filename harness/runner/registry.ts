/**
 * The test registry, by convention as test_progs' generated tests.h (style anchor L11): every
 * `*.selftest.ts` file under a directory (compiled: `*.selftest.js`) is loaded, and each export
 * named `test_<name>` or `serial_test_<name>` that is a function is a test. Adding a file
 * registers its tests; nothing else lists them.
 *
 * Numbers are the 1-based position of the test name in the sorted (C locale: code unit
 * order) list of all tests, so `-n 12` means the same test whatever is selected.
 */
import { messageOf } from './thrown';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { TestFn } from './context';

export interface TestDef {
  /** The test name: the export name without `test_` / `serial_test_`. */
  readonly name: string;
  /** 1-based alphabetical position among all discovered tests. */
  readonly number: number;
  /** Exported as serial_test_<name>: never runs beside other tests (-j runs it afterwards). */
  readonly serial: boolean;
  readonly exportName: string;
  /** The file it came from (absolute). */
  readonly file: string;
  readonly fn: TestFn;
}

/** The registry could not be built (unreadable directory, a file that fails to load, a duplicate name). */
export class RegistryError extends Error {}

/** The product's selftests: `selftests/` beside `harness/` (in dist/ too). */
export const DEFAULT_SELFTESTS_DIR = resolve(__dirname, '../../selftests');

const TEST_EXPORT = /^(serial_)?test_(.+)$/;

/** Whether .ts files can be required here (ts-node registered, as under mocha or in a ts-node worker). */
function canLoadTs(): boolean {
  return require.extensions['.ts'] !== undefined;
}

/** The selftest files under dir, sorted; a .ts and a .js of the same name count once. */
export function findSelftestFiles(dir: string, ts: boolean = canLoadTs()): string[] {
  const found = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(p);
        continue;
      }
      const m = /^(.*\.selftest)\.(ts|js)$/.exec(entry.name);
      if (!m || entry.name.endsWith('.d.ts')) continue;
      if (m[2] === 'ts' && !ts) continue;
      const key = join(d, m[1]!);
      // Prefer the source when ts-node can load it, else the compiled file.
      if (!found.has(key) || (ts ? m[2] === 'ts' : m[2] === 'js')) found.set(key, p);
    }
  };
  walk(dir);
  return [...found.values()].sort();
}

/**
 * The `*.selftest.ts` files under dir that findSelftestFiles leaves out because nothing can
 * load TypeScript here (the compiled CLI without ts-node) and no compiled twin exists.
 */
export function unloadableTsSelftests(dir: string, ts: boolean = canLoadTs()): string[] {
  if (ts || !existsSync(dir)) return [];
  const loaded = new Set(findSelftestFiles(dir, false).map((f) => f.replace(/\.js$/, '')));
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(p);
      } else if (entry.name.endsWith('.selftest.ts') && !loaded.has(p.replace(/\.ts$/, ''))) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Loads every selftest file under dir and returns the tests sorted by name, numbered.
 * A missing directory gives no tests unless `mustExist`.
 */
export function discoverTests(dirArg: string = DEFAULT_SELFTESTS_DIR, mustExist = false): TestDef[] {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    if (mustExist) throw new RegistryError(`selftests directory '${dir}' ${existsSync(dir) ? 'is not a directory' : 'does not exist'}`);
    return [];
  }
  const defs: Omit<TestDef, 'number'>[] = [];
  const byName = new Map<string, string>();
  for (const file of findSelftestFiles(dir)) {
    let mod: Record<string, unknown>;
    try {
      mod = require(file) as Record<string, unknown>;
    } catch (e) {
      throw new RegistryError(`cannot load ${relative(process.cwd(), file)}: ${messageOf(e).split('\n')[0]}`);
    }
    for (const exportName of Object.keys(mod)) {
      const m = TEST_EXPORT.exec(exportName);
      if (!m) continue;
      let value: unknown;
      try {
        value = mod[exportName];
      } catch (e) {
        throw new RegistryError(`cannot load ${relative(process.cwd(), file)}: reading export ${exportName}: ${messageOf(e).split('\n')[0]}`);
      }
      if (typeof value !== 'function') throw new RegistryError(`${relative(process.cwd(), file)}: export ${exportName} is not a function`);
      const name = m[2]!;
      // Names are selected with -t/-a (',' separates names, '/' a subtest) and printed in KTAP ('#' starts a directive).
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new RegistryError(`${relative(process.cwd(), file)}: export ${exportName}: a test name has letters, digits, '_', '.' and '-' only`);
      const other = byName.get(name);
      if (other !== undefined) throw new RegistryError(`test '${name}' is defined twice: ${relative(process.cwd(), other)} and ${relative(process.cwd(), file)}`);
      byName.set(name, file);
      defs.push({ name, serial: m[1] !== undefined, exportName, file, fn: value as TestFn });
    }
  }
  defs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return defs.map((d, i) => ({ ...d, number: i + 1 }));
}
