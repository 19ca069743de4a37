# Host side of bench-net (runs inside the bench's network namespace).
# argv: ADDR GUEST PORT BYTES UDP_SECONDS
import socket, sys, time
addr, guest, port, nbytes, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
def listen(p):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, p)); s.listen(1); return s
a, b, c = listen(port), listen(port + 1), listen(port + 2)
print('READY', flush=True)
s, _ = a.accept(); t0 = time.monotonic(); n = 0
while True:
    d = s.recv(1 << 20)
    if not d: break
    n += len(d)
t1 = time.monotonic(); s.close()
print('G2H', n, t1 - t0, flush=True)
buf = memoryview(bytes(1 << 16))
s, _ = b.accept(); t0 = time.monotonic(); sent = 0
while sent < nbytes:
    k = min(len(buf), nbytes - sent); s.sendall(buf[:k]); sent += k
s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass
t1 = time.monotonic(); s.close()
print('H2G', sent, t1 - t0, flush=True)
s, _ = c.accept()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = bytes(18)   # 18 bytes of UDP payload: a 64-byte Ethernet frame
dst = (guest, 9); k = 0; t0 = time.monotonic(); end = t0 + secs
while time.monotonic() < end:
    for _ in range(64):
        try: u.sendto(payload, dst)
        except OSError: pass
    k += 64
t1 = time.monotonic()
time.sleep(0.5); s.close()
print('UDP', k, t1 - t0, flush=True)
