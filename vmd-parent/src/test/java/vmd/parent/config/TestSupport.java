package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** A parser with a fixed user table and a path resolver that needs no real files. */
final class TestSupport {
    private TestSupport() {
    }

    static final Map<String, Integer> USERS = Map.of("root", 0, "joe", 1000, "alice", 1001, "_vmd", 999,
            "vmd", 998);
    static final Map<String, Integer> GROUPS = Map.of("wheel", 0, "root", 0, "staff", 20, "vmusers", 500);

    static final Accounts ACCOUNTS = new Accounts() {
        @Override
        public OptionalInt uid(String user) {
            Integer v = USERS.get(user);
            return v == null ? OptionalInt.empty() : OptionalInt.of(v);
        }

        @Override
        public OptionalInt gid(String group) {
            Integer v = GROUPS.get(group);
            return v == null ? OptionalInt.empty() : OptionalInt.of(v);
        }
    };

    /**
     * Every path exists except those containing "missing" (ENOENT) or "denied"
     * (EACCES); "/link/" resolves to "/real/".
     */
    static final PathResolver PATHS = p -> {
        if (p.contains("missing")) {
            throw new NoSuchFileException(p);
        }
        if (p.contains("denied")) {
            throw new AccessDeniedException(p);
        }
        return p.replace("/link/", "/real/");
    };

    static final ConfigParser PARSER = new ConfigParser(ACCOUNTS, PATHS);

    static ParseResult parse(String text) {
        return PARSER.parseText("vm.conf", text, Map.of());
    }

    static ParseResult parse(String text, Map<String, String> defines) {
        return PARSER.parseText("vm.conf", text, defines);
    }

    /** Parses text that must be valid, without warnings; returns the model. */
    static VmdConfig ok(String text) {
        ParseResult r = parse(text);
        assertEquals(List.of(), r.messages(), "messages for:\n" + text);
        assertTrue(r.ok());
        return r.config();
    }

    static VmConfig onlyVm(String text) {
        VmdConfig c = ok(text);
        assertEquals(1, c.vms().size());
        return c.vms().get(0);
    }

    /** The errors, as printed. */
    static List<String> errors(String text) {
        return parse(text).errors().stream().map(Diagnostic::toString).toList();
    }

    static List<String> warnings(String text) {
        return parse(text).warnings().stream().map(Diagnostic::toString).toList();
    }

    static void assertErrors(String text, String... expected) {
        assertEquals(List.of(expected), errors(text), "errors for:\n" + text);
    }

}
