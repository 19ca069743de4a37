package vmd.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reading /proc/PID: open descriptors, status fields, smaps entries. */
public final class ProcFs {
    private ProcFs() {}

    /** fd number -> link target. */
    public static Map<Integer, String> fds(long pid) {
        Map<Integer, String> out = new TreeMap<>();
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path p : (Iterable<Path>) list::iterator) {
                try {
                    out.put(Integer.parseInt(p.getFileName().toString()), Files.readSymbolicLink(p).toString());
                } catch (IOException gone) {
                    // the fd closed while we listed
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public static String status(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) return line.substring(field.length() + 1).trim();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return null;
    }

    /** One smaps entry: its header line, VmFlags, and its sizes in KiB by field (Rss, Pss, Shared_Clean...). */
    public record Mapping(long start, long end, String header, List<String> vmFlags, Map<String, Long> kib) {}

    public static List<Mapping> smaps(long pid) {
        List<Mapping> out = new ArrayList<>();
        try {
            String header = null;
            long start = 0, end = 0;
            Map<String, Long> kib = new HashMap<>();
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
                if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                    header = line;
                    String[] range = line.split(" ")[0].split("-");
                    start = Long.parseUnsignedLong(range[0], 16);
                    end = Long.parseUnsignedLong(range[1], 16);
                    kib = new HashMap<>();
                } else if (line.startsWith("VmFlags:") && header != null) {
                    out.add(new Mapping(start, end, header, List.of(line.substring(8).trim().split("\\s+")), Map.copyOf(kib)));
                } else if (line.endsWith(" kB")) {
                    String[] f = line.split(":\\s+");
                    kib.put(f[0], Long.parseLong(f[1].substring(0, f[1].length() - 3).trim()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public static Mapping mappingAt(long pid, long address) {
        return smaps(pid).stream().filter(m -> m.start() <= address && address < m.end()).findFirst().orElse(null);
    }
}
