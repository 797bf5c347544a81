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

/** The text of the call that opens at `open` (the index of its '('), up to its matching ')'. */
function callText(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open, i + 1);
  }
  return text.slice(open);
}

/** Where a property runs without a seed: `file:line` for each. */
export function unseededRuns(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\bfc\.(assert|check|sample)\(/g)) {
    const call = callText(text, m.index! + m[0].length - 1);
    // A `seed` key in the call (`seed: x` or shorthand; not a spread that may be empty, not the
    // word in a comment or a parameter name), or fcParams.
    if (!/[{,]\s*seed\s*[:,}]|\bfcParams\s*(<[^>]*>)?\s*\(/.test(call.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ''))) out.push(`${relative(ROOT, file)}:${text.slice(0, m.index).split('\n').length}`);
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
