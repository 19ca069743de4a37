/*
 * `net`: virtio-net end to end. Finds the NIC (1af4:1041), reads its MAC from the
 * config space, gets an address by DHCP (DISCOVER/OFFER/REQUEST/ACK), resolves the
 * router by ARP, pings it, then sends NET_DGRAMS UDP datagrams of NET_DGRAM_BYTES to
 * the router's port 5555 and prints their FNV-1a hash, for the host to compare.
 * Answers ARP requests for its address meanwhile. One descriptor per buffer, no
 * MRG_RXBUF: the 12-byte virtio_net_hdr_v1 then the frame.
 * If the device offers MQ (and CTRL_VQ), it also sets up queue pair 1 and the control
 * queue, checks that a bad command gets VIRTIO_NET_ERR, asks for 2 pairs
 * (VQ_PAIRS_SET) and sends the datagrams on pair 1.
 */
#include "guest.h"
#include "virtio.h"

#define NET_F_MAC	(1UL << 5)
#define NET_F_CTRL_VQ	(1UL << 17)
#define NET_F_MQ	(1UL << 22)
#define CTRL_MQ		4
#define CTRL_MQ_VQ_PAIRS_SET 0
#define HDR		12
#define FRAME_MAX	1514
#define NRX		8
#define QSIZE		16
#define NET_DGRAMS	64
#define NET_DGRAM_BYTES	1024
#define NET_PORT	5555

