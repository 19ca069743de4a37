/*
 * CPL 0 code: descriptor tables and the trap handler.  Under PVM every
 * instruction here is emulated (~1.3 M instructions/s), so it does as
 * little as possible and never touches SSE/x87 (-mgeneral-regs-only).
 */
#include "guest.h"

struct frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vec, err;
	u64 rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

struct idt_gate {
	u16 off0, sel;
	u8 ist, attr;
	u16 off1;
	u32 off2, rsvd;
} __attribute__((packed));

struct tss {
	u32 rsvd0;
	u64 rsp0, rsp1, rsp2, rsvd1;
	u64 ist[7];
	u64 rsvd2;
	u16 rsvd3, iomap_base;
} __attribute__((packed));

/* In .data, not .bss: the BSP fills it before .bss is cleared. */
static struct idt_gate idt[256] __attribute__((aligned(16), section(".data.idt")));
static struct { u16 limit; u64 base; } __attribute__((packed)) idt_desc
	__attribute__((section(".data.idt"))) = { sizeof(idt) - 1, (u64)idt };

extern char trap_vectors[], gate_ud2[];
u64 lapic_eoi_addr;		/* set at CPL 3 once the LAPIC is known */
volatile u64 timer_ticks;

/* Fill cpu's TSS and GDT descriptor.  Runs at CPL 0 for the BSP and at
 * CPL 3 (the GDT and TSS area are ordinary memory) for each AP. */
void cpu_prepare_ap(int cpu)
{
	struct tss *t = (struct tss *)(tss_area + 128 * cpu);
	u64 base = (u64)t;
	u32 iomap = (MAX_CPUS - cpu) * 128;
	u32 limit = iomap + 8192;	/* includes the 0xff end byte */

	t->rsp0 = (u64)kstacks + (u64)(cpu + 1) * KSTACK_SIZE;
	t->iomap_base = iomap;
	gdt[SEL_TSS(cpu) / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		(0x89UL << 40) | ((u64)((limit >> 16) & 0xf) << 48) |
		(((base >> 24) & 0xff) << 56);
	gdt[SEL_TSS(cpu) / 8 + 1] = base >> 32;
}

static void load_tr_idt(int cpu)
{
	__asm__ __volatile__("ltr %w0" :: "r"(SEL_TSS(cpu)));
	__asm__ __volatile__("lidt %0" :: "m"(idt_desc));
}

void cpu_init(int cpu)
{
	for (int i = 0; i < 256; i++) {
		u64 h = (u64)trap_vectors + 16 * i;
		idt[i] = (struct idt_gate){ (u16)h, SEL_KCODE, 0, 0x8e,
			(u16)(h >> 16), (u32)(h >> 32), 0 };
	}
	cpu_prepare_ap(cpu);
	load_tr_idt(cpu);
}

void ap_cpu_init(int cpu)
{
	load_tr_idt(cpu);
}

/* Panic output straight to COM1, no LSR polling (each poll is an exit). */
static void kputs(const char *s)
{
	for (; *s; s++)
		outb(0x3f8, *s);
}

static void kputx(u64 v)
{
	char b[19];
	b[0] = '0';
	b[1] = 'x';
	for (int i = 0; i < 16; i++)
		b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	b[18] = 0;
	kputs(b);
}

static void eoi(void)
{
	if (lapic_eoi_addr)
		*(volatile u32 *)lapic_eoi_addr = 0;
}

void trap(struct frame *f)
{
	if (f->vec == 6 && f->rip == (u64)gate_ud2) {
		u32 lo, hi;
		f->rip += 2;
		switch (f->rax) {
		case GATE_IDLE:		/* wait for any interrupt */
			__asm__ __volatile__("sti; hlt; cli" ::: "memory");
			break;
		case GATE_HALT:
			for (;;)
				__asm__ __volatile__("cli; hlt");
		case GATE_RDMSR:
			__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"((u32)f->rdi));
			f->rax = ((u64)hi << 32) | lo;
			return;
		case GATE_WRMSR:
			__asm__ __volatile__("wrmsr" :: "c"((u32)f->rdi),
				"a"((u32)f->rsi), "d"((u32)(f->rsi >> 32)));
			break;
		case GATE_SPIN:		/* f->rdi iterations of a 2-insn loop */
			__asm__ __volatile__("1: dec %0; jnz 1b" : "+r"(f->rdi) :: "cc");
			break;
		}
		f->rax = 0;
		return;
	}
	if (f->vec == VEC_TIMER) {
		timer_ticks++;
		eoi();
		return;
	}
	if (f->vec == VEC_UART) {
		eoi();
		return;
	}
	if (f->vec == VEC_SPURIOUS)
		return;

	u64 cr2;
	__asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));
	kputs("\r\nGUEST PANIC: vector ");
	kputx(f->vec);
	kputs(" err ");
	kputx(f->err);
	kputs("\r\n  rip ");
	kputx(f->rip);
	kputs(" cs ");
	kputx(f->cs);
	kputs(" rsp ");
	kputx(f->rsp);
	kputs(" cr2 ");
	kputx(cr2);
	kputs("\r\nVMDTEST FAIL panic: exception\r\n");
	for (;;)
		__asm__ __volatile__("cli; hlt");
}
