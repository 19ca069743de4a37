#!/usr/bin/env python3
"""Start-up, device-restart and footprint benchmark: vmd vs QEMU -accel kvm + qemu-storage-daemon.

Run by bench/start-run.sh (which builds, finds the test guest, makes the work dir and the
network namespace, and cleans up after this script); see there for what each figure means.
Everything is timed with the wall clock (time.time()), the same clock vmd's log lines carry
(HH:MM:SS.mmm, local time), so host-side events and vmd's log can be compared to ~1 ms.
Progress goes to stderr, the Markdown table to stdout; any failure is a non-zero exit.
"""
import argparse
import ctypes
import datetime
import errno
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import time

MIB = 1024.0
QBOOT = "/usr/share/qemu/qboot.rom"


class Fail(Exception):
    pass


def say(msg):
    print(f"start-bench: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- console

class Console:
    """A serial console read without blocking; every chunk is timestamped on arrival."""

    def __init__(self, rfd, wfd, logpath):
        self.rfd, self.wfd = rfd, wfd
        self.buf = bytearray()
        self.chunks = []  # (end offset in buf, arrival time)
        self.log = open(logpath, "ab")
        self.opened = time.time()
        os.set_blocking(rfd, False)

    def pump(self, timeout):
        r, _, _ = select.select([self.rfd], [], [], timeout)
        if not r:
            return
        try:
            data = os.read(self.rfd, 65536)
        except BlockingIOError:
            return
        except OSError as e:
            if e.errno == errno.EIO:
                raise Fail("console closed (EIO)")
            raise
        t = time.time()
        if not data:
            raise Fail("console closed (EOF)")
        self.buf += data
        self.chunks.append((len(self.buf), t))
        self.log.write(data)
        self.log.flush()

    def mark(self):
        return len(self.buf)

    def wait(self, pattern, timeout, start=0, what=None):
        """(match, arrival time of the chunk that completed it); Fail after timeout seconds."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf, start)
            if m:
                t = next(t for end, t in self.chunks if end >= m.end())
                return m, t
            left = deadline - time.monotonic()
            if left <= 0:
                tail = bytes(self.buf[-300:]).decode(errors="replace")
                raise Fail(f"{what or pattern!r} not seen on the console within {timeout:.0f} s; last output:\n{tail}")
            self.pump(min(left, 0.5))

    def blk(self, what, timeout=30):
        """Types `blk` and waits for its VMDTEST line; returns the seconds it took."""
        mk = self.mark()
        t_w = time.time()
        self.write(b"blk\r")
        mm, t_ok = self.wait(rb"VMDTEST (OK|FAIL)[^\r\n]* blk", timeout, mk, "VMDTEST OK blk")
        if mm.group(1) != b"OK":
            raise Fail(f"{what}: blk failed: {bytes(self.buf[mk:]).decode(errors='replace')}")
        return t_ok - t_w

    def write(self, data):
        os.write(self.wfd, data)

    def close(self):
        self.log.close()


# ---------------------------------------------------------------- memory

HEADER = re.compile(rb"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$")


def smaps(pid):
    """KiB: Rss and Pss of every mapping but the /memfd: ones (guest RAM), and of those."""
    kib = {"rss": 0, "pss": 0, "memfd_rss": 0, "memfd_pss": 0}
    memfd = False
    with open(f"/proc/{pid}/smaps", "rb") as f:
        for line in f:
            h = HEADER.match(line)
            if h:
                memfd = h.group(1).startswith(b"/memfd:")
            elif line.startswith((b"Rss:", b"Pss:")):
                key = ("memfd_" if memfd else "") + line[:3].decode().lower()
                kib[key] += int(line.split()[1])
    return {k: v / MIB for k, v in kib.items()}


SAMPLES, SAMPLE_GAP = 7, 0.5


def smaps_median(pids):
    """{pid: smaps(pid)} as the median of SAMPLES samples SAMPLE_GAP s apart, field by field:
    a JVM's footprint moves by a few MiB as its compilers finish and its heap trim runs
    each second, so one sample is luck and the median over 3 s is the running figure."""
    runs = {pid: [] for pid in pids}
    for i in range(SAMPLES):
        if i:
            time.sleep(SAMPLE_GAP)
        for pid in pids:
            runs[pid].append(smaps(pid))
    return {pid: {k: statistics.median(x[k] for x in xs) for k in xs[0]} for pid, xs in runs.items()}


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def children_of(parent, pattern):
    """pids whose parent is `parent` and whose command line matches `pattern`."""
    rx = re.compile(pattern)
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and ppid(int(d)) == parent and rx.search(cmdline(int(d))):
            out.append(int(d))
    return out


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


# ---------------------------------------------------------------- vmd's log

LOGLINE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) (.*)$")


class VmdLog:
    def __init__(self, path):
        self.path = path

    def mark(self):
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def events(self, offset):
        """[(epoch seconds, text)] of the lines written after offset."""
        with open(self.path, "rb") as f:
            f.seek(offset)
            data = f.read().decode(errors="replace")
        ref = time.time()
        out = []
        for line in data.splitlines():
            m = LOGLINE.match(line)
            if not m:
                continue
            h, mi, s, ms = (int(x) for x in m.groups()[:4])
            today = datetime.datetime.fromtimestamp(ref).date()
            best = None
            for dd in (-1, 0, 1):
                dt = datetime.datetime.combine(today + datetime.timedelta(days=dd), datetime.time(h, mi, s, ms * 1000))
                e = dt.timestamp()
                if best is None or abs(e - ref) < abs(best - ref):
                    best = e
            out.append((best, m.group(5)))
        return out

    def find(self, offset, pattern):
        rx = re.compile(pattern)
        for t, text in self.events(offset):
            if rx.search(text):
                return t
        return None

    def wait(self, offset, pattern, timeout):
        deadline = time.monotonic() + timeout
        while True:
            t = self.find(offset, pattern)
            if t is not None or time.monotonic() > deadline:
                return t
            time.sleep(0.02)


# ---------------------------------------------------------------- helpers

def setns_preexec(nspath):
    """preexec_fn: join the network namespace (QEMU creates its tap there)."""
    libc = ctypes.CDLL(None, use_errno=True)

    def enter():
        fd = os.open(nspath, os.O_RDONLY)
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            os._exit(127)
        os.close(fd)
    return enter


def stop_process(p, name, grace=10):
    if p is None or p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(grace)
    except subprocess.TimeoutExpired:
        say(f"{name} (pid {p.pid}) ignored SIGTERM for {grace} s; SIGKILL")
        p.kill()
        p.wait(10)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def median(xs):
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------- the benchmark

class Bench:
    def __init__(self, a):
        self.a = a
        self.w = a.work
        self.vmd = os.path.join(a.root, "build/vmd/bin/vmd")
        self.vmctl = os.path.join(a.root, "build/vmd/bin/vmctl")
        self.env = dict(os.environ, VMD_SOCKET=os.path.join(self.w, "vmd.sock"))
        self.vmdlog = VmdLog(os.path.join(self.w, "vmd.log"))
        self.daemon = self.qsd = self.qemu = None
        self.known_children = set()
        self.jvm = "?"
        self.load_start = self.load_end = "?"
        self.res = {k: [] for k in ("vmd_ready", "vmd_req_ready", "vmd_req_vcpu", "vmd_blk", "restart_log",
                                    "restart_respawn", "restart_guest", "qemu_ready_qboot", "qemu_ready_seabios",
                                    "qemu_blk", "spare_restart")}
        self.mem = {k: [] for k in ("vm", "vioblk", "vionet", "parent", "control", "qemu", "qsd",
                                    "spare_vioblk", "spare_vionet", "fleet_vmd", "fleet_qemu")}

    def vmctl_run(self, *args, timeout=60):
        try:
            return subprocess.run([self.vmctl, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Fail(f"vmctl {' '.join(args)} did not finish within {timeout} s")

    def record_children(self):
        with open(os.path.join(self.w, "children.pids"), "w") as f:
            for pid in sorted(self.known_children):
                f.write(f"{pid}\n")

    # ---- setup

    def setup(self):
        a = self.a
        disks = ["vmd-disk.raw", "qemu-disk.raw"] + [f"{s}-disk-f{i}.raw" for s in ("vmd", "qemu") for i in range(1, a.vms + 1)]
        for name in disks:
            with open(os.path.join(self.w, name), "wb") as f:
                f.truncate(16 << 20)
        # One VM per round: vmd's restart budget (3 per minute per device) belongs to the VM
        # and survives its restarts, so a VM of its own per round keeps every kill restartable.
        with open(os.path.join(self.w, "vm.conf"), "w") as f:
            for r in range(1, a.rounds + 1):
                f.write(f'vm "sb-r{r}" {{\n\tdisable\n\tboot "{a.guest}"\n\tcmdline "console=ttyS0"\n'
                        f'\tmemory 256M\n\tdisk "{self.w}/vmd-disk.raw"\n\tlocal interface\n}}\n')
            for i in range(1, a.vms + 1):
                f.write(f'vm "fl-{i}" {{\n\tdisable\n\tboot "{a.guest}"\n\tcmdline "console=ttyS0"\n'
                        f'\tmemory 256M\n\tdisk "{self.w}/vmd-disk-f{i}.raw"\n\tlocal interface\n}}\n')
        chk = subprocess.run([self.vmd, "-n", "-f", os.path.join(self.w, "vm.conf")], capture_output=True, text=True, timeout=120)
        if chk.returncode != 0:
            raise Fail(f"vmd -n rejected the generated vm.conf:\n{chk.stdout}{chk.stderr}")

        say("starting vmd -d -v (in network namespace %s)" % a.netns)
        logf = open(self.vmdlog.path, "ab")
        self.daemon = subprocess.Popen(
            ["ip", "netns", "exec", a.netns, self.vmd, "-d", "-v", "-f", os.path.join(self.w, "vm.conf"),
             "-s", self.env["VMD_SOCKET"], "-p", os.path.join(self.w, "vmd.pid")],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, start_new_session=True)
        with open(os.path.join(self.w, "daemon.pid"), "w") as f:
            f.write(f"{self.daemon.pid}\n")
        if self.vmdlog.wait(0, r"control process ready", 90) is None:
            raise Fail("vmd's control process not ready within 90 s; see " + self.vmdlog.path)
        st = self.vmctl_run("status")
        if st.returncode != 0 or "sb-r1" not in st.stdout:
            raise Fail(f"vmctl status failed:\n{st.stdout}{st.stderr}")

        say("starting qemu-storage-daemon (vhost-user-blk export)")
        self.qsd_sock = os.path.join(self.w, "qsd.sock")
        self.qsd = self.start_qsd(os.path.join(self.w, "qemu-disk.raw"), self.qsd_sock, "")

    # ---- vmd: one round

    def vmd_round(self, r):
        name = f"sb-r{r}"
        log = self.vmdlog
        off = log.mark()
        t0 = time.time()
        st = self.vmctl_run("start", name)
        t_ret = time.time()
        if st.returncode != 0:
            raise Fail(f"vmctl start {name} failed: {st.stderr.strip()}")
        m = re.search(r"tty (/dev/\S+)", st.stderr)
        if not m:
            raise Fail(f"no tty in vmctl start's output: {st.stderr.strip()}")
        tty = m.group(1)
        fd = os.open(tty, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        con = Console(fd, fd, os.path.join(self.w, f"console-vmd-{r}.log"))
        try:
            try:
                _, t_ready = con.wait(rb"VMDTEST READY", 120, what="VMDTEST READY")
            except Fail as e:
                raise Fail(f"vmd round {r} ({name}): {e}\nvmd's log: {log.path}")
            # The pty keeps output until it is read: if the banner was there the moment we
            # opened the pty, we attached late and READY's time would be wrong.
            first_end, first_t = con.chunks[0]
            if first_t - con.opened < 0.005 and b"vmd test guest" in con.buf[:first_end]:
                say(f"warning: round {r}: attached to {tty} after READY was printed; the figure is an upper bound")
            t_req = log.find(off, r"control: peer \d+ \(uid 0\) connected")
            t_vcpu = log.find(off, rf"vmd: INFO +{name}: bzimage boot")
            self.res["vmd_ready"].append((t_ready - t0) * 1000)
            if t_req is not None:
                self.res["vmd_req_ready"].append((t_ready - t_req) * 1000)
                if t_vcpu is not None:
                    self.res["vmd_req_vcpu"].append((t_vcpu - t_req) * 1000)
            say(f"vmd round {r}: READY {1000 * (t_ready - t0):.0f} ms after exec of vmctl start "
                f"(vmctl returned after {1000 * (t_ret - t0):.0f} ms)")

            # blk without a kill: the baseline
            time.sleep(0.2)
            blk = con.blk(f"vmd round {r}")
            self.res["vmd_blk"].append(blk * 1000)

            # footprint, settled: a running VM's, not its first second's (compiler arenas
            # still held, before the JVMs' periodic heap trim)
            time.sleep(self.a.settle)
            d = self.daemon.pid
            procs = {"vm": rf"-Dvmd\.process=vm {name}( |$)", "vioblk": rf"-Dvmd\.process=vioblk {name}/disk0( |$)",
                     "vionet": rf"-Dvmd\.process=vionet {name}/net0( |$)", "control": r"-Dvmd\.process=control( |$)"}
            pids = {}
            for kind, pat in procs.items():
                found = children_of(d, pat)
                if len(found) != 1:
                    raise Fail(f"vmd round {r}: expected one {kind} process under vmd (pid {d}), found {found}")
                pids[kind] = found[0]
                self.known_children.add(found[0])
            self.record_children()
            sampled = smaps_median(list(pids.values()) + [d])
            for kind, pid in pids.items():
                self.mem[kind].append(sampled[pid])
            try:
                self.jvm = os.readlink(f"/proc/{pids['vm']}/exe")
            except OSError:
                pass
            self.mem["parent"].append(sampled[d])

            # SIGKILL the vioblk process, then ask the guest for disk I/O at once
            off2 = log.mark()
            mk = con.mark()
            t_kill = time.time()
            os.kill(pids["vioblk"], signal.SIGKILL)
            con.write(b"blk\r")
            mm, t_ok2 = con.wait(rb"VMDTEST (OK|FAIL)[^\r\n]* blk", 60, mk, "VMDTEST OK blk after the kill")
            if mm.group(1) != b"OK":
                raise Fail(f"vmd round {r}: blk after the kill failed: {bytes(con.buf[mk:]).decode(errors='replace')}")
            t_recon = log.wait(off2, rf"vm {name}: .*vioblk0: reconnected to the vhost-user back-end", 10)
            t_spawn = log.find(off2, rf"vmd: DEBUG spawned vioblk {name}/disk0 as pid")
            if t_recon is None:
                raise Fail(f"vmd round {r}: no 'vioblk0: reconnected' in vmd's log after the kill")
            new = children_of(d, procs["vioblk"])
            if len(new) != 1 or new[0] == pids["vioblk"]:
                raise Fail(f"vmd round {r}: no new vioblk process after the kill ({new})")
            self.known_children.update(new)
            self.record_children()
            self.res["restart_log"].append((t_recon - t_kill) * 1000)
            if t_spawn is not None:
                self.res["restart_respawn"].append((t_spawn - t_kill) * 1000)
            self.res["restart_guest"].append((t_ok2 - t_kill - blk) * 1000)
            say(f"vmd round {r}: vioblk killed; successor replayed the set-up after {1000 * (t_recon - t_kill):.0f} ms, "
                f"guest's blk done {1000 * (t_ok2 - t_kill):.0f} ms after the kill (baseline blk {1000 * blk:.0f} ms)")
        finally:
            con.close()
            os.close(fd)
        self.stop_vm(name)

    def stop_vm(self, name):
        """vmctl stop -f -w, then waits until the VM's processes are gone."""
        st = self.vmctl_run("stop", "-f", "-w", name)
        if st.returncode != 0:
            raise Fail(f"vmctl stop -f -w {name} failed: {st.stderr.strip()}")
        for _ in range(200):
            if not children_of(self.daemon.pid, rf"-Dvmd\.process=\S+ {name}[/ ]"):
                break
            time.sleep(0.05)
        else:
            raise Fail(f"{name}'s processes still there 10 s after vmctl stop")

    # ---- vmd with warm spare device processes (vm.conf "spare devices"): restart only

    def spare_phase(self):
        """Reloads vm.conf with `spare devices` and VMs of their own; one kill per round."""
        a, log = self.a, self.vmdlog
        with open(os.path.join(self.w, "vm.conf"), "a") as f:
            f.write("spare devices\n")
            for r in range(1, a.rounds + 1):
                f.write(f'vm "sp-r{r}" {{\n\tdisable\n\tboot "{a.guest}"\n\tcmdline "console=ttyS0"\n'
                        f'\tmemory 256M\n\tdisk "{self.w}/vmd-disk.raw"\n\tlocal interface\n}}\n')
        off = log.mark()
        st = self.vmctl_run("reload")
        if st.returncode != 0:
            raise Fail(f"vmctl reload failed: {st.stderr.strip()}")
        if log.wait(off, r"spawned vioblk spare as pid", 30) is None:
            raise Fail("no spare vioblk process after reloading with `spare devices`")
        time.sleep(2)  # the spares' JVMs come up
        for r in range(1, a.rounds + 1):
            self.spare_round(r)
            time.sleep(0.5)

    def spares(self):
        return {k: children_of(self.daemon.pid, rf"-Dvmd\.process={k} spare( |$)") for k in ("vioblk", "vionet")}

    def spare_round(self, r):
        name, log, d = f"sp-r{r}", self.vmdlog, self.daemon.pid
        st = self.vmctl_run("start", name)
        if st.returncode != 0:
            raise Fail(f"vmctl start {name} failed: {st.stderr.strip()}")
        tty = re.search(r"tty (/dev/\S+)", st.stderr).group(1)
        fd = os.open(tty, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        con = Console(fd, fd, os.path.join(self.w, f"console-spare-{r}.log"))
        try:
            con.wait(rb"VMDTEST READY", 120, what="VMDTEST READY")
            time.sleep(1.0)
            spares = self.spares()
            for k in ("vioblk", "vionet"):
                if len(spares[k]) != 1:
                    raise Fail(f"spare round {r}: expected one spare {k} process, found {spares[k]}")
                self.mem["spare_" + k].append(smaps(spares[k][0]))
            victim = children_of(d, rf"-Dvmd\.process=vioblk {name}/disk0( |$)")
            if len(victim) != 1:
                raise Fail(f"spare round {r}: expected one vioblk process for {name}, found {victim}")
            off2, mk = log.mark(), con.mark()
            t_kill = time.time()
            os.kill(victim[0], signal.SIGKILL)
            con.write(b"blk\r")
            mm, t_ok = con.wait(rb"VMDTEST (OK|FAIL)[^\r\n]* blk", 60, mk, "VMDTEST OK blk after the kill")
            if mm.group(1) != b"OK":
                raise Fail(f"spare round {r}: blk after the kill failed")
            t_recon = log.wait(off2, rf"vm {name}: .*vioblk0: reconnected to the vhost-user back-end", 10)
            if t_recon is None or log.find(off2, rf"served by the spare vioblk process \(pid {spares['vioblk'][0]}\)") is None:
                raise Fail(f"spare round {r}: the spare did not take over; see {log.path}")
            self.res["spare_restart"].append((t_recon - t_kill) * 1000)
            say(f"spare round {r}: vioblk killed; the spare replayed the set-up after {1000 * (t_recon - t_kill):.0f} ms")
        finally:
            con.close()
            os.close(fd)
        self.stop_vm(name)

    # ---- QEMU: one round

    def qemu_cmd(self, firmware, qsd_sock, tap, pidfile):
        """The QEMU VM every round and the fleet start: the same shape as vmd's."""
        a = self.a
        bios = ["-bios", QBOOT] if firmware == "qboot" else []
        return ["qemu-system-x86_64", "-accel", "kvm", "-cpu", "host,arch-capabilities=off", "-M", a.machine,
                "-nodefaults", "-m", "256M", "-smp", "1", "-nographic", "-monitor", "none", "-serial", "stdio",
                "-no-reboot", "-kernel", a.guest, "-append", "console=ttyS0",
                "-object", "memory-backend-memfd,id=mem,size=256M,share=on", "-machine", "memory-backend=mem",
                "-chardev", f"socket,id=c,path={qsd_sock}", "-device", "vhost-user-blk-pci,chardev=c",
                "-netdev", f"tap,id=n0,ifname={tap},script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,romfile=",
                "-pidfile", pidfile] + bios

    def start_qsd(self, disk, sock, tag):
        qsd = subprocess.Popen(
            ["qemu-storage-daemon", "--blockdev", f"driver=file,node-name=f,filename={disk}",
             "--export", f"type=vhost-user-blk,id=e,node-name=f,addr.type=unix,addr.path={sock},writable=on",
             "--pidfile", os.path.join(self.w, f"qsd{tag}.pid")],
            stdin=subprocess.DEVNULL, stdout=open(os.path.join(self.w, f"qsd{tag}.log"), "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        for _ in range(200):
            if os.path.exists(sock) or qsd.poll() is not None:
                break
            time.sleep(0.05)
        if not os.path.exists(sock):
            raise Fail("qemu-storage-daemon did not create its socket; see " + os.path.join(self.w, f"qsd{tag}.log"))
        return qsd

    # ---- several VMs at once: what each further VM costs

    def fleet_phase(self):
        """Starts a.vms VMs at once under vmd, then as many QEMU VMs (each with a qsd of its
        own, as each vmd VM has its own vioblk); once all are READY and have done a `blk`,
        their processes' memory summed and divided by the number of VMs. Processes of one
        kind share what they map from one file (libjvm, an AOT cache, qemu's binary)."""
        a, n = self.a, self.a.vms
        names = [f"fl-{i}" for i in range(1, n + 1)]
        cons = []
        try:
            for name in names:
                st = self.vmctl_run("start", name)
                if st.returncode != 0:
                    raise Fail(f"vmctl start {name} failed: {st.stderr.strip()}")
                tty = re.search(r"tty (/dev/\S+)", st.stderr).group(1)
                fd = os.open(tty, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
                cons.append((fd, Console(fd, fd, os.path.join(self.w, f"console-{name}.log"))))
            for _, con in cons:
                con.wait(rb"VMDTEST READY", 120, what="VMDTEST READY")
                con.blk("fleet")
            time.sleep(self.a.settle)
            d, sample, fleet = self.daemon.pid, {"rss": 0.0, "pss": 0.0}, []
            for name in names:
                for kind, pat in (("vm", rf"-Dvmd\.process=vm {name}( |$)"), ("vioblk", rf"-Dvmd\.process=vioblk {name}/disk0( |$)"),
                                  ("vionet", rf"-Dvmd\.process=vionet {name}/net0( |$)")):
                    found = children_of(d, pat)
                    if len(found) != 1:
                        raise Fail(f"fleet: expected one {kind} process for {name}, found {found}")
                    self.known_children.add(found[0])
                    fleet.append(found[0])
            for mm in smaps_median(fleet).values():
                for k in sample:
                    sample[k] += mm[k] / n
            self.record_children()
            self.mem["fleet_vmd"].append(sample)
            say(f"fleet: {n} vmd VMs, per VM RSS {sample['rss']:.1f} MiB, PSS {sample['pss']:.1f} MiB")
        finally:
            for fd, con in cons:
                con.close()
                os.close(fd)
        for name in names:
            self.stop_vm(name)

        qemus, qsds, cons = [], [], []
        try:
            for i in range(1, n + 1):
                sock = os.path.join(self.w, f"qsd-f{i}.sock")
                qsds.append(self.start_qsd(os.path.join(self.w, f"qemu-disk-f{i}.raw"), sock, f"-f{i}"))
                q = subprocess.Popen(self.qemu_cmd("seabios", sock, f"sbqf{i}", os.path.join(self.w, f"qemu-f{i}.pid")),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(self.w, f"qemu-f{i}.err"), "ab"),
                                     preexec_fn=setns_preexec(f"/run/netns/{a.netns}"), start_new_session=True)
                qemus.append(q)
                cons.append(Console(q.stdout.fileno(), q.stdin.fileno(), os.path.join(self.w, f"console-qemu-f{i}.log")))
            for con in cons:
                con.wait(rb"VMDTEST READY", 120, what="VMDTEST READY (QEMU)")
                con.blk("fleet (QEMU)")
            time.sleep(self.a.settle)
            sample = {"rss": 0.0, "pss": 0.0}
            for mm in smaps_median([p.pid for p in qemus + qsds]).values():
                for k in sample:
                    sample[k] += mm[k] / n
            self.mem["fleet_qemu"].append(sample)
            say(f"fleet: {n} QEMU VMs, per VM RSS {sample['rss']:.1f} MiB, PSS {sample['pss']:.1f} MiB")
        finally:
            for con in cons:
                con.close()
            for q in qemus:
                stop_process(q, "qemu-system-x86_64")
            for q in qsds:
                stop_process(q, "qemu-storage-daemon")

    def qemu_round(self, r, firmware):
        """firmware "seabios" (QEMU's default, and the round whose footprint is taken) or "qboot"."""
        a = self.a
        cmd = self.qemu_cmd(firmware, self.qsd_sock, "sbq0", os.path.join(self.w, "qemu.pid"))
        err = open(os.path.join(self.w, f"qemu-{firmware}-{r}.err"), "ab")
        t0 = time.time()
        self.qemu = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                     preexec_fn=setns_preexec(f"/run/netns/{a.netns}"), start_new_session=True)
        con = Console(self.qemu.stdout.fileno(), self.qemu.stdin.fileno(), os.path.join(self.w, f"console-qemu-{firmware}-{r}.log"))
        try:
            try:
                _, t_ready = con.wait(rb"VMDTEST READY", 120, what="VMDTEST READY")
            except Fail as e:
                err.flush()
                raise Fail(f"QEMU ({firmware}) round {r}: {e}\nqemu stderr: {open(err.name, errors='replace').read()[-500:]}")
            self.res[f"qemu_ready_{firmware}"].append((t_ready - t0) * 1000)
            say(f"QEMU ({firmware}) round {r}: READY {1000 * (t_ready - t0):.0f} ms after exec of qemu-system-x86_64")
            time.sleep(0.2)
            blk = con.blk(f"QEMU ({firmware}) round {r}")
            if firmware == "seabios":
                self.res["qemu_blk"].append(blk * 1000)
                time.sleep(self.a.settle)
                sampled = smaps_median([self.qemu.pid, self.qsd.pid])
                self.mem["qemu"].append(sampled[self.qemu.pid])
                self.mem["qsd"].append(sampled[self.qsd.pid])
        finally:
            con.close()
            stop_process(self.qemu, "qemu-system-x86_64")
            self.qemu = None
            err.close()
        if self.qsd.poll() is not None:
            raise Fail("qemu-storage-daemon exited; see " + os.path.join(self.w, "qsd.log"))

    # ---- clean-up (start-run.sh's trap is the backstop)

    def cleanup(self):
        stop_process(self.qemu, "qemu-system-x86_64")
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.terminate()  # vmd stops its VMs and children on SIGTERM
            try:
                self.daemon.wait(30)
            except subprocess.TimeoutExpired:
                say(f"vmd (pid {self.daemon.pid}) still running 30 s after SIGTERM; SIGKILL")
                self.daemon.kill()
                self.daemon.wait(10)
        for pid in self.known_children:
            if alive(pid) and "-Dvmd.process=" in cmdline(pid):
                say(f"leftover vmd child {pid}; SIGKILL")
                os.kill(pid, signal.SIGKILL)
        stop_process(self.qsd, "qemu-storage-daemon")

    # ---- the table

    def table(self):
        a, res, mem = self.a, self.res, self.mem
        out = []

        def rng(xs, fmt):
            return f"{fmt.format(min(xs))}..{fmt.format(max(xs))}" if xs else "-"

        def cell(xs, fmt):
            return fmt.format(median(xs)) if xs else "n/a"

        def row(label, ours, qemu, fmt="{:.0f}", ours_cell=None):
            o, q = median(ours), (median(qemu) if qemu is not None else None)
            ratio = f"{o / q:.2f}" if o is not None and q else "-"
            ranges = "ours " + rng(ours, fmt)
            if qemu is not None:
                ranges += "; QEMU " + rng(qemu, fmt)
            qc = cell(qemu, fmt) if qemu is not None else "-"
            out.append(f"| {label} | {ours_cell or cell(ours, fmt)} | {qc} | {ratio} | {ranges} |")

        def m(kind, key):
            return [x[key] for x in mem[kind]]

        def total(kinds, key):
            return [sum(mem[k][i][key] for k in kinds) for i in range(len(mem[kinds[0]]))]

        out.append(f"Medians of {a.rounds} rounds; ratio = ours / QEMU; ranges are min..max. "
                   f"QEMU: -accel kvm -M {a.machine} -nodefaults, disk via qemu-storage-daemon (vhost-user-blk), "
                   f"virtio-net on a tap inside qemu-system (no option ROM); firmware SeaBIOS (QEMU's default) "
                   f"or qboot (-bios {QBOOT}); footprint from the SeaBIOS run. vmd's JVM: {self.jvm}. "
                   f"Host: {os.cpu_count()} CPUs, load average {self.load_start} at the start, {self.load_end} at the end.")
        out.append("")
        out.append("| metric | ours (vmd) | QEMU | ratio | range |")
        out.append("|---|---:|---:|---:|---|")
        qb = res["qemu_ready_qboot"] or None
        row("spawn to `VMDTEST READY`: exec of `vmctl start` / of qemu-system, QEMU with SeaBIOS (ms)",
            res["vmd_ready"], res["qemu_ready_seabios"])
        row("spawn to `VMDTEST READY`: exec of `vmctl start` / of qemu-system, QEMU with qboot (ms)", res["vmd_ready"], qb)
        row("spawn to READY from vmd's receipt of the request (no vmctl start-up) / QEMU with qboot (ms)",
            res["vmd_req_ready"], qb)
        row("(vmd: request to the parent's log 'bzimage boot': devices connected, guest starting) (ms)",
            res["vmd_req_vcpu"], None)
        row("guest `blk` command, write of `blk` to `VMDTEST OK blk` (ms)", res["vmd_blk"], res["qemu_blk"])
        row("device restart: SIGKILL of vioblk to the parent's respawn (log) (ms)", res["restart_respawn"], None)
        row("**device restart: SIGKILL of vioblk to the successor serving (vm log 'reconnected', setup replayed), p50** (ms)",
            res["restart_log"], None)
        row("device restart seen by the guest: SIGKILL + `blk` at once, to `OK blk`, minus the baseline `blk` (ms)",
            res["restart_guest"], None)
        if res["spare_restart"]:
            row("**device restart with `spare devices`: SIGKILL of vioblk to the warm spare serving (vm log 'reconnected')** (ms)",
                res["spare_restart"], None)
        f1 = "{:.1f}"
        for key, what in (("rss", "RSS"), ("pss", "PSS")):
            row(f"vm process / qemu-system, {what} without guest RAM (MiB)", m("vm", key), m("qemu", key), f1)
            row(f"vioblk process / qemu-storage-daemon, {what} (MiB)", m("vioblk", key), m("qsd", key), f1)
            row(f"vionet process, {what} (MiB; QEMU's tap back-end is inside qemu-system)", m("vionet", key), None, f1)
            row(f"**total per VM, {what}: vm + vioblk + vionet / qemu-system + qsd** (MiB)",
                total(["vm", "vioblk", "vionet"], key), total(["qemu", "qsd"], key), f1)
        if mem["fleet_vmd"] and mem["fleet_qemu"]:
            for key, what in (("rss", "RSS"), ("pss", "PSS")):
                row(f"**per VM with {a.vms} VMs running, {what}: their vm + vioblk + vionet / qemu-system + qsd, over {a.vms}** (MiB)",
                    m("fleet_vmd", key), m("fleet_qemu", key), f1)
        row("guest RAM resident (memfd Rss) in the vm process / qemu-system (MiB)", m("vm", "memfd_rss"), m("qemu", "memfd_rss"), f1)
        row("guest RAM resident (memfd Rss) in vioblk / qsd (MiB)", m("vioblk", "memfd_rss"), m("qsd", "memfd_rss"), f1)
        row("guest RAM resident (memfd Rss) in vionet (MiB)", m("vionet", "memfd_rss"), None, f1)
        if mem["spare_vioblk"]:
            for key, what in (("rss", "RSS"), ("pss", "PSS")):
                row(f"(`spare devices`) the idle spare vioblk + vionet processes, {what}, per host (MiB)",
                    total(["spare_vioblk", "spare_vionet"], key), None, f1)
        for kind, what in (("parent", "vmd parent"), ("control", "vmd control process")):
            row(f"(info) {what}, RSS / PSS (MiB)", m(kind, "rss"), None, f1,
                ours_cell=f"{cell(m(kind, 'rss'), f1)} / {cell(m(kind, 'pss'), f1)}")
        return "\n".join(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--guest", required=True)
    p.add_argument("--netns", required=True)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--machine", default="q35")
    p.add_argument("--no-spare", action="store_true", help="skip the `spare devices` restart rounds")
    p.add_argument("--settle", type=float, default=5.0, help="seconds from a VM's first `blk` to its footprint sample")
    p.add_argument("--vms", type=int, default=3, help="VMs started at once for the per-VM footprint of a host with several (0: skip)")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    b = Bench(a)
    b.load_start = loadavg()
    try:
        b.setup()
        time.sleep(2)  # let the daemon's JVMs finish warming up
        for r in range(1, a.rounds + 1):
            b.vmd_round(r)
            time.sleep(0.5)
            b.qemu_round(r, "seabios")
            time.sleep(0.5)
            if os.path.exists(QBOOT):
                b.qemu_round(r, "qboot")
                time.sleep(0.5)
        if a.vms > 0:
            b.fleet_phase()
        if not a.no_spare:
            b.spare_phase()
    except Fail as e:
        say(f"FAILED: {e}")
        return 1
    finally:
        b.load_end = loadavg()
        b.cleanup()
    print(b.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
