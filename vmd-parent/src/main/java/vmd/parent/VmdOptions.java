package vmd.parent;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import vmd.parent.config.ConfigParser;

/** vmd's command line: {@code vmd [-dnv] [-D macro=value] [-f file]}. */
record VmdOptions(boolean foreground, boolean checkOnly, int verbose, Map<String, String> defines, Path configFile) {
    static final Path DEFAULT_CONFIG = Path.of("/etc/vm.conf");
    static final String USAGE = "usage: vmd [-dnv] [-D macro=value] [-f file]";

    static VmdOptions parse(String[] args) {
        boolean d = false, n = false;
        int v = 0;
        Map<String, String> defines = new LinkedHashMap<>();
        Path file = DEFAULT_CONFIG;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-") || a.length() < 2) throw new IllegalArgumentException(USAGE);
            for (int j = 1; j < a.length(); j++) {
                char c = a.charAt(j);
                switch (c) {
                    case 'd' -> d = true;
                    case 'n' -> n = true;
                    case 'v' -> v++;
                    case 'D', 'f' -> {
                        String value = j + 1 < a.length() ? a.substring(j + 1) : ++i < args.length ? args[i] : null;
                        if (value == null) throw new IllegalArgumentException(USAGE);
                        if (c == 'f') {
                            file = Path.of(value);
                        } else {
                            Map.Entry<String, String> def = ConfigParser.parseDefine(value);
                            if (def == null) throw new IllegalArgumentException("could not parse macro definition " + value);
                            defines.put(def.getKey(), def.getValue());
                        }
                        j = a.length();
                    }
                    default -> throw new IllegalArgumentException(USAGE);
                }
            }
        }
        return new VmdOptions(d, n, v, defines, file);
    }
}
