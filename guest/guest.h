/*
 * vmd test guest: shared declarations.
 *
 * Everything here is freestanding C built with -mgeneral-regs-only.
 * Only cpu.c (and head.S) run at CPL 0; everything else runs at CPL 3
 * with port I/O allowed by the TSS I/O bitmap.
 */
#ifndef GUEST_H
#define GUEST_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef long i64;
typedef unsigned long size_t;

#include "layout.h"

#define GUEST_VERSION	"0.1"
#define NULL		((void *)0)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define barrier()	__asm__ __volatile__("" ::: "memory")

/* Interrupt vectors. */
#define VEC_TIMER	0x30
#define VEC_UART	0x34
#define VEC_SPURIOUS	0xff

/* Gate services: CPL 3 calls gate(n, a, b), which executes a ud2 that
 * the #UD handler recognises (PVM turns `int $n` at CPL 3 into #UD). */
enum { GATE_IDLE = 1, GATE_HALT, GATE_RDMSR, GATE_WRMSR, GATE_SPIN };

/* ---- port and MMIO access ---- */
static inline void outb(u16 p, u8 v) { __asm__ __volatile__("outb %0,%1" :: "a"(v), "Nd"(p)); }
static inline void outw(u16 p, u16 v) { __asm__ __volatile__("outw %0,%1" :: "a"(v), "Nd"(p)); }
static inline void outl(u16 p, u32 v) { __asm__ __volatile__("outl %0,%1" :: "a"(v), "Nd"(p)); }
static inline u8 inb(u16 p) { u8 v; __asm__ __volatile__("inb %1,%0" : "=a"(v) : "Nd"(p)); return v; }
static inline u16 inw(u16 p) { u16 v; __asm__ __volatile__("inw %1,%0" : "=a"(v) : "Nd"(p)); return v; }
static inline u32 inl(u16 p) { u32 v; __asm__ __volatile__("inl %1,%0" : "=a"(v) : "Nd"(p)); return v; }

static inline u8 mmio_read8(u64 a) { u8 v; __asm__ __volatile__("movb (%1),%0" : "=q"(v) : "r"(a) : "memory"); return v; }
static inline u16 mmio_read16(u64 a) { u16 v; __asm__ __volatile__("movw (%1),%0" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline u32 mmio_read32(u64 a) { u32 v; __asm__ __volatile__("movl (%1),%0" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline void mmio_write8(u64 a, u8 v) { __asm__ __volatile__("movb %0,(%1)" :: "q"(v), "r"(a) : "memory"); }
static inline void mmio_write16(u64 a, u16 v) { __asm__ __volatile__("movw %0,(%1)" :: "r"(v), "r"(a) : "memory"); }
static inline void mmio_write32(u64 a, u32 v) { __asm__ __volatile__("movl %0,(%1)" :: "r"(v), "r"(a) : "memory"); }

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}
static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }

/* ---- head.S ---- */
extern u64 gate(u64 fn, u64 a, u64 b);
extern char ap_tramp_start[], ap_tramp_end[];
extern u64 boot_params_addr;		/* RSI at entry */
extern u64 entry_tsc;			/* TSC at entry, read at CPL 0 */
extern volatile u32 ap_boot_cpu;	/* index the next AP takes */
extern u64 gdt[];
extern u8 tss_area[];
extern char kstacks[], ustacks[];

/* ---- cpu.c (CPL 0) ---- */
void cpu_prepare_ap(int cpu);		/* CPL 3: fill cpu's TSS + descriptor */

/* ---- lib.c ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
extern u64 tsc_khz;
void tsc_calibrate(void);
u64 now_us(void);
void udelay(u64 us);

/* ---- uart.c / console ---- */
void uart_init(void);
void uart_irq_enable(void);
void putc(char c);
void puts(const char *s);
int getc_nowait(void);
int getc_wait(void);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_lock(void);
void console_unlock(void);

/* ---- boot params ---- */
struct e820 { u64 addr, size; u32 type; } __attribute__((packed));
extern struct e820 e820_map[128];
extern int e820_count;
extern char cmdline[2048];
u64 cmdline_u64(const char *key, u64 dflt);	/* lib.c: key=N on the command line */
extern u64 acpi_rsdp_hint;
u64 ram_bytes(void);

/* ---- acpi.c ---- */
struct acpi_info {
	int found;
	u64 rsdp, facp, madt, dsdt;
	u32 lapic_base;
	int ncpus;			/* enabled LAPICs in the MADT */
	u8 apic_ids[MAX_CPUS];
	u64 ioapic_base;
	u32 uart_gsi;
	u32 pm1a_evt;			/* PM1a_EVT_BLK: status, then enable */
	u32 pm1a_cnt;
	u32 pm1b_cnt;
	int slp_typ_s5, slp_typb_s5;	/* -1: no _S5 found in DSDT */
};
extern struct acpi_info acpi;
void acpi_init(void);
int acpi_poweroff(char *why, int whylen);
void acpi_enable_power_button(void);
int acpi_power_button_pressed(void);

/* ---- smp.c ---- */
extern volatile int cpus_up;
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
u32 lapic_id(void);
void lapic_init_bsp(void);
void ioapic_route(u32 gsi, u8 vector, u8 dest);
int smp_start_aps(char *why, int whylen);
void ap_main(int cpu);

/* ---- pci.c ---- */
struct pci_dev { u8 bus, dev, fn; u16 vendor, device; u32 class; };
u32 pci_read32(const struct pci_dev *d, u8 off);
u16 pci_read16(const struct pci_dev *d, u8 off);
u8 pci_read8(const struct pci_dev *d, u8 off);
void pci_write32(const struct pci_dev *d, u8 off, u32 v);
void pci_write16(const struct pci_dev *d, u8 off, u16 v);
int pci_scan(struct pci_dev *out, int max);
int pci_find(u16 vendor, u16 device, struct pci_dev *out);
u64 pci_bar(const struct pci_dev *d, int bar);	/* assigns if needed; 0 on failure */
void pci_list(void);

/* ---- virtio.c ---- */
#include "virtio.h"

/* ---- commands ---- */
int cmd_rng(char *why, int whylen);
int cmd_blk(char *why, int whylen);
int cmd_blksoak(char *why, int whylen);
int cmd_bench(char *why, int whylen);

/* snprintf-lite for failure reasons */
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
