/*
 * CPL 0 entry code: the 64-bit boot protocol entry, the AP trampoline,
 * trap stubs, the CPL 3 -> CPL 0 gate and the static GDT, TSS area and
 * page tables.  Everything here runs emulated under PVM, so it is short.
 */
#include "layout.h"
#define CR4_CLEAR	((1 << 2) | (1 << 11) | (1 << 17) | (1 << 20) | (1 << 21) | (1 << 22))
			/* TSD, UMIP, PCIDE, SMEP, SMAP, PKE */

	.section .head.text, "ax"
	.code32
	.globl	startup_32
startup_32:			/* load address + 0: 32-bit entry, unsupported */
	cli
1:	hlt
	jmp	1b

	.org	0x200
	.code64
	.globl	startup_64
startup_64:			/* load address + 0x200: 64-bit entry */
	cli
	cld
	leaq	startup_64(%rip), %rax
	movq	$startup_64, %rcx
	cmpq	%rax, %rcx
	jne	bad_load
	movq	%rsi, boot_params_addr(%rip)
	rdtsc
	movl	%eax, entry_tsc(%rip)
	movl	%edx, entry_tsc+4(%rip)

	lgdt	gdt_desc(%rip)
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movq	$kstacks + KSTACK_SIZE, %rsp
	pushq	$SEL_KCODE
	pushq	$1f
	lretq
1:	movq	$pml4, %rax		/* our own tables: 4 GiB, U/S=1 */
	movq	%rax, %cr3
	movq	%cr4, %rax
	andq	$~CR4_CLEAR, %rax
	movq	%rax, %cr4

	xorl	%edi, %edi
	call	cpu_init		/* IDT, TSS, ltr, lidt (cpu.c) */
	xorl	%edi, %edi
	movq	$bsp_main, %rsi
	jmp	enter_user

bad_load:			/* not at 0x100000: say so, then stop */
	leaq	bad_load_msg(%rip), %rsi
	movw	$0x3f8, %dx
2:	lodsb
	testb	%al, %al
	jz	3f
	outb	%al, %dx
	jmp	2b
3:	cli
	hlt
	jmp	3b
bad_load_msg:
	.asciz	"\r\nvmd test guest: not loaded at 0x100000\r\nVMDTEST FAIL boot: load address\r\n"

	.text
/*
 * enter_user(cpu %edi, entry %rsi): iretq to CPL 3 at entry(cpu) on the
 * cpu's user stack, IF=0, IOPL=0 (port I/O comes from the TSS bitmap).
 */
	.globl	enter_user
enter_user:
	movl	%edi, %eax
	incq	%rax
	imulq	$USTACK_SIZE, %rax
	addq	$ustacks - 8, %rax	/* as if called: rsp % 16 == 8 */
	movq	$0, (%rax)
	pushq	$SEL_UDATA
	pushq	%rax
	pushq	$0x2
	pushq	$SEL_UCODE
	pushq	%rsi
	iretq

/*
 * u64 gate(fn, a, b): the way from CPL 3 back to CPL 0.  The #UD handler
 * (cpu.c) recognises this ud2 by address, runs service fn with a, b and
 * resumes after it with the result in %rax.
 */
	.globl	gate, gate_ud2
gate:
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
gate_ud2:
	ud2
	ret

/* Trap stubs: 16 bytes each, trap_vectors + 16 * n handles vector n. */
	.balign	16
	.globl	trap_vectors
trap_vectors:
	.set	vec, 0
	.rept	256
	.balign	16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq	$0			/* no error code: push a zero */
	.endif
	pushq	$vec
	jmp	trap_common
	.set	vec, vec + 1
	.endr

trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	call	trap			/* cpu.c */
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

/*
 * AP start.  The BSP copies ap_tramp_start..ap_tramp_end to a free page
 * below 1 MiB and sends INIT-SIPI-SIPI with that page as the vector.
 * Real mode -> 32-bit protected mode -> long mode on our page tables.
 */
	.code32
ap_pm32:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$0x20, %eax		/* PAE */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx	/* EFER.LME */
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	%cr0, %eax
	andl	$~0x60000000, %eax	/* caches on (CD, NW off) */
	orl	$0x80000001, %eax	/* PG, PE */
	movl	%eax, %cr0
	ljmpl	$SEL_KCODE, $ap_long64

	.code64
ap_long64:
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	movl	ap_boot_cpu(%rip), %ebx
	leaq	1(%rbx), %rax
	imulq	$KSTACK_SIZE, %rax
	addq	$kstacks, %rax
	movq	%rax, %rsp
	movl	%ebx, %edi
	call	ap_cpu_init		/* ltr, lidt (cpu.c) */
	movl	%ebx, %edi
	movq	$ap_main, %rsi
	jmp	enter_user

	.section .rodata
	.code16
	.globl	ap_tramp_start, ap_tramp_end
ap_tramp_start:			/* runs at CS = page >> 4, IP = 0 */
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	ap_tramp_gdtr - ap_tramp_start
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$SEL_CODE32, $ap_pm32
	.balign	8
ap_tramp_gdtr:
	.word	gdt_end - gdt - 1
	.long	gdt
ap_tramp_end:
	.code64

	.data
	.balign	16
	.globl	gdt, gdt_end, boot_params_addr, entry_tsc, ap_boot_cpu
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08 32-bit code (AP trampoline) */
	.quad	0x00af9a000000ffff	/* 0x10 64-bit code, __BOOT_CS */
	.quad	0x00cf92000000ffff	/* 0x18 data, __BOOT_DS */
	.quad	0x00cff2000000ffff	/* 0x20 user data, DPL 3 */
	.quad	0x00affa000000ffff	/* 0x28 user 64-bit code, DPL 3 */
	.fill	MAX_CPUS * 2, 8, 0	/* 0x30 + 16 * cpu: TSS descriptors */
gdt_end:
	.balign	8
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt
boot_params_addr: .quad	0
entry_tsc:	.quad	0
ap_boot_cpu:	.long	0

/*
 * TSS area: MAX_CPUS TSSs of 128 bytes, then one shared 8 KiB I/O
 * permission bitmap of zeros (all ports allowed) and the 0xff end byte.
 * TSS i sets iomap_base = (MAX_CPUS - i) * 128 so all reach the same
 * bitmap.  It lives in .data so it is valid before .bss is cleared.
 */
	.balign	4096
	.globl	tss_area
tss_area:
	.fill	MAX_CPUS * 128 + 8192, 1, 0
	.byte	0xff

/* Identity map of 0-4 GiB, 2 MiB pages, present|writable|user. */
	.section .data.pagetables, "aw"
	.balign	4096
	.globl	pml4
pml4:	.quad	pdpt + 0x7
	.fill	511, 8, 0
pdpt:	.quad	pd + 0x7, pd + 0x1007, pd + 0x2007, pd + 0x3007
	.fill	508, 8, 0
pd:	.set	i, 0
	.rept	2048
	.quad	(i << 21) + 0x87
	.set	i, i + 1
	.endr

	.section .stack, "aw", @nobits
	.balign	4096
	.globl	kstacks, ustacks
kstacks: .skip	MAX_CPUS * KSTACK_SIZE
ustacks: .skip	MAX_CPUS * USTACK_SIZE
