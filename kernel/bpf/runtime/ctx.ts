/**
 * The typed view of a tracing program's ctx (the trampoline's argument array), and the
 * helpers that read it, with the semantics the kernel gives them:
 *
 * - ctx.arg(name) / ctx.struct(name): BTF ctx access at the argument's declared slot, only
 *   the bytes of its type, extended by its signedness.
 * - ctx.ret(): the slot after the declared arguments (fexit / fmod_ret; fentry programs
 *   cannot read it: the verifier rejects that, here it is an error in the test).
 * - bpf_get_func_arg_cnt = ctx[-1]; bpf_get_func_arg(n) = ctx[n], -EINVAL when n >= ctx[-1];
 *   bpf_get_func_ret = ctx[ctx[-1]], -EOPNOTSUPP in fentry programs. These use the nregs the
 *   trampoline stored, at run time (the verifier inlines them that way).
 * - bpf_get_func_ip = ctx[-2], only for programs declared with usesFuncIp.
 * - bpf_get_attach_cookie = the bpf_cookie of the run_ctx __bpf_prog_enter installed.
 * - ctx.read(addr, type): a BTF pointer dereference (BPF_PROBE_MEM): a faulting read is 0.
 * - ctx.write(addr, type, v): a store through a BTF pointer the verifier lets the program
 *   write (a struct_ops program's bpf_dummy_ops_state): a fault is an oops.
 */
import type { Hart } from '../../../emulator/cpu/hart';
import { hex } from '../../../emulator/memory/address';
import type { BpfProg, Bss } from './prog';
import { BPF_CTX, BPF_TRAMP_RUN_CTX } from './layout';
import { extend, isScalar, readLe, scalarInfo, structLayout, type ArgLayout, type ScalarType } from './types';

export const EINVAL = 22n;
export const EOPNOTSUPP = 95n;
/** BPF_TRAMP_COOKIE_INDEX_SHIFT and BPF_TRAMP_IS_RETURN_SHIFT (7.0). */
const FUNC_META_COOKIE_SHIFT = 8n;
const FUNC_META_IS_RETURN_SHIFT = 63n;

/** A helper's result: err 0 and the value, or a negative errno and value 0. */
export interface HelperResult {
  readonly err: bigint;
  readonly value: bigint;
}

/** What a ctx view needs from the runtime. */
export interface CtxHost {
  /** Reads kernel memory; a fault is a kernel oops (BUG in the log, the run stops). */
  kread(addr: bigint, size: 1 | 2 | 4 | 8, who: string): bigint;
  /** Writes kernel memory (a session cookie on the trampoline's stack, a struct a struct_ops
   *  program may write); a fault is an oops. */
  kwrite(addr: bigint, value: bigint, who: string, size?: 1 | 2 | 4 | 8): void;
  /** Reads kernel memory; undefined when the bytes are not all readable. */
  probeRead(addr: bigint, size: number): Uint8Array | undefined;
  currentRunCtx(hart: Hart): bigint;
  /** ctx[-1] is func_meta (7.0, f1b56b3cbdb2): helpers take nr_args from its low byte. Before,
   *  the whole word was the count. */
  readonly funcMeta: boolean;
  warn(text: string): void;
}

export class ProgCtx {
  constructor(
    private readonly rt: CtxHost,
    readonly prog: BpfProg,
    readonly hart: Hart,
    /** The ctx pointer the program got in a0. */
    readonly addr: bigint,
  ) {}

  get bss(): Bss {
    return this.prog.bss;
  }

  /** The u64 in ctx slot i (i may be negative: -1 nregs, -2 ip). */
  word(i: number): bigint {
    return this.rt.kread(this.addr + BigInt(i * BPF_CTX.slot), 8, `bpf prog ${this.prog.name} ctx[${i}]`);
  }

  /** A scalar argument by name or declared position, with its C type. */
  arg(which: string | number): bigint {
    const a = this.decl(which);
    if (!isScalar(a.type)) throw new Error(`bpf prog ${this.prog.name}: argument '${a.name}' is struct ${a.type.struct}: use ctx.struct()`);
    return extend(a.type, this.word(a.slot));
  }

  /** The bytes of an argument's slots (8 per slot), little-endian as stored. */
  argBytes(which: string | number): Uint8Array {
    const a = this.decl(which);
    const out = new Uint8Array(a.slots * 8);
    for (let i = 0; i < a.slots; i++) {
      let w = this.word(a.slot + i);
      for (let b = 0; b < 8; b++, w >>= 8n) out[i * 8 + b] = Number(w & 0xffn);
    }
    return out;
  }

  /** A struct argument passed by value: its fields by name. */
  struct(which: string | number): Record<string, bigint> {
    const a = this.decl(which);
    if (isScalar(a.type)) throw new Error(`bpf prog ${this.prog.name}: argument '${a.name}' is ${a.type}, not a struct`);
    const bytes = this.argBytes(which);
    const out: Record<string, bigint> = {};
    for (const f of structLayout(a.type).fields) out[f.name] = extend(f.type, readLe(bytes, f.offset, scalarInfo(f.type).size));
    return out;
  }