static struct virtio_dev vd;
static struct virtq rxq, txq, rxq1, txq1, ctrlq;
/* Receive buffers 0..NRX-1 are pair 0's, NRX..2*NRX-1 pair 1's (with MQ the device may use either). */
static u8 rxbuf[2 * NRX][HDR + FRAME_MAX + 4] __attribute__((aligned(64)));
static int rx_of_head[2][256];
static int mq;
static u8 txbuf[HDR + FRAME_MAX] __attribute__((aligned(64)));
static u8 mac[6], router_mac[6];
static u32 my_ip, router_ip, server_id;
static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static u16 get16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }
static u32 get32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static void put16(u8 *p, u16 v) { p[0] = v >> 8; p[1] = v; }
static void put32(u8 *p, u32 v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

static u16 csum(const u8 *p, u32 len, u32 sum)
{
	for (u32 i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static struct virtq *rx_queue(int pair) { return pair ? &rxq1 : &rxq; }

static void post_rx(int pair, int i)
{
	struct vbuf b = { rxbuf[i], sizeof(rxbuf[i]), 1 };
	int head = virtq_add(rx_queue(pair), &b, 1);
	if (head >= 0)
		rx_of_head[pair][head] = i;
}

/* Sends the frame in txbuf + HDR (len bytes) on q and waits for the device to take it. */
static int send_frame_on(struct virtq *q, u32 len)
{
	memset(txbuf, 0, HDR);
	struct vbuf b = { txbuf, HDR + len, 0 };
	if (virtq_add(q, &b, 1) < 0)
		return -1;
	virtq_kick(q);
	u32 used;
	return virtq_wait(q, &used, 2000000) < 0 ? -1 : 0;
}

static int send_frame(u32 len)
{
	return send_frame_on(&txq, len);
}

/* One control command (class, command, data) and its ack byte; -1 if unanswered. */
static int ctrl_command(const u8 *cmd, u32 len)
{
	static u8 buf[16], ack;
	memcpy(buf, cmd, len);
	ack = 0xee;
	struct vbuf b[2] = { { buf, len, 0 }, { &ack, 1, 1 } };
	if (virtq_add(&ctrlq, b, 2) < 0)
		return -1;
	virtq_kick(&ctrlq);
	u32 used;
	if (virtq_wait(&ctrlq, &used, 2000000) < 0 || used != 1)
		return -1;
	return ack;
}

static u8 *eth(const u8 *dst, u16 type)
{
	u8 *f = txbuf + HDR;
	memcpy(f, dst, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, type);
	return f + 14;
}

/* IPv4 + UDP headers around a payload of plen bytes already at the returned offset + 28. */
static u32 ip_udp(u8 *ip, u32 src, u32 dst, u16 sport, u16 dport, u32 plen)
{
	memset(ip, 0, 28);
	ip[0] = 0x45;
	put16(ip + 2, 28 + plen);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, csum(ip, 20, 0));
	put16(ip + 20, sport);
	put16(ip + 22, dport);
	put16(ip + 24, 8 + plen);
	return 14 + 28 + plen;
}

static void answer_arp(const u8 *f, u32 len)
{
	const u8 *a = f + 14;
	if (len < 14 + 28 || get16(f + 12) != 0x0806 || get16(a + 6) != 1 || !my_ip || get32(a + 24) != my_ip)
		return;
	u8 *r = eth(f + 6, 0x0806);
	put16(r, 1); put16(r + 2, 0x0800); r[4] = 6; r[5] = 4; put16(r + 6, 2);
	memcpy(r + 8, mac, 6); put32(r + 14, my_ip);
	memcpy(r + 18, a + 8, 6); memcpy(r + 24, a + 14, 4);
	send_frame(14 + 28);
}

/* Waits for a frame `want` accepts; copies it into out; answers ARP requests meanwhile. */
static int receive(int (*want)(const u8 *f, u32 len), u8 *out, u64 timeout_us)
{
	u64 end = now_us() + timeout_us;
	while (now_us() < end) {
		u32 len;
		int pair = 0, head = virtq_get(&rxq, &len);
		if (head < 0 && mq) {
			pair = 1;
			head = virtq_get(&rxq1, &len);
		}
		if (head < 0) {
			cpu_relax();
			continue;
		}
		int i = rx_of_head[pair][head];
		int ok = 0;
		if (len > HDR && len <= sizeof(rxbuf[i])) {
			u8 *f = rxbuf[i] + HDR;
			u32 flen = len - HDR;
			answer_arp(f, flen);
			if (want(f, flen)) {
				memcpy(out, f, flen);
				ok = 1;
			}
		}
		post_rx(pair, i);
		virtq_kick(rx_queue(pair));
		if (ok)
			return 0;
	}
	return -1;
}

static u32 xid = 0x766d6474;
static int dhcp_type(const u8 *f, u32 len)
{
	if (len < 14 + 28 + 240 || get16(f + 12) != 0x0800 || f[14 + 9] != 17 || get16(f + 14 + 22) != 68)
		return 0;
	const u8 *b = f + 42;
	if (b[0] != 2 || get32(b + 4) != xid || memcmp(b + 28, mac, 6) || get32(b + 236) != 0x63825363)
		return 0;
	int type = 0;
	for (u32 o = 240; 42 + o + 1 < len && b[o] != 255;) {
		if (b[o] == 0) { o++; continue; }
		u8 l = b[o + 1];
		if (42 + o + 2 + l > len)
			break;
		if (b[o] == 53 && l == 1) type = b[o + 2];
		if (b[o] == 54 && l == 4) server_id = get32(b + o + 2);
		if (b[o] == 3 && l >= 4) router_ip = get32(b + o + 2);
		o += 2 + l;
	}
	return type;
}
static int is_offer(const u8 *f, u32 len) { return dhcp_type(f, len) == 2; }
static int is_ack_or_nak(const u8 *f, u32 len) { int t = dhcp_type(f, len); return t == 5 || t == 6; }

static int dhcp_send(int type, u32 requested)
{
	u8 *ip = eth(bcast, 0x0800);
	u8 *b = ip + 28;
	memset(b, 0, 300);
	b[0] = 1; b[1] = 1; b[2] = 6;
	put32(b + 4, xid);
	put16(b + 10, 0x8000);
	memcpy(b + 28, mac, 6);
	put32(b + 236, 0x63825363);
	u32 o = 240;
	b[o++] = 53; b[o++] = 1; b[o++] = type;
	if (requested) {
		b[o++] = 50; b[o++] = 4; put32(b + o, requested); o += 4;
		b[o++] = 54; b[o++] = 4; put32(b + o, server_id); o += 4;
	}
	b[o++] = 255;
	return send_frame(ip_udp(ip, 0, 0xffffffff, 68, 67, 300));
}

static int is_arp_reply(const u8 *f, u32 len)
{
	return len >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 2 && get32(f + 28) == router_ip;
}

static u16 ping_seq;
static int is_echo_reply(const u8 *f, u32 len)
{
	if (len < 14 + 20 + 8 || get16(f + 12) != 0x0800 || f[23] != 1)
		return 0;
	const u8 *ic = f + 14 + (f[14] & 15) * 4;
	return ic[0] == 0 && get16(ic + 4) == 0x766d && get16(ic + 6) == ping_seq && get32(f + 26) == router_ip;
}

static void ipfmt(char *s, int n, u32 a)
{
	snprintf(s, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static u8 frame[HDR + FRAME_MAX + 4];

/* Device, queues, control queue, DHCP and the router's MAC; the device is reset on failure. */
static int net_setup(char *why, int n)
{
	char a[20], r[20];

	if (virtio_find(VIRTIO_ID_NET, &vd)) {
		snprintf(why, n, "no virtio-net device");
		return -1;
	}
	if (virtio_start(&vd, NET_F_MAC | NET_F_CTRL_VQ | NET_F_MQ, why, n) || virtq_setup(&vd, &rxq, 0, QSIZE, why, n) ||
	    virtq_setup(&vd, &txq, 1, QSIZE, why, n))
		return -1;
	u16 max_pairs = (vd.features & NET_F_MQ) ? mmio_read16(vd.device + 8) : 1;
	mq = max_pairs >= 2 && (vd.features & NET_F_CTRL_VQ);
	if (mq && (virtq_setup(&vd, &rxq1, 2, QSIZE, why, n) || virtq_setup(&vd, &txq1, 3, QSIZE, why, n) ||
		   virtq_setup(&vd, &ctrlq, 2 * max_pairs, QSIZE, why, n)))
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = mmio_read8(vd.device + i);
	for (int i = 0; i < NRX; i++)
		post_rx(0, i);
	for (int i = 0; mq && i < NRX; i++)
		post_rx(1, NRX + i);
	virtio_driver_ok(&vd);
	virtq_kick(&rxq);
	if (mq)
		virtq_kick(&rxq1);
	printf("net: virtio-net at %02x:%02x.%x mac %02x:%02x:%02x:%02x:%02x:%02x status %u\n", vd.pci.bus,
	       vd.pci.dev, vd.pci.fn, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
	       mmio_read16(vd.device + 6));
	if (mq) {
		static const u8 bad[4] = { 0x7f, 0, 2, 0 }, set2[4] = { CTRL_MQ, CTRL_MQ_VQ_PAIRS_SET, 2, 0 };
		int a1 = ctrl_command(bad, sizeof(bad)), a2 = ctrl_command(set2, sizeof(set2));
		printf("net: mq: %u pairs; bad command ack %d; VQ_PAIRS_SET 2 ack %d\n", max_pairs, a1, a2);
		if (a1 != 1 || a2 != 0) {
			snprintf(why, n, "control queue acks %d and %d", a1, a2);
			goto fail;
		}
	}

	my_ip = router_ip = server_id = 0;
	u64 t0 = now_us();
	if (dhcp_send(1, 0) || receive(is_offer, frame, 5000000)) {
		snprintf(why, n, "no DHCP offer");
		goto fail;
	}
	u32 offered = get32(frame + 42 + 16);
	if (dhcp_send(3, offered) || receive(is_ack_or_nak, frame, 5000000) || dhcp_type(frame, sizeof(frame)) != 5) {
		snprintf(why, n, "no DHCP ack for the offered address");
		goto fail;
	}
	my_ip = offered;
	ipfmt(a, sizeof(a), my_ip);
	ipfmt(r, sizeof(r), router_ip);
	printf("net: dhcp: address %s router %s (%lu us)\n", a, r, now_us() - t0);

	u8 *p = eth(bcast, 0x0806);
	put16(p, 1); put16(p + 2, 0x0800); p[4] = 6; p[5] = 4; put16(p + 6, 1);
	memcpy(p + 8, mac, 6); put32(p + 14, my_ip);
	memset(p + 18, 0, 6); put32(p + 24, router_ip);
	if (send_frame(14 + 28) || receive(is_arp_reply, frame, 3000000)) {
		snprintf(why, n, "no ARP reply from %s", r);
		goto fail;
	}
	memcpy(router_mac, frame + 22, 6);
	return 0;
fail:
	virtio_reset(&vd);
	return -1;
}

int cmd_net(char *why, int n)
{
	char a[20], r[20];
	if (net_setup(why, n))
		return -1;
	ipfmt(a, sizeof(a), my_ip);
	ipfmt(r, sizeof(r), router_ip);
	for (ping_seq = 1; ping_seq <= 3; ping_seq++) {
		u8 *ip = eth(router_mac, 0x0800);
		memset(ip, 0, 20 + 8 + 32);
		ip[0] = 0x45; put16(ip + 2, 60); ip[8] = 64; ip[9] = 1;
		put32(ip + 12, my_ip); put32(ip + 16, router_ip);
		put16(ip + 10, csum(ip, 20, 0));
		u8 *ic = ip + 20;
		ic[0] = 8; put16(ic + 4, 0x766d); put16(ic + 6, ping_seq);
		for (int i = 0; i < 32; i++) ic[8 + i] = i;
		put16(ic + 2, csum(ic, 40, 0));
		u64 t = now_us();
		if (send_frame(14 + 60) || receive(is_echo_reply, frame, 3000000)) {
			snprintf(why, n, "no echo reply %u from %s", ping_seq, r);
			goto fail;
		}
		printf("net: echo reply %u from %s in %lu us\n", ping_seq, r, now_us() - t);
	}

	u32 h = 2166136261u;
	for (u32 d = 0; d < NET_DGRAMS; d++) {
		u8 *ip = eth(router_mac, 0x0800);
		u8 *pl = ip + 28;
		for (u32 i = 0; i < NET_DGRAM_BYTES; i++) {
			pl[i] = (u8)(d * 131 + i * 7 + 1);
			h = (h ^ pl[i]) * 16777619u;
		}
		if (send_frame_on(mq ? &txq1 : &txq, ip_udp(ip, my_ip, router_ip, NET_PORT, NET_PORT, NET_DGRAM_BYTES))) {
			snprintf(why, n, "transmit of datagram %u failed", d);
			goto fail;
		}
	}
	printf("net: sent %u datagrams of %u bytes to %s:%u on pair %d fnv1a %08x\n", NET_DGRAMS, NET_DGRAM_BYTES, r,
	       NET_PORT, mq ? 1 : 0, h);
	printf("net: address %s/31 router %s\n", a, r);
	virtio_reset(&vd);
	return 0;
fail:
	virtio_reset(&vd);
	return -1;
}

#define SOAK_PORT	5556
#define SOAK_BYTES	1024
#define SOAK_WAIT_US	300000		/* per try; a restarting back-end takes longer */
#define SOAK_TRIES	100

static u32 soak_seq;

/* A UDP datagram from the router's echo port whose first word is soak_seq. */
static int is_soak_echo(const u8 *f, u32 len)
{
	return len >= 14 + 28 + 4 + SOAK_BYTES && get16(f + 12) == 0x0800 && f[14 + 9] == 17 &&
	       get32(f + 14 + 12) == router_ip && get16(f + 14 + 20) == SOAK_PORT &&
	       get32(f + 14 + 28) == soak_seq;
}

static void soak_payload(u8 *p, u32 seq)
{
	put32(p, seq);
	for (u32 i = 0; i < SOAK_BYTES; i++)
		p[4 + i] = (u8)(seq * 2654435761u >> (i % 24) ^ i);
}

/*
 * netsoak: a stop-and-wait transfer through the router's UDP echo service (port 5556)
 * for device-kill soaks, until a key is typed: datagram N carries N and 1 KiB derived
 * from it; it is sent again every 300 ms until its echo arrives, which must carry the
 * same bytes. Prints "netsoak: N" per echoed datagram. No echo after 100 tries (30 s)
 * ends the command (FAIL); an echo with other bytes is a mismatch, counted.
 */
int cmd_netsoak(char *why, int n)
{
	static u8 want[4 + SOAK_BYTES];
	if (net_setup(why, n))
		return -1;
	u64 retries = 0, mismatches = 0, t0 = now_us();
	for (soak_seq = 1;; soak_seq++) {
		if (getc_nowait() >= 0)
			break;
		soak_payload(want, soak_seq);
		int tries = 0;
		for (;;) {
			u8 *ip = eth(router_mac, 0x0800);
			memcpy(ip + 28, want, sizeof(want));
			/* the device takes the frame once a back-end serves the ring again */
			if (send_frame_on(&txq, ip_udp(ip, my_ip, router_ip, SOAK_PORT, SOAK_PORT, sizeof(want))) == 0 &&
			    receive(is_soak_echo, frame, SOAK_WAIT_US) == 0)
				break;
			if (++tries == SOAK_TRIES) {
				printf("netsoak: no echo for datagram %u after %d tries\n", soak_seq, tries);
				snprintf(why, n, "no echo for datagram %u", soak_seq);
				virtio_reset(&vd);
				return -1;
			}
			retries++;
		}
		if (memcmp(frame + 14 + 28, want, sizeof(want))) {
			printf("netsoak: MISMATCH in the echo of datagram %u\n", soak_seq);
			mismatches++;
		}
		printf("netsoak: %u\n", soak_seq);
	}
	printf("netsoak: %u datagrams echoed, %lu retries, %lu mismatches in %lu ms\n", soak_seq - 1, retries,
	       mismatches, (now_us() - t0) / 1000);
	virtio_reset(&vd);
	if (mismatches) {
		snprintf(why, n, "%lu mismatches", mismatches);
		return -1;
	}
	return 0;
}

/* The link state in the config space (VIRTIO_NET_S_LINK_UP), as the device shows it now. */
int cmd_link(char *why, int n)
{
	if (virtio_find(VIRTIO_ID_NET, &vd)) {
		snprintf(why, n, "no virtio-net device");
		return -1;
	}
	if (virtio_map(&vd, why, n))
		return -1;
	printf("link: %s\n", mmio_read16(vd.device + 6) & 1 ? "up" : "down");
	return 0;
}
