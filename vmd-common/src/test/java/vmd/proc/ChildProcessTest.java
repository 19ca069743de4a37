package vmd.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.sys.Signals;
import vmd.sys.UnixSockets;
import vmd.sys.WaitStatus;
import vmd.testing.Prerequisites;
import vmd.testing.ProcFs;
import vmd.testing.TestClasspath;

/** Real child JVMs, spawned as the parent spawns them, dropped to the unprivileged user. */
class ChildProcessTest {
    private ChildLauncher launcher;
    private Child child;

    @BeforeEach
    void setUp() {
        Prerequisites.requireChildUser();
        Prerequisites.requireTool("/usr/bin/setpriv");
        launcher = new ChildLauncher(JvmCommand.current().withClassPath(TestClasspath.readableCopy()), new Reaper());
    }

    @AfterEach
    void tearDown() {
        if (child != null && !child.exit().isDone()) {
            Signals.kill(child.pid(), Signals.SIGKILL);
            child.exit().orTimeout(30, TimeUnit.SECONDS).join();
        }
        if (child != null) Fds.closeQuietly(child.socket());
    }

    private Child spawn() {
        child = launcher.spawn(new ChildSpec("test", "test child", ReportingChild.class.getName(), List.of(),
                Privileges.of(Prerequisites.childUser())));
        String ready = readLine(child.socket());
        assertEquals("ready " + child.pid(), ready);
        return child;
    }

    static String readLine(int fd) {
        ByteBuffer in = ByteBuffer.allocate(512);
        while (true) {
            UnixSockets.Received r = UnixSockets.receive(fd, in);
            if (r.eof()) return null;
            String s = new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII);
            if (s.endsWith("\n")) return s.trim();
        }
    }

    static void send(int fd, String line, int... fds) {
        UnixSockets.sendFully(fd, ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII)), fds);
    }

    @Test
    void childHasExactlyStdioAndItsSocketAndRunsUnprivileged() {
        spawn();
        Map<Integer, String> fds = ProcFs.fds(child.pid());
        // The JVM opens its own files after exec (jars, /dev/urandom...); those are fine.
        // What must hold: 0-3 are the inherited ones and nothing of the parent's leaked.
        assertTrue(fds.get(3).startsWith("socket:"), "fd 3 is the parent's socket: " + fds);
        for (Map.Entry<Integer, String> e : ProcFs.fds(ProcessHandle.current().pid()).entrySet()) {
            if (e.getKey() <= 3) continue;
            String target = e.getValue();
            if (target.startsWith("socket:") || target.startsWith("pipe:") || target.startsWith("anon_inode:")) {
                assertFalse(fds.containsValue(target) && !target.equals(fds.get(3)),
                        "parent's " + target + " (fd " + e.getKey() + ") leaked into the child: " + fds);
            }
        }
        String uid = ProcFs.status(child.pid(), "Uid");
        assertFalse(uid.startsWith("0"), "child dropped root: Uid " + uid);
        assertEquals("1", ProcFs.status(child.pid(), "NoNewPrivs"));
        assertEquals("0000000000000000", ProcFs.status(child.pid(), "CapEff"));
        assertEquals("0000000000000000", ProcFs.status(child.pid(), "CapBnd"));
        send(child.socket(), "status");
        assertEquals("nnp 1", readLine(child.socket()));
    }

    @Test
    void seccompFilterRefusesNewProgramsAndSocketsButNotThreads() {
        spawn();
        send(child.socket(), "seccomp");
        assertEquals("seccomp spawn=refused socket=refused mode=2", readLine(child.socket()));
        assertEquals("2", ProcFs.status(child.pid(), "Seccomp"));
    }

    @Test
    void onlyStdioAndFd3AreInheritedAtExec() {
        // Open a non-CLOEXEC descriptor the way the JDK does; it must not reach the child.
        int[] leaky = Fds.pipe();
        Fds.setCloexec(leaky[0], false);
        try {
            spawn();
            String target = ProcFs.fds(ProcessHandle.current().pid()).get(leaky[0]);
            assertFalse(ProcFs.fds(child.pid()).containsValue(target), "non-CLOEXEC fd leaked: " + target);
        } finally {
            Fds.close(leaky[0]);
            Fds.close(leaky[1]);
        }
    }

    @Test
    void secondProcessMapsTheSameMemoryAndSeesWritesBothWays() {
        long size = 4L << 20;
        GuestMemory mem = GuestMemory.create("shared-test", List.of(new MemoryRegion(0, size, 0)));
        mem.putLong(MemoryPeer.MAGIC_GPA, MemoryPeer.MAGIC);
        spawn();
        send(child.socket(), "map " + size, mem.fd());
        String[] reply = readLine(child.socket()).split(" ");
        assertEquals("mapped", reply[0]);
        assertEquals(Long.toHexString(MemoryPeer.MAGIC), reply[2], "child saw the parent's write");
        assertEquals("true", reply[3], "child's mapping is msealed");
        assertEquals(MemoryPeer.ANSWER, mem.getLong(MemoryPeer.ANSWER_GPA), "parent sees the child's write");
        // The child's own mapping carries the whole contract.
        long childAddr = Long.parseUnsignedLong(reply[1], 16);
        vmd.testing.MemoryContract.assertSealedGuestMapping(child.pid(), childAddr);
    }

    @Test
    void spawnedChildDoesNotInheritGuestMemory() {
        GuestMemory mem = GuestMemory.create("not-inherited", List.of(new MemoryRegion(0, 2L << 20, 0)));
        assertTrue(mem.totalSize() > 0);
        spawn();
        boolean found = ProcFs.smaps(child.pid()).stream().anyMatch(m -> m.header().contains("/memfd:not-inherited"));
        assertFalse(found, "the child must not have the parent's guest memory mapped");
        assertFalse(ProcFs.fds(child.pid()).values().stream().anyMatch(t -> t.contains("memfd:not-inherited")),
                "nor its memfd open");
    }

    @Test
    void reaperReportsExitCodes() {
        spawn();
        send(child.socket(), "exit 7");
        WaitStatus status = child.exit().orTimeout(30, TimeUnit.SECONDS).join();
        assertEquals(7, status.exitCode());
        assertFalse(status.signaled());
        assertEquals("exited with status 7", status.toString());
    }

    @Test
    void reaperReportsSignals() {
        spawn();
        send(child.socket(), "signal " + Signals.SIGKILL);
        WaitStatus status = child.exit().orTimeout(30, TimeUnit.SECONDS).join();
        assertTrue(status.signaled());
        assertEquals(Signals.SIGKILL, status.signal());
    }

    @Test
    void grandchildDiesWithItsParent() throws Exception {
        spawn();
        send(child.socket(), "spawn");
        String[] reply = readLine(child.socket()).split(" ");
        assertEquals("spawned", reply[0]);
        long grandchild = Long.parseLong(reply[1]);
        assertTrue(ProcessHandle.of(grandchild).map(ProcessHandle::isAlive).orElse(false));
        Signals.kill(child.pid(), Signals.SIGKILL);
        child.exit().orTimeout(30, TimeUnit.SECONDS).join();
        // PR_SET_PDEATHSIG: the kernel kills the orphan; poll until it is gone.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ProcessHandle.of(grandchild).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(ProcessHandle.of(grandchild).map(ProcessHandle::isAlive).orElse(false), "orphaned grandchild still alive");
    }
}
