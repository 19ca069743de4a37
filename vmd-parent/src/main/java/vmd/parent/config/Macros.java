package vmd.parent.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The macro table (OpenBSD's symset/symget). Definitions from the command line
 * ({@code vmd -D name=value}) are persistent: the file cannot redefine them.
 * Redefining a file macro replaces it and forgets that it was used.
 */
final class Macros {

    private static final class Sym {
        final String value;
        final boolean persist;
        boolean used;

        Sym(String value, boolean persist) {
            this.value = value;
            this.persist = persist;
        }
    }

    private final Map<String, Sym> syms = new LinkedHashMap<>();

    void define(String name, String value, boolean persist) {
        Sym old = syms.get(name);
        if (old != null) {
            if (old.persist) {
                return;
            }
            syms.remove(name);
        }
        syms.put(name, new Sym(value, persist));
    }

    /** The value, marking the macro used; null if not defined. */
    String get(String name) {
        Sym s = syms.get(name);
        if (s == null) {
            return null;
        }
        s.used = true;
        return s.value;
    }

    List<String> unused() {
        List<String> out = new ArrayList<>();
        syms.forEach((k, v) -> {
            if (!v.used) {
                out.add(k);
            }
        });
        return out;
    }
}
