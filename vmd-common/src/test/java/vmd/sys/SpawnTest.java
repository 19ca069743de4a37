package vmd.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import vmd.testing.ProcFs;

class SpawnTest {

    @Test
    void childInheritsExactlyStdioAndFd3() {
        int[] pair = UnixSockets.streamPair();
        int[] leaky = Fds.pipe();
        Fds.setCloexec(leaky[0], false); // as the JDK leaves its jar descriptors
        int pid = Spawn.spawn(List.of("/bin/sleep", "30"), List.of(), pair[1]);
        try {
            assertEquals(Set.of(0, 1, 2, 3), ProcFs.fds(pid).keySet());
            String socket = ProcFs.fds(ProcessHandle.current().pid()).get(pair[1]);
            assertEquals(socket, ProcFs.fds(pid).get(3));
        } finally {
            Signals.kill(pid, Signals.SIGKILL);
            WaitStatus st = Processes.waitFor(pid);
            assertTrue(st.signaled());
            for (int fd : new int[] {pair[0], pair[1], leaky[0], leaky[1]}) Fds.close(fd);
        }
    }

    @Test
    void childStartsWithAnEmptySignalMask() throws Exception {
        // Block a signal in the spawning thread; the child must not inherit the mask.
        Thread t = new Thread(() -> {
            Signals.threadMask(Signals.SIG_BLOCK, Signals.setOf(Signals.SIGTERM));
            int pid = Spawn.spawn(List.of("/bin/sleep", "30"), List.of(), -1);
            try {
                assertEquals("0000000000000000", ProcFs.status(pid, "SigBlk"));
                Signals.kill(pid, Signals.SIGTERM);
                assertEquals(Signals.SIGTERM, Processes.waitFor(pid).signal());
            } finally {
                if (ProcessHandle.of(pid).isPresent()) Signals.kill(pid, Signals.SIGKILL);
            }
        });
        Throwable[] failure = new Throwable[1];
        t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
        t.start();
        t.join();
        if (failure[0] != null) throw new AssertionError(failure[0]);
    }

    @Test
    void missingProgramIsANamedError() {
        NativeException e = assertThrows(NativeException.class,
                () -> Spawn.spawn(List.of("/nonexistent/prog"), List.of(), -1));
        assertEquals("posix_spawn /nonexistent/prog: ENOENT (No such file or directory)", e.getMessage());
    }
}
