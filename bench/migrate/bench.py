#!/usr/bin/env python3
"""Live migration, vmd beside QEMU, on the project's test guest (its `dirty` command).

Run by bench/migrate-run.sh (build, work dir, network namespace, clean-up); see there for
what is measured. Progress on stderr, a Markdown table on stdout; failures exit non-zero.
"""
import argparse
import json
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import time


class Fail(Exception):
    pass


def say(msg):
    print(f"migrate-bench: {msg}", file=sys.stderr, flush=True)


def wait_text(fd, text, timeout, seen=b""):
    """Reads fd (a pty or pipe) until `text` shows; returns everything read."""
    buf = bytearray(seen)
    deadline = time.time() + timeout
    os.set_blocking(fd, False)
    while text.encode() not in buf:
        left = deadline - time.time()
        if left <= 0:
            raise Fail(f"never saw {text!r}; got: {buf[-400:].decode(errors='replace')}")
        r, _, _ = select.select([fd], [], [], min(left, 0.5))
        if r:
            try:
                chunk = os.read(fd, 65536)
            except (BlockingIOError, OSError):
                continue
            if not chunk:
                raise Fail(f"console closed before {text!r}")
            buf += chunk
    return bytes(buf)


def guest_cmdline(a):
    return (f"console=ttyS0 vmdtest=dirty vmdtest.dirty_mib={a.dirty_mib} vmdtest.dirty_rate={a.rate}")


# ---------------------------------------------------------------- vmd

