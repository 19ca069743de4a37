/*
 * The real-mode part of the bzImage (Documentation/arch/x86/boot.rst):
 * the setup header, then (past the 4 KiB boot_params image, which BIOS
 * E820 results overwrite) a small 16-bit entry for loaders that use the
 * 16-bit boot protocol, such as QEMU's -kernel on SeaBIOS.  It fills in
 * e820, maps 0-4 MiB and enters the 64-bit entry like a 64-bit loader.
 * vmd itself uses the 64-bit entry and never runs this code.
 */
	.section .setup, "a"
	.code16
	.globl _setup
_setup:
	.org	0x1f1
setup_sects:	.byte	9		/* 0x1400 bytes of setup in all */
root_flags:	.word	0
syssize:	.long	_syssize	/* protected-mode size / 16 (linker) */
ram_size:	.word	0
vid_mode:	.word	0xffff
root_dev:	.word	0
boot_flag:	.word	0xaa55

	.org	0x200
	.byte	0xeb, setup16_near - 1f	/* 2-byte jump: 16-bit entry */
1:
header:		.ascii	"HdrS"
version:	.word	0x020e		/* 2.14: acpi_rsdp_addr honoured */
realmode_swtch:	.long	0
start_sys_seg:	.word	0x1000
kernel_version:	.word	version_str - 0x200
type_of_loader:	.byte	0
loadflags:	.byte	0x01		/* LOADED_HIGH */
setup_move_size: .word	0
code32_start:	.long	0x100000
ramdisk_image:	.long	0
ramdisk_size:	.long	0
bootsect_kludge: .long	0
heap_end_ptr:	.word	0
ext_loader_ver:	.byte	0
ext_loader_type: .byte	0
cmd_line_ptr:	.long	0
initrd_addr_max: .long	0x7fffffff
kernel_alignment: .long	0x200000
relocatable_kernel: .byte 0		/* must be loaded at 0x100000 */
min_alignment:	.byte	12
xloadflags:	.word	0x0001		/* XLF_KERNEL_64: entry at +0x200 */
cmdline_size:	.long	2047
hardware_subarch: .long	0
hardware_subarch_data: .quad 0
payload_offset:	.long	0
payload_length:	.long	0
setup_data:	.quad	0
pref_address:	.quad	0x100000
init_size:	.long	_init_size	/* image + bss + stacks (linker) */
handover_offset: .long	0

setup16_near:
	jmp	setup16

version_str:	.asciz	"vmd-testguest 0.1"

/*
 * 16-bit entry: CS = setup segment + 0x20, IP = 0 (the jump at 0x200).
 * Uses 0x1000-0x3fff for temporary page tables (0-4 MiB, 2 MiB pages).
 */
	.org	0x1000
setup16:
	cli
	cld
	movw	%cs, %ax
	subw	$0x20, %ax
	movw	%ax, %ds
	movw	%ax, %es
	inb	$0x92, %al		/* fast A20 */
	orb	$2, %al
	andb	$~1, %al
	outb	%al, $0x92

	xorl	%ebx, %ebx		/* BIOS E820 -> boot_params.e820_table */
	movw	$0x2d0, %di
	xorw	%si, %si
1:	movl	$0xe820, %eax
	movl	$20, %ecx
	movl	$0x534d4150, %edx
	int	$0x15
	jc	2f
	cmpl	$0x534d4150, %eax
	jne	2f
	addw	$20, %di
	incw	%si
	cmpw	$128, %si
	jae	2f
	testl	%ebx, %ebx
	jnz	1b
2:	movw	%si, %ax
	movb	%al, 0x1e8		/* e820_entries */

	pushw	%es			/* page tables at 0x1000 */
	xorw	%ax, %ax
	movw	%ax, %es
	movw	$0x1000, %di
	xorl	%eax, %eax
	movw	$3 * 1024, %cx
	rep	stosl
	movl	$0x2003, %es:0x1000
	movl	$0x3003, %es:0x2000
	movl	$0x000083, %es:0x3000
	movl	$0x200083, %es:0x3008
	popw	%es

	xorl	%esi, %esi		/* esi = boot_params (linear) */
	movw	%ds, %si
	shll	$4, %esi
	movl	%esi, %eax
	addl	$gdt16, %eax
	movl	%eax, gdtr16 + 2
	movl	%esi, %eax
	addl	$stub64, %eax
	movl	%eax, farptr
	lgdtl	gdtr16
	movl	$0x20, %eax		/* PAE */
	movl	%eax, %cr4
	movl	$0x1000, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx	/* EFER.LME */
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	%cr0, %eax
	andl	$~0x60000000, %eax
	orl	$0x80000001, %eax	/* PG, PE: straight to long mode */
	movl	%eax, %cr0
	ljmpl	*farptr

	.code64
stub64:
	movl	%esi, %esi		/* RSI = &boot_params, upper half 0 */
	movq	$0x100200, %rax
	jmp	*%rax
	.code16

	.balign	8
gdt16:	.quad	0, 0
	.quad	0x00af9a000000ffff	/* 0x10 __BOOT_CS */
	.quad	0x00cf92000000ffff	/* 0x18 __BOOT_DS */
gdtr16:	.word	31
	.long	0
farptr:	.long	0
	.word	0x10
	.org	0x1400
