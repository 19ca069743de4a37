/* ns16550 on COM1, driven by port I/O from CPL 3 (every access exits). */
#include "guest.h"

#define COM1	0x3f8
#define RBR	0	/* receive buffer (read) / THR (write) */
#define IER	1
#define IIR	2	/* read: interrupt id; write: FCR */
#define LCR	3
#define MCR	4
#define LSR	5
#define LSR_DR		0x01
#define LSR_THRE	0x20

static int fifo;		/* 16550A FIFO present: 16 bytes per THRE */
static int tx_room;
static volatile int lock;

void uart_init(void)
{
	outb(COM1 + IER, 0x00);
	outb(COM1 + LCR, 0x80);		/* DLAB: divisor 1 = 115200 baud */
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + LCR, 0x03);		/* 8N1 */
	outb(COM1 + IIR, 0x07);		/* FCR: enable + clear FIFOs */
	outb(COM1 + MCR, 0x0b);		/* DTR, RTS, OUT2 (IRQ enable) */
	fifo = (inb(COM1 + IIR) & 0xc0) == 0xc0;
	tx_room = 0;
}

void uart_irq_enable(void)
{
	outb(COM1 + IER, 0x01);		/* received data available */
}

static void uart_tx(char c)
{
	if (tx_room == 0) {
		/* THRE set means the FIFO is empty: room for 16 bytes. */
		for (int i = 0; i < 1000000; i++)
			if (inb(COM1 + LSR) & LSR_THRE)
				break;
		tx_room = fifo ? 16 : 1;
	}
	outb(COM1 + RBR, c);
	tx_room--;
}

void putc(char c)
{
	if (c == '\n')
		uart_tx('\r');
	uart_tx(c);
}

void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

int getc_nowait(void)
{
	u8 lsr = inb(COM1 + LSR);
	if (lsr == 0xff || !(lsr & LSR_DR))
		return -1;
	return inb(COM1 + RBR);
}

/* Wait for input, sleeping in hlt (via the gate) between checks; the UART
 * IRQ or the LAPIC timer wakes us. */
int getc_wait(void)
{
	for (;;) {
		int c = getc_nowait();
		if (c >= 0)
			return c;
		if (acpi_power_button_pressed()) {
			char why[80];
			puts("\nVMDTEST POWERBUTTON\n");
			acpi_poweroff(why, sizeof(why));
		}
		gate(GATE_IDLE, 0, 0);
	}
}

void console_lock(void)
{
	while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

void console_unlock(void)
{
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}
