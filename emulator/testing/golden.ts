/**
 * Golden files for code generators (sled patches, trampolines, reports): compare text with a
 * committed file; with RVTRAMP_ACCEPT=1 write it instead. A mismatch names the file, shows the
 * first differing lines and the exact command that accepts the new output.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function accepting(): boolean {
  return process.env['RVTRAMP_ACCEPT'] === '1';
}

/** Returns undefined when the text matches (or was accepted), else a failure message. */
export function checkGolden(file: string, actual: string, acceptCommand: string): string | undefined {
  if (accepting()) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return undefined;
  }
  if (!existsSync(file)) return `golden file ${file} does not exist; create it with: ${acceptCommand}`;
  const expected = readFileSync(file, 'utf8');
  if (expected === actual) return undefined;
  const a = actual.split('\n');
  const e = expected.split('\n');
  const out: string[] = [`${file} differs from the generated output (review, then accept with: ${acceptCommand})`];
  let shown = 0;
  for (let i = 0; i < Math.max(a.length, e.length) && shown < 12; i++) {
    if (a[i] === e[i]) continue;
    out.push(`  line ${i + 1}:`, `  - ${e[i] ?? '(missing)'}`, `  + ${a[i] ?? '(missing)'}`);
    shown++;
  }
  return out.join('\n');
}
