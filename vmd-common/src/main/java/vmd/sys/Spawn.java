package vmd.sys;

import static vmd.sys.Native.checkReturned;
import static vmd.sys.Native.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * posix_spawn(3) of a child that inherits exactly fds 0-2 and one descriptor at fd 3.
 *
 * <p>The JDK keeps jars and /dev/urandom open without close-on-exec, so the child closes
 * everything from fd 4 up ({@code posix_spawn_file_actions_addclosefrom_np}, glibc 2.34+).
 * The child starts with an empty signal mask and default dispositions, whatever the
 * spawning thread had, in a session of its own: a Ctrl-C or a signal to the daemon's
 * process group reaches only the parent, which then stops its VMs in order.
 */
public final class Spawn {
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    private static final int FILE_ACTIONS_SIZE = 256, ATTR_SIZE = 512;

    private Spawn() {}

    /** Spawns {@code argv[0]} (an absolute path) and returns the child's pid. */
    public static int spawn(List<String> argv, List<String> env, int fd3) {
        if (argv.isEmpty() || !argv.get(0).startsWith("/")) {
            throw new IllegalArgumentException("spawn needs an absolute program path: " + argv);
        }
        if (fd3 == 3) {
            // dup2 onto itself would not clear close-on-exec; bounce through another slot.
            throw new IllegalArgumentException("fd 3 cannot be passed as itself; dup it first");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(FILE_ACTIONS_SIZE, 16);
            MemorySegment attr = arena.allocate(ATTR_SIZE, 16);
            checkReturned("posix_spawn_file_actions_init", libc().posix_spawn_file_actions_init(actions));
            checkReturned("posix_spawnattr_init", libc().posix_spawnattr_init(attr));
            try {
                if (fd3 >= 0) {
                    checkReturned("posix_spawn_file_actions_adddup2", libc().posix_spawn_file_actions_adddup2(actions, fd3, 3));
                }
                int firstClosed = fd3 >= 0 ? 4 : 3;
                checkReturned("posix_spawn_file_actions_addclosefrom_np",
                        libc().posix_spawn_file_actions_addclosefrom_np(actions, firstClosed));
                checkReturned("posix_spawnattr_setflags",
                        libc().posix_spawnattr_setflags(attr, (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID)));
                checkReturned("posix_spawnattr_setsigmask", libc().posix_spawnattr_setsigmask(attr, Signals.emptySet()));
                checkReturned("posix_spawnattr_setsigdefault", libc().posix_spawnattr_setsigdefault(attr, Signals.fullSet()));
                MemorySegment pid = arena.allocate(JAVA_INT);
                checkReturned("posix_spawn " + argv.get(0), libc().posix_spawn(pid, arena.allocateFrom(argv.get(0)),
                        actions, attr, strings(arena, argv), strings(arena, env)));
                return pid.get(JAVA_INT, 0);
            } finally {
                libc().posix_spawn_file_actions_destroy(actions);
                libc().posix_spawnattr_destroy(attr);
            }
        }
    }

    /** A NULL-terminated char* array, living as long as {@code arena}. */
    private static MemorySegment strings(Arena arena, List<String> values) {
        MemorySegment array = arena.allocate(ADDRESS, values.size() + 1);
        for (int i = 0; i < values.size(); i++) array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
        array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
        return array;
    }
}
