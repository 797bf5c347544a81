/**
 * Golden oops reports: the full text for a few faults, checked in under kernel/oops/golden/.
 *
 * When a change to the report (or to the disassembler, kallsyms or the kernel images) is
 * intended, regenerate and review the files with:
 *
 *   RVTRAMP_ACCEPT=1 npx mocha --no-config -r ts-node/register/transpile-only kernel/oops/golden.test.ts
 *
 * and commit them with the change (`git diff kernel/oops/golden` is the review).
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LayoutName } from '../image/layouts';
import { oopsReport } from './report';
import { runScenario, type ScenarioName } from './testing';

const GOLDEN_DIR = path.join(__dirname, 'golden');
const ACCEPT_ENV = 'RVTRAMP_ACCEPT';
const ACCEPT_CMD = `${ACCEPT_ENV}=1 npx mocha --no-config -r ts-node/register/transpile-only kernel/oops/golden.test.ts`;

const CASES: readonly (readonly [ScenarioName, LayoutName, string])[] = [
  ['load-fault', 'sled8-rvc', 'a load through a bad pointer in a leaf (RVC)'],
  ['illegal-nested', 'sled16-norvc', 'an illegal instruction two frames deep (no RVC)'],
  ['poisoned-temp', 'callops-rvc', 'a trampoline trusting a temporary across a host call'],
];

/** A unified diff (3 lines of context) of two texts, by lines; '' when they are equal. */
export function unifiedDiff(want: string, got: string, names = ['golden', 'actual']): string {
  const a = want.split('\n');
  const b = got.split('\n');
  // LCS table, from the end.
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: { t: ' ' | '-' | '+'; line: string; ai: number; bi: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ t: ' ', line: a[i]!, ai: i++, bi: j++ });
    else if (j < m && (i === n || lcs[i]![j + 1]! > lcs[i + 1]![j]!)) ops.push({ t: '+', line: b[j]!, ai: i, bi: j++ });
    else ops.push({ t: '-', line: a[i]!, ai: i++, bi: j });
  }
  const changed = ops.map((o, k) => (o.t !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return '';
  const out = [`--- ${names[0]}`, `+++ ${names[1]}`];
  const CONTEXT = 3;
  let k = 0;
  while (k < changed.length) {
    const lo = Math.max(0, changed[k]! - CONTEXT);
    let hi = Math.min(ops.length, changed[k]! + CONTEXT + 1);
    while (k + 1 < changed.length && changed[k + 1]! - CONTEXT <= hi) hi = Math.min(ops.length, changed[++k]! + CONTEXT + 1);
    const hunk = ops.slice(lo, hi);
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    out.push(`@@ -${hunk[0]!.ai + 1},${aLen} +${hunk[0]!.bi + 1},${bLen} @@`);
    for (const o of hunk) out.push(o.t + o.line);
    k++;
  }
  return out.join('\n');
}

describe('kernel/oops golden reports', () => {
  it('unifiedDiff shows changed lines with context and line numbers', () => {
    expect(unifiedDiff('a\nb\nc', 'a\nb\nc')).to.equal('');
    expect(unifiedDiff('1\n2\n3\n4\n5\n6\n7\n8\n9', '1\n2\n3\n4\nfive\n6\n7\n8\n9')).to.equal(
      ['--- golden', '+++ actual', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8'].join('\n'),
    );
    expect(unifiedDiff('x', 'x\ny')).to.equal(['--- golden', '+++ actual', '@@ -1,1 +1,2 @@', ' x', '+y'].join('\n'));
  });

  for (const [scenario, layout, what] of CASES) {
    const file = path.join(GOLDEN_DIR, `${scenario}.${layout}.txt`);
    it(`${scenario} on ${layout}: ${what} (${path.relative(path.join(__dirname, '..', '..'), file)})`, () => {
      const got = oopsReport(runScenario(layout, scenario).input);
      if (process.env[ACCEPT_ENV] === '1') {
        fs.mkdirSync(GOLDEN_DIR, { recursive: true });
        fs.writeFileSync(file, got);
        return;
      }
      if (!fs.existsSync(file)) expect.fail(`no golden file ${file}; create it with:\n  ${ACCEPT_CMD}\n\nthe report is:\n${got}`);
      const want = fs.readFileSync(file, 'utf8');
      if (want !== got) {
        expect.fail(`the report differs from ${path.basename(file)}; if the change is intended, accept it with:\n  ${ACCEPT_CMD}\n\n${unifiedDiff(want, got)}`);
      }
    });
  }
});
