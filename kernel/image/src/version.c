/*
 * version.c: what the image says about itself. linux_banner (read-only) and init_uts_name
 * (writable, like the kernel's init_uts_ns) are the image's .rodata and .data;
 * rvtramp_image_info records the sled layout the image was compiled for, so the loader can
 * check that it loaded what it was asked for.
 */
#include "kernel.h"

#ifndef RVTRAMP_LAYOUT
#error "build.sh defines RVTRAMP_LAYOUT, RVTRAMP_PFE_TOTAL, RVTRAMP_PFE_BEFORE and RVTRAMP_FUNC_ALIGN"
#endif

struct rvtramp_image_info {
	u32 pfe_total;	/* -fpatchable-function-entry=N: nop units in the sled */
	u32 pfe_before;	/* ...,M: of which before the function symbol */
	u32 nop_size;	/* 2 with RVC (c.nop), else 4 */
	u32 func_align;	/* -falign-functions, 0 for the compiler's default */
};

const struct rvtramp_image_info rvtramp_image_info = {
	.pfe_total = RVTRAMP_PFE_TOTAL,
	.pfe_before = RVTRAMP_PFE_BEFORE,
#ifdef __riscv_compressed
	.nop_size = 2,
#else
	.nop_size = 4,
#endif
	.func_align = RVTRAMP_FUNC_ALIGN,
};

const char linux_banner[] = "Linux version 6.x-rvtramp-" RVTRAMP_LAYOUT " (riscv64-linux-gnu-gcc " __VERSION__ ")\n";

struct new_utsname {
	char sysname[65];
	char nodename[65];
	char release[65];
	char version[65];
	char machine[65];
	char domainname[65];
};

struct new_utsname init_uts_name = {
	.sysname = "Linux",
	.nodename = "(none)",
	.release = "6.x-rvtramp-" RVTRAMP_LAYOUT,
	.version = "#1",
	.machine = "riscv64",
	.domainname = "(none)",
};
