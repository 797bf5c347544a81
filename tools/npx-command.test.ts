/**
 * How `npx rvtramp` finds the command in a checkout. The command comes from bin/, a package of
 * its own (bin/package.json) that the root depends on, so `npm ci` links it into
 * node_modules/.bin and npx runs it straight from there. A `bin` in the root package.json
 * would make npm (10+) treat every `npx rvtramp` as self-execution: it installs the checkout
 * into its npx cache (~/.npm/_npx) and loads its whole installer first, about 0.15 s of the
 * 0.5 s cold-start budget (issue 7), on every call.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const json = (p: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, p), 'utf8')) as Record<string, unknown>;

describe('the rvtramp command (npx rvtramp)', () => {
  it('is linked from bin/ by npm ci, not declared by the root package', () => {
    const root = json('package.json');
    expect(root['bin'], 'a root bin makes every npx call reinstall the checkout').to.equal(undefined);
    const cli = json('bin/package.json');
    expect(cli['bin']).to.deep.equal({ rvtramp: 'rvtramp.js' });
    expect((root['dependencies'] as Record<string, string>)[cli['name'] as string]).to.equal('file:bin');
    expect(realpathSync(join(ROOT, 'node_modules', '.bin', 'rvtramp'))).to.equal(realpathSync(join(ROOT, 'bin', 'rvtramp.js')));
  });

  it('runs this checkout\'s CLI through npx', function () {
    this.timeout(30000);
    // npm may add notices of its own on stderr (a newer npm exists): only the outcome counts.
    const env = { ...process.env, npm_config_update_notifier: 'false' };
    const r = spawnSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--offline', 'rvtramp', 'profiles'], { cwd: ROOT, encoding: 'utf8', env });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout, r.stderr).to.match(/^profile +sled layout/);
    expect(r.stdout).to.match(/\nv6\.5\+direct-calls /);
  });
});
