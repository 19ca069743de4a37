package vmd.parent;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vmd.parent.config.ConfigParser;

/**
 * vmd's command line: {@code vmd [-dnv] [-D macro=value] [-f file] [-p pidfile] [-s socket]}.
 * {@code -p} and {@code -s} are Linux additions (defaults /run/vmd.pid and /run/vmd.sock,
 * or $VMD_SOCKET), so that a second daemon or a test can run beside the system one.
 */
record VmdOptions(boolean foreground, boolean checkOnly, int verbose, Map<String, String> defines, Path configFile,
        String socket, String pidFile, List<String> args) {
    static final Path DEFAULT_CONFIG = Path.of("/etc/vm.conf");
    static final String DEFAULT_PIDFILE = "/run/vmd.pid";
    static final String USAGE = "usage: vmd [-dnv] [-D macro=value] [-f file] [-p pidfile] [-s socket]";

    static VmdOptions parse(String[] args) {
        boolean d = false, n = false;
        int v = 0;
        Map<String, String> defines = new LinkedHashMap<>();
        Path file = DEFAULT_CONFIG;
        String socket = null, pidFile = DEFAULT_PIDFILE;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-") || a.length() < 2) throw new IllegalArgumentException(USAGE);
            for (int j = 1; j < a.length(); j++) {
                char c = a.charAt(j);
                switch (c) {
                    case 'd' -> d = true;
                    case 'n' -> n = true;
                    case 'v' -> v++;
                    case 'D', 'f', 'p', 's' -> {
                        String value = j + 1 < a.length() ? a.substring(j + 1) : ++i < args.length ? args[i] : null;
                        if (value == null) throw new IllegalArgumentException(USAGE);
                        switch (c) {
                            case 'f' -> file = Path.of(value);
                            case 'p' -> pidFile = value;
                            case 's' -> socket = value;
                            default -> {
                                Map.Entry<String, String> def = ConfigParser.parseDefine(value);
                                if (def == null) throw new IllegalArgumentException("could not parse macro definition " + value);
                                defines.put(def.getKey(), def.getValue());
                            }
                        }
                        j = a.length();
                    }
                    default -> throw new IllegalArgumentException(USAGE);
                }
            }
        }
        return new VmdOptions(d, n, v, defines, file, socket, pidFile, List.of(args));
    }

    /** The arguments again, with -d: how the daemonized copy is started. */
    List<String> foregroundArgs() {
        List<String> a = new ArrayList<>(args);
        a.add("-d");
        return a;
    }
}
