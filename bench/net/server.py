# Host side of bench-net (runs inside a back-end's network namespace), ROUNDS times over
# the guest's four phases (bench/net/bench-net.sh).
# argv: ADDR GUEST PORT BYTES UDP_SECONDS ROUNDS NAME TURNS [UDP_RATE]
# Two of these run at once, one per back-end (NAME), each with a guest of its own; they
# take turns through the directory TURNS so that one round runs at a time, the back-ends
# alternating round by round and swapping which goes first (ABBA...): a slow drift of the
# host then falls on both, where back-end after back-end it fell on one.
# UDP_RATE (packets/s, default 400000) paces the spray into the guest: three times what
# a TCG guest takes in, so the guest stays the bottleneck, without this process taking a
# whole host CPU from the guest's vCPU thread and the back-end (2 CPUs here).
import os, select, socket, sys, time
addr, guest, port, nbytes, secs, rounds, name, turns = (sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                                        float(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8])
rate = float(sys.argv[9]) if len(sys.argv) > 9 else 400000.0
NAMES = ("vionet", "qemu")
other = NAMES[1 - NAMES.index(name)]
def order(k):  # round k's back-ends, first one first
    return NAMES if k % 2 else NAMES[::-1]
def turn_file(k, who):
    return os.path.join(turns, f"turn-{k}-{who}")
def wait_turn(k):
    # Round 1 waits for both guests (the other one's boot would share the CPUs); the
    # round's first waits for the previous round's second, the second for the first.
    first, second = order(k)
    if k == 1:
        open(os.path.join(turns, f"ready-{name}"), "w").close()
        wait_for(os.path.join(turns, f"ready-{other}"))
    if name == second:
        need = turn_file(k, first)
    elif k > 1:
        need = turn_file(k - 1, order(k - 1)[1])
    else:
        need = None
    if need: wait_for(need)
def wait_for(path):
    # The other guest failed or hung (its own timeout ends it): give up, so this one fails fast too.
    end = time.monotonic() + 300
    while not os.path.exists(path):
        if time.monotonic() > end:
            print('TURN TIMEOUT waiting for', os.path.basename(path), flush=True); sys.exit(1)
        time.sleep(0.05)
def done_turn(k):
    open(turn_file(k, name), "w").close()
def listen(p):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, p)); s.listen(1); return s
a, b, c, d, gate = listen(port), listen(port + 1), listen(port + 2), listen(port + 3), listen(port + 4)
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
sink.bind((addr, port + 3)); sink.setblocking(False)
spray = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = bytes(18)   # 18 bytes of UDP payload: a 64-byte Ethernet frame
buf = memoryview(bytes(1 << 16))
print('READY', flush=True)
for k in range(1, rounds + 1):
    g, _ = gate.accept()   # the guest waits at the gate until its turn
    wait_turn(k)
    g.close()
    s, _ = a.accept(); t0 = time.monotonic(); n = 0
    while True:
        data = s.recv(1 << 20)
        if not data: break
        n += len(data)
    t1 = time.monotonic(); s.close()
    print('G2H', k, n, t1 - t0, flush=True)

    s, _ = b.accept(); t0 = time.monotonic(); sent = 0
    while sent < nbytes:
        m = min(len(buf), nbytes - sent); s.sendall(buf[:m]); sent += m
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536): pass
    t1 = time.monotonic(); s.close()
    print('H2G', k, sent, t1 - t0, flush=True)

    s, _ = c.accept()
    dst = (guest, 9); m = 0; t0 = time.monotonic(); end = t0 + secs
    while True:
        now = time.monotonic()
        if now >= end: break
        ahead = t0 + m / rate - now
        if ahead > 0: time.sleep(ahead)
        for _ in range(64):
            try: spray.sendto(payload, dst)
            except OSError: pass
        m += 64
    t1 = time.monotonic()
    time.sleep(0.5); s.close()
    print('UDP', k, m, t1 - t0, flush=True)

    s, _ = d.accept()   # held by the guest while it sends
    got, first, last, open_ = 0, None, None, True
    while open_:
        r, _, _ = select.select([sink, s], [], [], 1.0)
        if sink in r:
            while True:
                try: sink.recv(64)
                except BlockingIOError: break
                got += 1; last = time.monotonic()
                if first is None: first = last
        if s in r and not s.recv(16): open_ = False
    s.close()
    span = (last - first) if got > 1 else 0.0
    print('UG2H', k, got, span, flush=True)
    done_turn(k)
