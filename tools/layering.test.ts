/**
 * The layers of DESIGN.md, enforced: emulator <- kernel <- harness <- selftests. emulator/
 * knows nothing of Linux, kernel/ nothing of the harness, mocha or the CLI. The harness reaches
 * the product's suites in selftests/ only through the modules that load them (the selftest
 * registry discovers files at run time; the fuzz driver and the mutation runner run the
 * property suites, as issue 6 asks) — listed here so a new upward import fails this test.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const ROOT = resolve(__dirname, '..');
const LAYERS = ['emulator', 'kernel', 'harness', 'selftests'] as const;
type Layer = (typeof LAYERS)[number];

/** harness files that load the product's property suites from selftests/. */
const SUITE_LOADERS = new Set([
  'harness/fuzz/campaign.ts', 'harness/fuzz/diagnose.ts', 'harness/fuzz/replay-file.ts',
  'harness/cli/cmd-fuzz.ts', 'harness/cli/cmd-replay.ts', 'harness/mutants/run.ts',
]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === 'node_modules' || n === 'fixtures' ? [] : files(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/(?:from|import\()\s*'([^']+)'/g)].map((m) => m[1]!);
}

function layerOf(path: string): Layer | undefined {
  const top = relative(ROOT, path).split('/')[0];
  return (LAYERS as readonly string[]).includes(top!) ? (top as Layer) : undefined;
}

describe('layering', () => {
  for (const layer of LAYERS) {
    it(`${layer}/ imports nothing from a layer above it${layer === 'kernel' || layer === 'emulator' ? ', nor mocha/chai' : ''}`, () => {
      const bad: string[] = [];
      for (const f of files(join(ROOT, layer))) {
        const rel = relative(ROOT, f);
        for (const spec of imports(f)) {
          if ((spec === 'mocha' || spec === 'chai') && (layer === 'emulator' || layer === 'kernel')) bad.push(`${rel}: ${spec}`);
          if (!spec.startsWith('.')) continue;
          const target = layerOf(resolve(dirname(f), spec));
          if (!target || LAYERS.indexOf(target) <= LAYERS.indexOf(layer)) continue;
          if (layer === 'harness' && target === 'selftests' && SUITE_LOADERS.has(rel)) continue;
          bad.push(`${rel} -> ${spec}`);
        }
      }
      expect(bad).to.deep.equal([]);
    });
  }
});

describe('packaging', () => {
  it('what `npm run build` compiles needs only node built-ins and package.json dependencies (not devDependencies)', () => {
    const { builtinModules } = require('node:module') as { builtinModules: string[] };
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { exclude: string[] };
    const excluded = new Set(build.exclude.filter((e) => !e.includes('*')));
    const allowed = new Set([...Object.keys(pkg.dependencies ?? {}), ...builtinModules]);
    const bad: string[] = [];
    for (const f of [...LAYERS, 'tools'].flatMap((d) => files(join(ROOT, d)))) {
      const rel = relative(ROOT, f);
      if (excluded.has(rel)) continue;
      for (const spec of imports(f)) {
        if (spec.startsWith('.') || spec.startsWith('node:')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!allowed.has(name)) bad.push(`${rel}: ${spec}`);
      }
    }
    expect(bad, 'move the package to dependencies, or keep the module out of the build (tsconfig.build.json)').to.deep.equal([]);
  });
});
