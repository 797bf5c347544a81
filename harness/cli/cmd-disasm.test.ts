import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOneLineError, run } from './testing';

const OBJ_DIR = join(__dirname, '..', '..', 'emulator', 'fixtures', 'obj');
const OBJ = join(OBJ_DIR, 'arith.rv64gc.o');

describe('rvtramp disasm FILE', function () {
  this.timeout(30000);

  it('prints the committed objdump -d listing of a file (the file name line aside)', async () => {
    const r = await run(['disasm', OBJ]);
    expect(r.code).to.equal(0);
    const want = readFileSync(join(OBJ_DIR, 'arith.rv64gc.objdump'), 'utf8').replace('arith.rv64gc.o:', `${OBJ}:`);
    expect(r.out).to.equal(want);
  });

  it('takes --symbol NAME and --symbol=NAME alike, and a FILE after --', async () => {
    const spaced = await run(['disasm', OBJ, '--symbol', 'add3']);
    expect(spaced.code).to.equal(0);
    expect(spaced.out).to.contain('<add3>:');
    expect((await run(['disasm', '--symbol=add3', OBJ])).out).to.equal(spaced.out);
    expect((await run(['disasm', '--symbol', 'add3', '--', OBJ])).out).to.equal(spaced.out);
    // After --, an option-like word is a file name.
    expectOneLineError(await run(['disasm', '--', OBJ, '--symbol=add3']), /unexpected argument '--symbol=add3': only one FILE is listed/);
    expectOneLineError(await run(['disasm', OBJ, '--frobnicate']), /unknown option '--frobnicate'/);
    expectOneLineError(await run(['disasm', '--', '--kernel']), /cannot read --kernel/);
  });

  it('--kernel takes --profile=P and --symbol=NAME too', async () => {
    const a = await run(['disasm', '--kernel', '-p', 'v6.8', '--symbol', 'bpf_fentry_test1']);
    const b = await run(['disasm', '--kernel', '--profile=v6.8', '--symbol=bpf_fentry_test1']);
    expect(b.code).to.equal(0);
    expect(b.out).to.equal(a.out);
  });
});
