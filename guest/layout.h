/* Constants shared by head.S and the C code. */
#ifndef LAYOUT_H
#define LAYOUT_H

#define MAX_CPUS	64
#define KSTACK_SIZE	4096		/* per CPU, CPL 0 (TSS.RSP0) */
#define USTACK_SIZE	16384		/* per CPU, CPL 3 */

/* Selectors (the GDT in head.S). */
#define SEL_CODE32	0x08		/* AP trampoline only */
#define SEL_KCODE	0x10		/* __BOOT_CS */
#define SEL_KDATA	0x18		/* __BOOT_DS */
#define SEL_UDATA	0x23
#define SEL_UCODE	0x2b
#define SEL_TSS(cpu)	(0x30 + 16 * (cpu))

#endif
