/*
 * udpsend: the guest side of bench-net's guest -> host UDP phase. Sends 18-byte UDP
 * datagrams (64-byte Ethernet frames) to ADDR:PORT for SECONDS as fast as the guest can,
 * and prints how many it sent. Built static by bench/net-run.sh (gcc), so it runs in the
 * test guest's busybox initramfs.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: udpsend ADDR PORT SECONDS\n");
		return 2;
	}
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
		fprintf(stderr, "udpsend: bad address %s\n", argv[1]);
		return 2;
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&dst, sizeof dst) < 0) {
		perror("udpsend");
		return 1;
	}
	char payload[18] = { 0 };
	double end = now() + atof(argv[3]);
	long sent = 0;
	while (now() < end) {
		for (int i = 0; i < 64; i++)
			if (send(s, payload, sizeof payload, 0) == sizeof payload)
				sent++;
	}
	printf("%ld\n", sent);
	return 0;
}