def vmd_round(a, r):
    conf = lambda disabled: (f"vm \"mig\" {{\n" + ("  disable\n" if disabled else "") +
                             f"  boot \"{a.guest}\"\n  memory {a.memory}M\n  cmdline \"{guest_cmdline(a)}\"\n}}\n")
    work = os.path.join(a.work, f"vmd-{r}")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)
    daemons = []
    try:
        socks = []
        for side, disabled in (("src", False), ("dst", True)):
            d = os.path.join(work, side)
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)
            with open(os.path.join(d, "vm.conf"), "w") as f:
                f.write(conf(disabled))
            sock = os.path.join(d, "vmd.sock")
            log = open(os.path.join(d, "vmd.log"), "wb")
            p = subprocess.Popen(a.netns + [a.vmd, "-d", "-v", "-f", os.path.join(d, "vm.conf"), "-s", sock],
                                 stdout=log, stderr=subprocess.STDOUT)
            daemons.append(p)
            socks.append(sock)
        for s in socks:
            deadline = time.time() + 60
            while not os.path.exists(s):
                if time.time() > deadline:
                    raise Fail(f"vmd never made {s}")
                time.sleep(0.1)
        vmctl = lambda sock, *args: subprocess.run(a.netns + [a.vmctl, "-s", sock] + list(args),
                                                   capture_output=True, text=True, timeout=600)
        deadline = time.time() + 60
        while True:
            st = vmctl(socks[0], "status", "mig")
            m = re.search(r"(pts/\d+)", st.stdout)
            if m and "running" in st.stdout:
                break
            if time.time() > deadline:
                raise Fail(f"source VM never ran: {st.stdout}{st.stderr}")
            time.sleep(0.3)
        tty = os.open("/dev/" + m.group(1), os.O_RDWR | os.O_NOCTTY)
        wait_text(tty, "dirty: running", 300)
        time.sleep(a.settle)
        port = str(7200 + r)
        recv = subprocess.Popen(a.netns + [a.vmctl, "-s", socks[1], "receive", "-l", f"127.0.0.1:{port}", "mig"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)  # listening
        sent = vmctl(socks[0], "send", "-l", f"127.0.0.1:{port}", "mig")
        out, err = recv.communicate(timeout=600)
        if sent.returncode != 0 or recv.returncode != 0:
            raise Fail(f"vmd migration failed: send: {sent.stderr.strip()} / receive: {err.strip()}")
        m = re.search(r"migrated: (\d+) ms total, (\d+) ms downtime, (\d+) MiB sent in (\d+) rounds \((\d+) pages\), "
                      r"destination ready after (\d+) ms", sent.stderr)
        if not m:
            raise Fail(f"no summary in: {sent.stderr}")
        total, down, mib, rounds, pages, setup = (int(x) for x in m.groups())
        # the guest goes on at the destination
        dtty = re.search(r"tty (/dev/pts/\d+)", err).group(1)
        fd = os.open(dtty, os.O_RDWR | os.O_NOCTTY)
        os.write(fd, b"x")
        wait_text(fd, "VMDTEST OK dirty", 60)
        os.close(fd)
        os.close(tty)
        vmctl(socks[1], "stop", "-f", "-w", "mig")
        say(f"vmd round {r}: total {total} ms, downtime {down} ms, {pages * 4096 / 2**20:.0f} MiB in {rounds} rounds "
            f"(destination processes up {setup} ms after connect)")
        return {"total": total, "downtime": down, "mib": pages * 4096 / 2**20, "rounds": rounds, "setup": setup}
    finally:
        for p in daemons:
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


# ---------------------------------------------------------------- QEMU

class Qmp:
    def __init__(self, path):
        deadline = time.time() + 30
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise Fail(f"no QMP socket {path}")
                time.sleep(0.1)
        self.f = self.s.makefile("rw")
        json.loads(self.f.readline())  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            m = json.loads(self.f.readline())
            if "return" in m:
                return m["return"]
            if "error" in m:
                raise Fail(f"QMP {name}: {m['error']}")


def qemu_round(a, r):
    work = os.path.join(a.work, f"qemu-{r}")
    os.makedirs(work, exist_ok=True)
    port = str(7300 + r)
    base = ["qemu-system-x86_64", "-accel", "kvm", "-cpu", "host,arch-capabilities=off", "-M", "q35", "-nodefaults",
            "-no-user-config", "-display", "none", "-m", f"{a.memory}M", "-kernel", a.guest, "-append", guest_cmdline(a)]
    procs = []
    try:
        master, slave = os.openpty()
        src = subprocess.Popen(a.netns + base + ["-serial", f"/dev/fd/{slave}", "-qmp", f"unix:{work}/src.qmp,server=on,wait=off"],
                               pass_fds=(slave,), stdout=subprocess.DEVNULL, stderr=open(f"{work}/src.log", "wb"))
        procs.append(src)
        os.close(slave)
        wait_text(master, "dirty: running", 300)
        dmaster, dslave = os.openpty()
        dst = subprocess.Popen(a.netns + base + ["-serial", f"/dev/fd/{dslave}", "-incoming", f"tcp:127.0.0.1:{port}",
                                                 "-qmp", f"unix:{work}/dst.qmp,server=on,wait=off"],
                               pass_fds=(dslave,), stdout=subprocess.DEVNULL, stderr=open(f"{work}/dst.log", "wb"))
        procs.append(dst)
        os.close(dslave)
        time.sleep(a.settle)
        qs, qd = Qmp(f"{work}/src.qmp"), Qmp(f"{work}/dst.qmp")
        # QEMU caps migration at 128 MiB/s by default; vmd has no cap: lift it, so both run at full speed
        qs.cmd("migrate-set-parameters", **{"max-bandwidth": 10 << 30, "downtime-limit": 300})
        qs.cmd("migrate", uri=f"tcp:127.0.0.1:{port}")
        deadline = time.time() + 600
        while True:
            info = qs.cmd("query-migrate")
            if info.get("status") == "completed":
                break
            if info.get("status") in ("failed", "cancelled") or time.time() > deadline:
                raise Fail(f"QEMU migration: {info}")
            time.sleep(0.05)
        os.write(dmaster, b"x")
        wait_text(dmaster, "VMDTEST OK dirty", 60)
        ram = info.get("ram", {})
        res = {"total": info["total-time"], "downtime": info["downtime"], "mib": ram.get("transferred", 0) / 2**20,
               "rounds": ram.get("dirty-sync-count", 0), "setup": info.get("setup-time", 0)}
        say(f"QEMU round {r}: total {res['total']} ms, downtime {res['downtime']} ms, {res['mib']:.0f} MiB, "
            f"{res['rounds']} dirty syncs")
        return res
    finally:
        for p in procs:
            p.kill()
            p.wait()


# ---------------------------------------------------------------- table

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vmd", required=True)
    p.add_argument("--vmctl", required=True)
    p.add_argument("--guest", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--netns", default="")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--memory", type=int, default=1024)
    p.add_argument("--dirty-mib", type=int, default=256)
    p.add_argument("--rate", type=int, default=64, help="MiB/s the guest dirties")
    p.add_argument("--settle", type=float, default=2.0)
    a = p.parse_args()
    a.netns = ["ip", "netns", "exec", a.netns] if a.netns else []
    ours, qemu = [], []
    try:
        for r in range(a.rounds):
            ours.append(vmd_round(a, r))
            qemu.append(qemu_round(a, r))
    except Fail as e:
        say(f"FAILED: {e}")
        return 1
    med = lambda rs, k: statistics.median(x[k] for x in rs)
    rng = lambda rs, k: f"{min(x[k] for x in rs):.0f}..{max(x[k] for x in rs):.0f}"
    print(f"Live migration of the test guest, {a.memory} MiB RAM, dirtying {a.rate} MiB/s over {a.dirty_mib} MiB, "
          f"over loopback; medians of {a.rounds} rounds (min..max). QEMU: -accel kvm -M q35, migrate via QMP; "
          f"both with a 300 ms downtime budget.\n")
    print("| figure | vmd | QEMU | vmd / QEMU |")
    print("|---|---:|---:|---:|")
    for k, what in (("downtime", "downtime (ms)"), ("total", "total migration time (ms)"), ("mib", "data sent (MiB)")):
        o, q = med(ours, k), med(qemu, k)
        ratio = f"{o / q:.2f}" if q else "n/a"
        if k == "downtime":
            ratio = f"**{ratio}**"
        print(f"| {what} | {o:.0f} ({rng(ours, k)}) | {q:.0f} ({rng(qemu, k)}) | {ratio} |")
    print(f"| rounds / dirty syncs | {med(ours, 'rounds'):.0f} | {med(qemu, 'rounds'):.0f} | |")
    print(f"| destination ready after connect (ms; QEMU's is started beforehand) | {med(ours, 'setup'):.0f} | "
          f"{med(qemu, 'setup'):.0f} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
