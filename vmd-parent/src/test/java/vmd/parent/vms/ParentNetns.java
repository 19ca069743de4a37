package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jnr.ffi.LibraryLoader;
import vmd.sys.Fds;
import vmd.sys.Native;

/**
 * Moves the parent's event thread (where taps, bridges and addresses are made, and the
 * ip commands it runs inherit from) into a network namespace the test created, so
 * nothing a test configures touches the host's network.
 */
final class ParentNetns {
    static final int CLONE_NEWNET = 0x40000000;

    /** setns(2), for tests only. */
    public interface NsCalls {
        int setns(int fd, int nstype);
    }

    private static final NsCalls CALLS = LibraryLoader.create(NsCalls.class).load("c");

    /** Enters namespace {@code ns} (made with {@code ip netns add}) on {@code f}'s event thread. */
    static void enter(VmFixture f, String ns) throws Exception {
        Native.libc();
        int nsFd = Fds.open("/run/netns/" + ns, Fds.O_RDONLY);
        try {
            assertEquals(0, (int) f.onEvents(() -> CALLS.setns(nsFd, CLONE_NEWNET)), "the parent's event thread entered " + ns);
        } finally {
            Fds.close(nsFd);
        }
    }

    private ParentNetns() {}
}