  /** The traced function's return value (fexit; fsession: 0 on the entry side, whose slot the
   *  trampoline zeroed), or the current fmod_ret value (fmod_ret). */
  ret(): bigint {
    const p = this.prog;
    if (p.attach === 'fentry' || p.attach === 'classifier' || p.attach === 'struct_ops') throw new Error(`bpf prog ${p.name}: ${p.attach} programs cannot read the return value`);
    if (p.argSlots === undefined) throw new Error(`bpf prog ${p.name}: ctx.ret() needs the arguments declared (args)`);
    return extend(p.retType, this.word(p.argSlots));
  }

  /** bpf_get_func_ip. */
  funcIp(): bigint {
    if (!this.prog.usesFuncIp) {
      throw new Error(`bpf prog ${this.prog.name} calls bpf_get_func_ip but is not declared with usesFuncIp (the trampoline would not store the ip)`);
    }
    return this.word(BPF_CTX.ip / BPF_CTX.slot);
  }

  /** ctx[-1]: nr_args, and since 7.0 func_meta (fsession's cookie index and is_return above it). */
  private meta(): bigint {
    return this.word(BPF_CTX.nregs / BPF_CTX.slot);
  }

  /** bpf_get_func_arg_cnt: ctx[-1], since 7.0 its low byte (f1b56b3cbdb2). */
  argCnt(): bigint {
    const w = this.meta();
    return this.rt.funcMeta ? w & 0xffn : w;
  }

  /** bpf_session_is_return for an fsession program: bit 63 of ctx[-1], set by the trampoline
   *  before it runs the exit side. */
  sessionIsReturn(): boolean {
    if (this.prog.attach !== 'fsession') throw new Error(`bpf prog ${this.prog.name}: bpf_session_is_return is for fsession programs (the verifier refuses it for ${this.prog.attach})`);
    return ((this.meta() >> FUNC_META_IS_RETURN_SHIFT) & 1n) === 1n;
  }

  /** bpf_session_cookie: the address of this program's cookie, ctx - 8 * (ctx[-1] >> 8 & 0xff). */
  sessionCookie(): bigint {
    const p = this.prog;
    if (p.attach !== 'fsession' || !p.usesSessionCookie) {
      throw new Error(`bpf prog ${p.name}: bpf_session_cookie needs an fsession program declared with usesSessionCookie (the trampoline gives only those a cookie slot)`);
    }
    const idx = (this.meta() >> FUNC_META_COOKIE_SHIFT) & 0xffn;
    return this.addr - idx * BigInt(BPF_CTX.slot);
  }

  /** `*bpf_session_cookie(ctx)`: the cookie's value. */
  readCookie(): bigint {
    return this.rt.kread(this.sessionCookie(), 8, `bpf prog ${this.prog.name} session cookie`);
  }

  /** `*bpf_session_cookie(ctx) = v`. */
  writeCookie(v: bigint): void {
    this.rt.kwrite(this.sessionCookie(), v, `bpf prog ${this.prog.name} session cookie`);
  }

  /** bpf_get_func_arg(ctx, n, &value). */
  getFuncArg(n: number): HelperResult {
    if (n < 0 || BigInt(n) >= this.argCnt()) return { err: -EINVAL, value: 0n };
    return { err: 0n, value: this.word(n) };
  }

  /** bpf_get_func_ret(ctx, &value). */
  getFuncRet(): HelperResult {
    if (this.prog.attach !== 'fexit' && this.prog.attach !== 'fmod_ret' && this.prog.attach !== 'fsession') return { err: -EOPNOTSUPP, value: 0n };
    const n = this.argCnt();
    return { err: 0n, value: this.rt.kread(this.addr + n * BigInt(BPF_CTX.slot), 8, `bpf_get_func_ret: prog ${this.prog.name} ctx[${n}]`) };
  }

  /** bpf_get_attach_cookie. */
  cookie(): bigint {
    const rc = this.rt.currentRunCtx(this.hart);
    if (rc === 0n) {
      this.rt.warn(`bpf_get_attach_cookie: prog ${this.prog} runs without a run_ctx (not entered through __bpf_prog_enter)`);
      return 0n;
    }
    return this.rt.kread(rc + BigInt(BPF_TRAMP_RUN_CTX.bpfCookie), 8, `bpf_get_attach_cookie (run_ctx ${hex(rc)})`);
  }

  /** `*(type *)addr` through a BTF pointer: 0 when the read faults (counted in prog.probeFaults). */
  read(addr: bigint, type: ScalarType = 'u64'): bigint {
    const { size } = scalarInfo(type);
    const b = this.rt.probeRead(addr, size);
    if (!b) {
      this.prog.probeFaults++;
      return 0n;
    }
    return extend(type, readLe(b, 0, size));
  }

  /** `*(type *)addr = v` through a writable BTF pointer. */
  write(addr: bigint, type: ScalarType, v: bigint): void {
    const { size } = scalarInfo(type);
    this.rt.kwrite(addr, v, `bpf prog ${this.prog.name} store`, size as 1 | 2 | 4 | 8);
  }

  private decl(which: string | number): ArgLayout {
    const args = this.prog.args;
    if (!args) throw new Error(`bpf prog ${this.prog.name}: no arguments declared (args), read ctx.word(i) instead`);
    const a = typeof which === 'number' ? args[which] : args.find((x) => x.name === which);
    if (!a) throw new Error(`bpf prog ${this.prog.name}: no argument ${typeof which === 'number' ? `#${which}` : `'${which}'`} (declared: ${args.map((x) => x.name).join(', ') || 'none'})`);
    return a;
  }
}
