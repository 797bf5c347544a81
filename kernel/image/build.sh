#!/bin/sh
# Builds rvtramp's simulated kernel images: the C test targets in src/ compiled with kernel
# flags, once per ftrace sled layout, linked with kernel.lds at 0xffffffff80000000. Writes
# out/<layout>.elf and its `objdump -d` listing out/<layout>.objdump. The outputs are
# committed, so `npm test` needs no cross toolchain; an oracle test rebuilds them (OUT=<dir>)
# and fails if they differ byte for byte.
#
# Usage: sh kernel/image/build.sh          (npm run build:kernel)
# Environment: CROSS (default riscv64-linux-gnu-), OUT (default <this dir>/out).
# The committed files were made with riscv64-linux-gnu-gcc 12.2 and binutils 2.40.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
CROSS=${CROSS:-riscv64-linux-gnu-}
CC=${CC:-${CROSS}gcc}
LD=${LD:-${CROSS}ld}
OBJDUMP=${OBJDUMP:-${CROSS}objdump}
OUT=${OUT:-$here/out}

case $("$CC" --version | head -1) in
*" 12.2."*) ;;
*) echo "build.sh: warning: the committed images were made with GCC 12.2; expect differences" >&2 ;;
esac

# Kernel-like code generation (arch/riscv/Makefile and the top-level Makefile):
#   -O2 -fno-omit-frame-pointer -fno-optimize-sibling-calls
#                                 what CONFIG_FRAME_POINTER kernels use (the top-level
#                                 Makefile adds both): every function sets up s0, so
#                                 frame-pointer call traces work, and a call in tail position
#                                 stays a call (dummy_ops_call_op calls its trampoline)
#   -mcmodel=medany -fno-pic      kernel code model: auipc-relative, no GOT
#   -mno-relax                    no R_RISCV_RELAX: the linker never shortens call sequences,
#                                 so what GCC emits is what runs
#   -ffreestanding -nostdlib -fno-stack-protector -fno-common -fno-strict-aliasing
#   -fno-asynchronous-unwind-tables -fno-unwind-tables   no .eh_frame (the kernel has none)
#   -mno-save-restore             no calls to __riscv_save_N millicode (the kernel forbids it)
BASE="-std=gnu11 -O2 -fno-omit-frame-pointer -fno-optimize-sibling-calls -mcmodel=medany -mabi=lp64 -fno-pic -mno-relax
 -ffreestanding -nostdlib -fno-stack-protector -fno-common -fno-strict-aliasing
 -fno-asynchronous-unwind-tables -fno-unwind-tables -mno-save-restore
 -Wall -Wextra -Wno-unused-parameter -Werror"
# Keeping the traced functions real, separate, psABI functions. A traced function's caller
# must depend on nothing but its symbol and the psABI contract, because the trampoline runs
# between them (and fmod_ret may skip the body). So no interprocedural optimisation across
# these calls:
#   -fno-ipa-icf          bpf_fentry_shadow_test and bpf_fentry_test1 (and the bpf_testmod
#                         copies, test7/test10) have identical bodies; ICF would fold them
#                         into one function or an alias, losing a symbol/sled
#   -fno-ipa-cp           no .constprop clones specialised to the constant arguments the
#                         callers pass (callers would call the clone, not the traced symbol,
#                         and the arguments would never be passed)
#   -fno-ipa-sra          no .isra clones with changed signatures (dropped unused parameters,
#                         struct arguments split into scalars)
#   -fno-ipa-pure-const   callers must not drop or CSE a call whose result is ignored
#                         ((void)bpf_testmod_test_struct_arg_5()) as "const"
#   -fno-ipa-ra           callers must assume every caller-saved register is clobbered, as
#                         the psABI says, not only the ones GCC saw the callee touch: a
#                         trampoline may use any of them
#   -fno-ipa-modref       callers must not assume what a callee reads or writes through its
#                         pointer arguments
# With GCC 12.2 and these sources, leaving the flags out makes no clone, merges nothing and
# drops no argument (it does not fold these externally visible twins by itself); it only
# changes the block order in bpf_testmod_test_read. The flags make that a guarantee rather
# than luck; kernel/image tests check the symbols and the arguments.
NOIPA="-fno-ipa-icf -fno-ipa-cp -fno-ipa-sra -fno-ipa-pure-const -fno-ipa-ra -fno-ipa-modref"
# Reproducible output: no build id, no absolute paths (there is no debug info either; the
# STT_FILE symbols are the bare source names because we compile from src/).
REPRO="-ffile-prefix-map=$here/=kernel/image/"
LDFLAGS="-m elf64lriscv -static -nostdlib --no-relax --build-id=none -z noexecstack
 -z max-page-size=4096 -z common-page-size=4096 -z norelro"

# layout  march  -fpatchable-function-entry  extra flags
LAYOUTS="
sled16-rvc    rv64imac_zicsr_zifencei  8    -
sled16-norvc  rv64ima_zicsr_zifencei   8    -
sled8-rvc     rv64imac_zicsr_zifencei  4    -falign-functions=4
sled8-norvc   rv64ima_zicsr_zifencei   2    -
callops-rvc   rv64imac_zicsr_zifencei  8,4  -falign-functions=8
callops-norvc rv64ima_zicsr_zifencei   4,2  -falign-functions=8
"
SOURCES="test_run bpf_testmod bpf_dummy_struct_ops bpf_testmod_ops version"

mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "$LAYOUTS" | while read -r layout march pfe extra; do
	[ -n "$layout" ] || continue
	align=0
	case $extra in -falign-functions=*) align=${extra#-falign-functions=} ;; - ) extra= ;; esac
	case $pfe in *,*) total=${pfe%,*} before=${pfe#*,} ;; *) total=$pfe before=0 ;; esac
	info="-DRVTRAMP_LAYOUT=\"$layout\" -DRVTRAMP_PFE_TOTAL=$total -DRVTRAMP_PFE_BEFORE=$before -DRVTRAMP_FUNC_ALIGN=$align"
	objs=
	for s in $SOURCES; do
		# Compile from src/ so the STT_FILE symbol is the bare source name.
		(cd "$here/src" && "$CC" $BASE $NOIPA $REPRO -march="$march" \
			-fpatchable-function-entry="$pfe" $extra $info -c "$s.c" -o "$tmp/$layout.$s.o")
		objs="$objs $tmp/$layout.$s.o"
	done
	"$LD" $LDFLAGS -T "$here/kernel.lds" -o "$tmp/$layout.elf" $objs
	cp "$tmp/$layout.elf" "$OUT/$layout.elf"
	(cd "$OUT" && "$OBJDUMP" -d "$layout.elf" >"$layout.objdump")
done
