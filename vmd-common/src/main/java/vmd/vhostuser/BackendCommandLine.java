package vmd.vhostuser;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The options every vhost-user back-end program understands (QEMU vhost-user.rst,
 * "Backend program conventions"): {@code --socket-path=PATH} (listen on a Unix socket),
 * {@code --fd=FDNUM} (an inherited, connected socket), {@code --print-capabilities}
 * (print the JSON capabilities and exit 0). Both {@code --opt=value} and
 * {@code --opt value} are accepted. Everything else is left, in order, in
 * {@link #rest()} for the device's own options.
 */
public record BackendCommandLine(String socketPath, int fd, boolean printCapabilities, List<String> rest) {
    public BackendCommandLine {
        rest = List.copyOf(rest);
    }

    /** One of the device's own options: {@code name} and its value (null for a flag), or an operand (name null). */
    public record Option(String name, String value) {}

    /**
     * The device's own options from {@link #rest()}, read with the same rules as the common
     * ones: {@code --opt=value} or {@code --opt value} for the names in {@code withValue},
     * bare {@code --flag} for those in {@code flags}, anything not starting with "--" an
     * operand. Throws IllegalArgumentException for an unknown option, a missing value or a
     * value given to a flag.
     */
    public List<Option> options(Set<String> withValue, Set<String> flags) {
        List<Option> out = new ArrayList<>();
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            if (!a.startsWith("--")) {
                out.add(new Option(null, a));
                continue;
            }
            int eq = a.indexOf('=');
            String name = eq > 0 ? a.substring(0, eq) : a, value = eq > 0 ? a.substring(eq + 1) : null;
            if (flags.contains(name)) {
                if (value != null) throw new IllegalArgumentException(name + " takes no value");
            } else if (withValue.contains(name)) {
                if (value == null) {
                    if (++i >= rest.size()) throw new IllegalArgumentException(name + " needs a value");
                    value = rest.get(i);
                }
            } else {
                throw new IllegalArgumentException("unknown option " + a);
            }
            out.add(new Option(name, value));
        }
        return out;
    }

    public boolean hasSocketPath() {
        return socketPath != null;
    }

    public boolean hasFd() {
        return fd >= 0;
    }

    /**
     * Parses {@code args}. Throws IllegalArgumentException with a message fit for stderr:
     * neither or both of --socket-path and --fd (unless --print-capabilities), a bad fd
     * number, an option without its value.
     */
    public static BackendCommandLine parse(String... args) {
        String path = null;
        int fd = -1;
        boolean caps = false;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String opt = a, value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                opt = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            switch (opt) {
                case "--print-capabilities" -> {
                    if (value != null) throw new IllegalArgumentException("--print-capabilities takes no value");
                    caps = true;
                }
                case "--socket-path" -> {
                    if (value == null) {
                        if (++i >= args.length) throw new IllegalArgumentException("--socket-path needs a PATH");
                        value = args[i];
                    }
                    if (value.isEmpty()) throw new IllegalArgumentException("--socket-path needs a PATH");
                    if (path != null) throw new IllegalArgumentException("--socket-path given twice");
                    path = value;
                }
                case "--fd" -> {
                    if (value == null) {
                        if (++i >= args.length) throw new IllegalArgumentException("--fd needs a descriptor number");
                        value = args[i];
                    }
                    if (fd >= 0) throw new IllegalArgumentException("--fd given twice");
                    try {
                        fd = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        fd = -1;
                    }
                    if (fd < 0) throw new IllegalArgumentException("--fd: not a descriptor number: " + value);
                }
                default -> rest.add(a);
            }
        }
        if (!caps) {
            if (path != null && fd >= 0) throw new IllegalArgumentException("--socket-path and --fd are incompatible");
            if (path == null && fd < 0) throw new IllegalArgumentException("one of --socket-path=PATH or --fd=FDNUM is required");
        }
        return new BackendCommandLine(path, fd, caps, rest);
    }

    /** The --print-capabilities JSON: {@code {"type": "block"}}, with "features" if any. */
    public static String capabilities(String type, List<String> features) {
        StringBuilder b = new StringBuilder("{\n  \"type\": \"").append(type).append('"');
        if (!features.isEmpty()) {
            b.append(",\n  \"features\": [\n");
            for (int i = 0; i < features.size(); i++) {
                b.append("    \"").append(features.get(i)).append('"').append(i + 1 < features.size() ? ",\n" : "\n");
            }
            b.append("  ]");
        }
        return b.append("\n}\n").toString();
    }
}
