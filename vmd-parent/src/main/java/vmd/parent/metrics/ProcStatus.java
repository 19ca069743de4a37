package vmd.parent.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory figures of a process from /proc/PID/status, which the parent (root) may read for every child. */
final class ProcStatus {
    private ProcStatus() {}

    /** {@code field} ("VmRSS", "RssShmem") of process {@code pid} in bytes, or -1 if the process is gone. */
    static long bytes(long pid, String field) {
        try {
            return parse(Files.readString(Path.of("/proc/" + pid + "/status")), field);
        } catch (IOException | RuntimeException e) {
            return -1; // it has just exited: it is left out
        }
    }

    /** {@code field}'s value in bytes from a status file's text ("VmRSS:\t  1234 kB"), or -1. */
    static long parse(String status, String field) {
        for (String line : status.split("\n")) {
            if (!line.startsWith(field + ":")) continue;
            String[] f = line.substring(field.length() + 1).trim().split("\\s+");
            long v = Long.parseLong(f[0]);
            return f.length > 1 && f[1].equals("kB") ? v * 1024 : v;
        }
        return -1;
    }
}
