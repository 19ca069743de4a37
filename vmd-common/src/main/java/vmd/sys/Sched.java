package vmd.sys;

import static vmd.sys.Native.libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * sched_setattr(2) / sched_getattr(2) on the calling thread: its time slice under the
 * kernel's fair scheduler (EEVDF, Linux 6.12 and later, {@code sched_attr.sched_runtime}
 * for SCHED_OTHER). A shorter slice gives a waking thread an earlier deadline, so it runs
 * soon after its event instead of after the running task's slice, without a larger share
 * of the CPU and without privileges. Older kernels accept the call and ignore the slice.
 */
public final class Sched {
    private static final long SYS_SCHED_SETATTR = 314, SYS_SCHED_GETATTR = 315;
    /** struct sched_attr as of Linux 4.13 (SCHED_ATTR_SIZE_VER1). */
    private static final int ATTR_SIZE = 56;
    private static final long OFF_SIZE = 0, OFF_POLICY = 4, OFF_FLAGS = 8, OFF_NICE = 16, OFF_RUNTIME = 24;
    private static final int SCHED_OTHER = 0;

    private Sched() {}

    /** Sets this thread's slice to {@code nanos} (the kernel takes 0.1 to 100 ms), keeping SCHED_OTHER and its nice value. */
    public static void setSlice(long nanos) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = current(a);
            if (attr.get(ValueLayout.JAVA_INT, OFF_POLICY) != SCHED_OTHER) return; // a real-time or batch thread keeps its policy
            attr.set(ValueLayout.JAVA_INT, OFF_SIZE, ATTR_SIZE);
            attr.set(ValueLayout.JAVA_LONG, OFF_FLAGS, 0); // no utilisation clamps or other extras to keep
            attr.set(ValueLayout.JAVA_LONG, OFF_RUNTIME, nanos);
            Native.check("sched_setattr", libc().syscall(SYS_SCHED_SETATTR, 0, attr.address(), 0));
        }
    }

    /** This thread's slice in nanoseconds, as sched_getattr reports it (0 before Linux 6.12). */
    public static long slice() {
        try (Arena a = Arena.ofConfined()) {
            return current(a).get(ValueLayout.JAVA_LONG, OFF_RUNTIME);
        }
    }

    /** This thread's nice value. */
    public static int nice() {
        try (Arena a = Arena.ofConfined()) {
            return current(a).get(ValueLayout.JAVA_INT, OFF_NICE);
        }
    }

    /** This thread's sched_attr, in {@code arena}. */
    private static MemorySegment current(Arena arena) {
        MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
        Native.check("sched_getattr", libc().syscall(SYS_SCHED_GETATTR, 0, attr.address(), ATTR_SIZE, 0));
        return attr;
    }
}
