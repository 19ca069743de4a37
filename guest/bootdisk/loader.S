/*
 * A two-stage boot loader for firmware tests: stage 1 (the MBR) reads 16 more sectors
 * with INT 13h AH=42h (so SeaBIOS's disk driver really moves data), stage 2 sums the
 * 15 data sectors after it and prints "VMDBOOT STAGE2 <sum>" with INT 10h, which
 * SeaBIOS mirrors to the serial console. Linked at 0x7c00; 1024 bytes.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x7c00, %sp
	sti
	mov	%dl, drive
	mov	$hello, %si
	call	print
	mov	$dap, %si
	mov	$0x42, %ah
	mov	drive, %dl
	int	$0x13
	jc	fail
	ljmp	$0, $stage2
fail:
	mov	$failmsg, %si
	call	print
halt:
	hlt
	jmp	halt

/* print the NUL-terminated string at %si */
print:
	lodsb
	test	%al, %al
	jz	1f
	mov	$0x0e, %ah
	mov	$7, %bx
	int	$0x10
	jmp	print
1:	ret

drive:	.byte	0
dap:	.byte	16, 0
	.word	16		/* sectors: stage 2 and 15 data sectors */
	.word	0x7e00, 0	/* buffer offset, segment */
	.quad	1		/* first LBA */
hello:	.asciz	"VMDBOOT STAGE1\r\n"
failmsg: .asciz	"VMDBOOT READ FAILED\r\n"

	.org	510
	.byte	0x55, 0xaa

stage2:
	xor	%ax, %ax
	mov	$0x8000, %si
	mov	$(15 * 512), %cx
1:	movzbw	(%si), %dx
	add	%dx, %ax
	inc	%si
	loop	1b
	push	%ax
	mov	$marker, %si
	call	print
	pop	%ax
	mov	$4, %cx
2:	rol	$4, %ax
	push	%ax
	push	%cx
	and	$0xf, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	3f
	add	$7, %al
3:	mov	$0x0e, %ah
	mov	$7, %bx
	int	$0x10
	pop	%cx
	pop	%ax
	loop	2b
	mov	$crlf, %si
	call	print
	jmp	halt

marker:	.asciz	"VMDBOOT STAGE2 "
crlf:	.asciz	"\r\n"
	.org	1024
