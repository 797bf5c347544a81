/**
 * `npm test` runs every fast-check property with a fixed seed, so that a run is the same on
 * every machine and a failure is reproducible from the commit alone. This test refuses code
 * that would run one without: every `fc.assert(` / `fc.check(` / `fc.sample(` in the sources
 * must pass a `seed:` key (or its parameters from fcParams). Campaigns with fresh seeds are
 * `rvtramp fuzz`'s job.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');
const DIRS = ['emulator', 'kernel', 'harness', 'selftests', 'tools'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'fixtures' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/**
 * The top-level arguments of the call whose '(' is at `open`, as text. Brackets nest; string
 * literals and comments are skipped, so a ')' or ',' inside them does not count.
 */
function callArgs(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '/' && text[i + 1] === '/') i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    else if (c === '/' && text[i + 1] === '*') i = text.indexOf('*/', i + 2) + 1;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (--depth === 0) {
        args.push(text.slice(start, i));
        // A trailing comma leaves an empty last argument.
        return args.filter((a, k) => k < args.length - 1 || a.trim() !== '');
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return args;
}

/** Where a property runs without a seed: `file:line` for each. */
export function unseededRuns(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\bfc\.(assert|check|sample)\(/g)) {
    // The parameters are the last argument: a `seed` key there (`seed: x` or shorthand; not a
    // spread that may be empty), or fcParams(...). A seed inside the property does not count.
    const args = callArgs(text, m.index! + m[0].length - 1);
    const params = args.length > 1 ? args[args.length - 1]! : '';
    if (!/^\s*\{(?:[\s\S]*[{,])?\s*seed\s*[:,}]|^\s*fcParams\s*(<[^>]*>)?\s*\(/.test(params)) out.push(`${relative(ROOT, file)}:${text.slice(0, m.index).split('\n').length}`);
  }
  return out;
}

describe('fast-check runs have fixed seeds', () => {
  it('the check finds a run without a seed, and accepts one with it', () => {
    expect(unseededRuns(join(ROOT, 'x.ts'), 'fc.assert(fc.property(a, (x) => f(x)), { numRuns: 5 });')).to.deep.equal(['x.ts:1']);
    expect(unseededRuns(join(ROOT, 'x.ts'), '\n\nfc.check(p)')).to.deep.equal(['x.ts:3']);
    expect(unseededRuns(join(ROOT, 'x.ts'), 'fc.assert(fc.property(a, (x) => g(x)), { seed: 7, numRuns: 5 });')).to.deep.equal([]);
    expect(unseededRuns(join(ROOT, 'x.ts'), 'fc.check(prop, fcParams<[C]>(run));')).to.deep.equal([]);
    expect(unseededRuns(join(ROOT, 'x.ts'), 'fc.check(prop, { seed, numRuns });')).to.deep.equal([]);
    // Seeds that are not the run's: inside the property, a parameter name, a later call's.
    expect(unseededRuns(join(ROOT, 'x.ts'), 'fc.assert(fc.property(fc.record({ seed: fc.nat() }), (r) => g(r)), { numRuns: 5 });')).to.deep.equal(['x.ts:1']);
    expect(unseededRuns(join(ROOT, 'x.ts'), 'fc.assert(fc.property(a, ({ seed }) => g(seed)));')).to.deep.equal(['x.ts:1']);
    expect(unseededRuns(join(ROOT, 'x.ts'), 'fc.assert(fc.property(a, (x) => f(")(")));\nfc.assert(q, { seed: 1 });')).to.deep.equal(['x.ts:1']);
    // A '//' inside a string is not a comment.
    expect(unseededRuns(join(ROOT, 'x.ts'), "fc.assert(p, { examples: [['http://x']], seed: 1 });")).to.deep.equal([]);
    // A spread that may be empty, or the word in a comment or a name, is not a seed.
    expect(unseededRuns(join(ROOT, 'x.ts'), 'fc.assert(p, { numRuns: 5, ...seed });')).to.deep.equal(['x.ts:1']);
    expect(unseededRuns(join(ROOT, 'x.ts'), 'fc.assert(fc.property(a, (seed) => f(seed)) /* seed: 1 */, { numRuns: 5 });')).to.deep.equal(['x.ts:1']);
  });

  it('every fc.assert / fc.check / fc.sample in the sources passes a seed', () => {
    const files = DIRS.flatMap((d) => sources(join(ROOT, d))).filter((f) => !f.endsWith('fixed-seeds.test.ts'));
    expect(files.length).to.be.greaterThan(100);
    const found = files.flatMap((f) => unseededRuns(f, readFileSync(f, 'utf8')));
    expect(found, 'fast-check runs without a fixed seed').to.deep.equal([]);
  });
});
