package vmd.parent.config;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads vm.conf(5): OpenBSD vmd's grammar (usr.sbin/vmd/parse.y, 7.x), with a
 * few Linux additions that no OpenBSD file can contain.
 *
 * <h2>Grammar</h2>
 * Every statement ends at a newline. Options inside {@code { }} are one per
 * line (the first may share the line with the brace); interface options may
 * also follow {@code interface} on the same line, optionally comma-separated;
 * {@code allow instance} items are separated by commas or newlines. Adjacent
 * strings are concatenated ({@code boot $dir "bsd.rd"}).
 * <pre>
 * name = "value"                                      macro
 * include "file"
 * local prefix a.b.c.d/len                            length 1..16, default /16
 * local inet6 [prefix addr/len]                       length 0..64, default /64
 * socket owner user[:group] | :group | uid
 * agentx [context "c"] [path "/p"]                    accepted; warning on Linux
 * staggered start parallel N delay N
 * device restarts N per S                             Linux: N 0..10000, S 1..86400 (default 3 per 60)
 * switch "name" {
 *     interface ifname   (required)   group g   locked lladdr   rdomain N
 *     up | down   enable | disable
 * }
 * vm "name" { ... }   |   vm "parent" instance "name" { ... }
 *     enable | disable                 boot "path"            boot device disk|cdrom|net
 *     disk "path" [format raw|qcow2]   cdrom "path"           interfaces N
 *     [local] interface [name] [{ switch "s"  group g  [locked] lladdr [xx:xx:xx:xx:xx:xx]
 *                                 rdomain N  up | down }]
 *     memory N[K|M|G|T...]             owner user[:group] | :group | uid
 *     allow instance { boot, memory, interface, disk, cdrom, instance, owner u[:g] }
 *     sev | seves                      accepted; warning on Linux
 * </pre>
 *
 * <h2>Linux extensions</h2>
 * These words are <em>not</em> reserved: each is recognised only where it
 * begins a statement (at the top level, only when not followed by {@code =}),
 * so an OpenBSD file that uses them as macro names or unquoted values means
 * exactly what it meant.
 * <pre>
 * user "name"            top level: unprivileged user of the child processes (default _vmd)
 * firmware "path"        top level: firmware image for VMs without boot (default: SeaBIOS)
 * vm "x" {
 *     cpus N             number of vCPUs, 1..64 (default 1)
 *     cmdline "text"     kernel command line for a Linux kernel given with boot
 *     initrd "path"      initial ramdisk for a Linux kernel given with boot
 *     firmware "path"    firmware image for this VM
 *     allow instance { cpus }   a non-root instance owner may change cpus
 *     device restarts N per S   this VM's devices' restart budget (default: the global one)
 * }
 * </pre>
 * The default interface name {@code tap} means "a new tap device"; any other
 * name is a Linux interface name (tapN on OpenBSD). A switch's {@code interface}
 * is the Linux bridge.
 *
 * <h2>Checks</h2>
 * As OpenBSD: names and lengths, at most 4 disks and 4 interfaces, memory of at
 * least 1 MB and at most 128 GB (rounded down to a megabyte), lladdr and prefix
 * syntax, owners' users and groups that exist, image paths resolved (realpath).
 * Unlike OpenBSD, an image that cannot be opened is a warning: the VM that needs
 * it fails when it starts, and the others run. As OpenBSD's vm_register() would when loading, but already for
 * {@code vmd -n}: VM name characters, duplicate VM names, instances (the parent
 * must be declared earlier). An interface naming a switch that is not defined is
 * not an error (vm.conf(5): the option is ignored) but is warned about.
 *
 * <h2>Errors</h2>
 * Each is {@code file:line: message}, at the line of the last token read (as
 * yyerror() with yylval.lineno). After an error the rest of the line is skipped
 * and parsing resumes at the top level, and further syntax errors are not
 * reported until three tokens have been read without error, exactly like the
 * yacc parser: an error inside a block therefore drops that block, and usually
 * hides the rest of it.
 */
public final class ConfigParser {

    private final Accounts accounts;
    private final PathResolver resolver;
    private final IncludeFiles includes;

    /** A parser that looks users up in /etc/passwd and /etc/group and resolves paths on this host. */
    public ConfigParser() {
        this(Accounts.system(), PathResolver.system());
    }

    /** A parser whose {@code include} reads the host's files. */
    public ConfigParser(Accounts accounts, PathResolver resolver) {
        this(accounts, resolver, IncludeFiles.system());
    }

    public ConfigParser(Accounts accounts, PathResolver resolver, IncludeFiles includes) {
        this.accounts = Objects.requireNonNull(accounts, "accounts");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.includes = Objects.requireNonNull(includes, "includes");
    }

    /**
     * Reads a vm.conf file. {@code defines} are {@code vmd -D name=value}
     * macros; they override definitions in the file. A file that does not exist
     * gives an empty configuration and a warning (as OpenBSD's parse_config()).
     */
    public static ParseResult parse(Path file, Map<String, String> defines) {
        return new ConfigParser().parseFile(file, defines);
    }

    /** Reads configuration text; {@code name} is the file name used in messages. */
    public static ParseResult parseString(String name, String text, Map<String, String> defines) {
        return new ConfigParser().parseText(name, text, defines);
    }

    public ParseResult parseFile(Path file, Map<String, String> defines) {
        byte[] data;
        try {
            data = IncludeFiles.readAtMost(file, Limits.MAX_CONFIG_BYTES);
        } catch (NoSuchFileException e) {
            return new ParseResult(VmdConfig.empty(), List.of(),
                    List.of(Diagnostic.unlocated("failed to open " + file + ": No such file or directory")));
        } catch (IOException e) {
            return new ParseResult(VmdConfig.empty(),
                    List.of(Diagnostic.unlocated("failed to open " + file + ": " + strerror(e))), List.of());
        }
        return new Session(file.toString(), identity(file), data, defines).run();
    }

    public ParseResult parseText(String name, String text, Map<String, String> defines) {
        return parseBytes(name, text.getBytes(StandardCharsets.UTF_8), defines);
    }

    /** Reads configuration bytes as a file holds them (they need not be valid UTF-8). */
    public ParseResult parseBytes(String name, byte[] data, Map<String, String> defines) {
        return new Session(name, name, data, defines).run();
    }

    /** The top file's identity for include-loop checks: its real path, as {@link IncludeFiles#system}'s. */
    private static String identity(Path file) {
        try {
            return file.toRealPath().toString();
        } catch (IOException | RuntimeException e) {
            return file.toString();
        }
    }

    /**
     * Splits a {@code -D name=value} argument at its last '=' (OpenBSD's
     * cmdline_symset()); null if there is none ("could not parse macro definition").
     */
    public static Map.Entry<String, String> parseDefine(String arg) {
        int i = arg.lastIndexOf('=');
        if (i < 0) {
            return null;
        }
        return Map.entry(arg.substring(0, i), arg.substring(i + 1));
    }

    // ------------------------------------------------------------------

    /** Unwinds to the top level: yacc's YYERROR (semantic) or a syntax error. */
    private static final class Abort extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final boolean syntax;

        Abort(boolean syntax) {
            super(null, null, false, false);
            this.syntax = syntax;
        }
    }

    private record SwitchRef(String file, int line, String vm, int index, String name) {
    }

    private static final class IfaceState {
        boolean local;
        String name;
        String switchName;
        MacAddress lladdr;
        boolean locked;
        String group;
        int rdomain = -1;
        boolean up = true;

        InterfaceConfig build() {
            return new InterfaceConfig(local, name, switchName, lladdr, locked, group, rdomain, up);
        }
    }

    private static final class VmState {
        final VmConfig.Builder b;
        final String parent;
        int nics;
        int nifs;
        final Set<InstanceFlag> allowFlags = EnumSet.noneOf(InstanceFlag.class);
        Owner allowOwner = Owner.NONE;
        final List<SwitchRef> refs = new ArrayList<>();

        VmState(String name, String parent) {
            this.b = VmConfig.builder(name);
            this.parent = parent;
        }
    }

    private static final class SwitchState {
        final String name;
        boolean enabled = true;
        String ifname;
        String group;
        boolean locked;
        int rdomain = -1;
        boolean up = true;

        SwitchState(String name) {
            this.name = name;
        }
    }

    private final class Session {
        final Macros macros = new Macros();
        final Lexer lexer;
        final List<Diagnostic> errors = new ArrayList<>();
        final List<Diagnostic> warnings = new ArrayList<>();
        Token la;
        /** yacc's yyerrflag: syntax errors are reported only when it is 0. */
        int errflag;

        IpPrefix localPrefix = VmdConfig.DEFAULT_LOCAL_PREFIX;
        boolean inet6;
        IpPrefix prefix6;
        Owner socketOwner = VmdConfig.DEFAULT_SOCKET_OWNER;
        VmdConfig.StaggeredStart staggered;
        VmdConfig.Agentx agentx;
        String user = Limits.DEFAULT_USER;
        boolean userSet;
        String firmware;
        boolean spareDevices;
        DeviceRestarts deviceRestarts;
        MetricsConfig metrics = MetricsConfig.OFF;
        final List<SwitchConfig> switches = new ArrayList<>();
        final Map<String, VmConfig> vms = new LinkedHashMap<>();
        final List<SwitchRef> switchRefs = new ArrayList<>();
        /** The enabled switches' names: a set, so that many switches and references stay linear. */
        final Set<String> enabledSwitches = new java.util.HashSet<>();

        Session(String name, String identity, byte[] data, Map<String, String> defines) {
            if (defines != null) {
                defines.forEach((k, v) -> macros.define(k, v, true));
            }
            lexer = new Lexer(name, identity, data, macros, (f, l, m) -> errors.add(new Diagnostic(f, l, m)),
                    includes);
        }

        ParseResult run() {
            while (!peek().isEof()) {
                try {
                    statement();
                } catch (Abort a) {
                    if (a.syntax && errflag == 0) {
                        error("syntax error");
                    }
                    if (!recover()) {
                        break;
                    }
                }
            }
            for (SwitchRef r : switchRefs) {
                boolean found = enabledSwitches.contains(r.name());
                if (!found) {
                    warnings.add(new Diagnostic(r.file(), r.line(), "warning: vm \"" + r.vm() + "\" interface "
                            + r.index() + ": switch \"" + r.name() + "\" not found, not attached"));
                }
            }
            for (String m : macros.unused()) {
                warnings.add(Diagnostic.unlocated("warning: macro '" + m + "' not used"));
            }
            VmdConfig config = new VmdConfig(localPrefix, inet6, prefix6, socketOwner, staggered, agentx, user,
                    firmware, spareDevices, deviceRestarts != null ? deviceRestarts : DeviceRestarts.DEFAULT, switches,
                    new ArrayList<>(vms.values()), metrics);
            return new ParseResult(config, errors, warnings);
        }

        // ---- tokens and errors ----

        Token peek() {
            if (la == null) {
                la = lexer.lex();
            }
            return la;
        }

        /** Consumes the lookahead (a yacc shift). */
        Token next() {
            Token t = peek();
            la = null;
            if (errflag > 0) {
                errflag--;
            }
            return t;
        }

        /**
         * yacc error recovery: skip to the end of the line (an ERROR token has
         * already swallowed it) and resume at the top level. False at end of input.
         */
        boolean recover() {
            errflag = 3;
            while (true) {
                Token t = peek();
                if (t.isNewline() || t.isError() || t.isEndOfInclude()) {
                    next();
                    return true;
                }
                if (t.isEof()) {
                    return false;
                }
                la = null;
            }
        }

        void error(String message) {
            errors.add(new Diagnostic(lexer.fileName(), lexer.line(), message));
        }

        Abort fail(String message) {
            error(message);
            return new Abort(false);
        }

        Abort failAt(String file, int line, String message) {
            errors.add(new Diagnostic(file, line, message));
            return new Abort(false);
        }

        Abort syntax() {
            return new Abort(true);
        }

        void warn(String file, int line, String message) {
            warnings.add(new Diagnostic(file, line, "warning: " + message));
        }

        void expectNewline() {
            if (!peek().isNewline()) {
                throw syntax();
            }
            next();
        }

        void expectChar(int c) {
            if (!peek().isChar(c)) {
                throw syntax();
            }
            next();
        }

        void expect(Keyword k) {
            if (!peek().is(k)) {
                throw syntax();
            }
            next();
        }

        long number() {
            if (!peek().isNumber()) {
                throw syntax();
            }
            return next().number();
        }

        /** One STRING token (the grammar's plain STRING). */
        String word() {
            if (!peek().isString()) {
                throw syntax();
            }
            return next().text();
        }

        /** The grammar's {@code string}: one or more adjacent STRINGs, concatenated. */
        String string() {
            StringBuilder sb = new StringBuilder(word());
            while (peek().isString()) {
                sb.append(next().text());
            }
            return sb.toString();
        }

        void optnl() {
            while (peek().isNewline()) {
                next();
            }
        }

        /**
         * The body of a switch or vm block after {@code '{' optnl}: the first
         * option may be followed directly by '}', every later one by a newline.
         */
        void options(Runnable option) {
            option.run();
            boolean first = true;
            while (true) {
                if (!first && !peek().isNewline()) {
                    throw syntax();
                }
                optnl();
                if (peek().isChar('}')) {
                    return;
                }
                option.run();
                first = false;
            }
        }

        // ---- statements ----

        void statement() {
            Token t = peek();
            if (t.isNewline() || t.isEndOfInclude()) {
                next();
                return;
            }
            if (t.is(Keyword.INCLUDE)) {
                include();
            } else if (t.isString()) {
                varsetOrExtension();
            } else if (t.is(Keyword.LOCAL) || t.is(Keyword.SOCKET) || t.is(Keyword.AGENTX)
                    || t.is(Keyword.STAGGERED)) {
                main();
            } else if (t.is(Keyword.DEVICE)) {
                next();
                DeviceRestarts d = deviceRestarts();
                if (deviceRestarts != null) {
                    throw fail("device restarts specified more than once");
                }
                deviceRestarts = d;
            } else if (t.is(Keyword.SWITCH)) {
                switchBlock();
            } else if (t.is(Keyword.VM)) {
                vm();
            } else {
                throw syntax();
            }
            expectNewline();
        }

        void include() {
            next();
            String name = string();
            if (lexer.depth() > Limits.MAX_INCLUDE_DEPTH) {
                throw fail("include nesting too deep: " + name);
            }
            // The include line must end before the file's text is read, or what
            // follows on it would be read after the file.
            if (!peek().isNewline()) {
                throw syntax();
            }
            try {
                lexer.include(name);
            } catch (IOException e) {
                throw fail("failed to include file " + name + ": " + strerror(e));
            }
        }

        void varsetOrExtension() {
            Token first = next();
            if (peek().isChar('=')) {
                next();
                String value = word();
                if (first.text().chars().anyMatch(Lexer::isSpace)) {
                    throw fail("macro name cannot contain whitespace");
                }
                macros.define(first.text(), value, false);
                return;
            }
            if (first.isWord("user")) {
                String name = string();
                if (userSet) {
                    throw fail("user specified more than once");
                }
                // Whether it exists is the host's matter, checked by vmd before it spawns
                // anything (and by vmd -n), with a message that says how to create it.
                if (name.isEmpty() || name.startsWith("-") || name.chars().anyMatch(c -> c == ':' || Lexer.isSpace(c))) {
                    throw fail("invalid user name: " + name);
                }
                user = name;
                userSet = true;
            } else if (first.isWord("firmware")) {
                String path = string();
                if (firmware != null) {
                    throw fail("firmware specified more than once");
                }
                firmware = image(null, "firmware", path, "firmware path too long");
            } else if (first.isWord("spare") && peek().isWord("devices")) {
                next();
                spareDevices = true;
            } else if (first.isWord("metrics")) {
                metrics();
            } else {
                throw syntax();
            }
        }

        /**
         * {@code metrics socket "PATH"} or {@code metrics listen ADDRESS port N} after
         * {@code metrics} (Linux; "metrics", "listen" and "port" are not reserved). The
         * address must be IPv4 loopback: metrics name every VM and what it does, and vmd
         * serves them to the local host only, as it does vmctl.
         */
        void metrics() {
            if (peek().is(Keyword.SOCKET)) {
                next();
                String path = string();
                if (metrics.socket() != null) {
                    throw fail("metrics socket specified more than once");
                }
                if (!path.startsWith("/")) {
                    throw fail("metrics socket path is not absolute: " + path);
                }
                if (bytes(path) >= Limits.SUN_PATH_LEN) {
                    throw fail("metrics socket path too long");
                }
                metrics = metrics.withSocket(path);
            } else if (peek().isWord("listen")) {
                next();
                String address = word();
                if (!peek().isWord("port")) {
                    throw syntax();
                }
                next();
                long port = number();
                if (metrics.listen() != null) {
                    throw fail("metrics listen specified more than once");
                }
                String loopback = loopbackAddress(address);
                if (port < 1 || port > 65535) {
                    throw fail("metrics listen: invalid port " + port);
                }
                metrics = metrics.withListen(loopback, (int) port);
            } else {
                throw syntax();
            }
        }

        /** {@code a.b.c.d} in 127.0.0.0/8 (or "localhost", 127.0.0.1), normalized; anything else fails. */
        String loopbackAddress(String address) {
            if (address.equals("localhost")) {
                return "127.0.0.1";
            }
            if (address.contains(":")) {
                throw fail("metrics listen " + address + ": only IPv4 loopback addresses (127.0.0.0/8) are supported");
            }
            if (!FULL_DOTTED.matcher(address).matches()) {
                throw fail("metrics listen " + address + ": not an IPv4 address");
            }
            int[] octets = java.util.Arrays.stream(address.split("\\.")).mapToInt(Integer::parseInt).toArray();
            for (int o : octets) {
                if (o > 255) {
                    throw fail("metrics listen " + address + ": not an IPv4 address");
                }
            }
            if (octets[0] != 127) {
                throw fail("metrics listen " + address + ": not a loopback address (metrics are served to the local"
                        + " host only: use 127.0.0.1, or a metrics socket)");
            }
            return octets[0] + "." + octets[1] + "." + octets[2] + "." + octets[3];
        }

        void main() {
            Token t = next();
            if (t.is(Keyword.LOCAL)) {
                if (peek().is(Keyword.INET6)) {
                    next();
                    if (peek().is(Keyword.PREFIX)) {
                        next();
                        String s = word();
                        String[] err = new String[1];
                        IpPrefix p = parsePrefix6(s, err);
                        if (p == null) {
                            throw fail("invalid local inet6 prefix: " + err[0]);
                        }
                        prefix6 = p;
                    }
                    inet6 = true;
                } else if (peek().is(Keyword.PREFIX)) {
                    next();
                    String s = word();
                    String[] err = new String[1];
                    IpPrefix p = parsePrefix4(s, err);
                    if (p == null) {
                        throw fail("invalid local prefix: " + err[0]);
                    }
                    localPrefix = p;
                } else {
                    throw syntax();
                }
            } else if (t.is(Keyword.SOCKET)) {
                expect(Keyword.OWNER);
                Owner o = ownerId();
                socketOwner = new Owner(o.hasUid() ? o.uid() : 0, o.hasUid() ? o.user() : "root",
                        o.hasGid() ? o.gid() : 0, o.hasGid() ? o.group() : "root");
            } else if (t.is(Keyword.AGENTX)) {
                String file = lexer.fileName();
                int line = t.line();
                String context = null;
                String path = null;
                while (peek().is(Keyword.CONTEXT) || peek().is(Keyword.PATH)) {
                    boolean isContext = next().is(Keyword.CONTEXT);
                    String s = word();
                    if (isContext) {
                        if (bytes(s) > 32) {
                            throw fail("agentx context too large");
                        }
                        context = s;
                    } else {
                        if (bytes(s) >= 108) {
                            throw fail("agentx path too large");
                        }
                        if (!s.startsWith("/")) {
                            throw fail("agentx path is not absolute");
                        }
                        path = s;
                    }
                }
                agentx = new VmdConfig.Agentx(context, path != null ? path : Limits.AGENTX_MASTER_PATH);
                warn(file, line, "agentx is not supported on Linux, ignored");
            } else {
                expect(Keyword.START);
                expect(Keyword.PARALLEL);
                long parallel = number();
                expect(Keyword.DELAY);
                long delay = number();
                if (parallel < 1 || parallel > Integer.MAX_VALUE) {
                    throw fail("invalid staggered start parallelism: " + parallel);
                }
                if (delay < 0 || delay > Integer.MAX_VALUE) {
                    throw fail("invalid staggered start delay: " + delay);
                }
                staggered = new VmdConfig.StaggeredStart((int) parallel, (int) delay);
            }
        }

        /**
         * {@code device restarts N per S} after {@code device} (Linux; "restarts" and
         * "per" are not reserved): N from 0 (never restart) to 10000, S seconds from 1 to
         * a day.
         */
        DeviceRestarts deviceRestarts() {
            if (!peek().isWord("restarts")) {
                throw syntax();
            }
            next();
            long count = number();
            if (!peek().isWord("per")) {
                throw syntax();
            }
            next();
            long seconds = number();
            if (count < 0 || count > DeviceRestarts.MAX_COUNT) {
                throw fail("device restarts: the count must be from 0 to " + DeviceRestarts.MAX_COUNT + ", not " + count);
            }
            if (seconds < 1 || seconds > DeviceRestarts.MAX_SECONDS) {
                throw fail("device restarts: the period must be from 1 to " + DeviceRestarts.MAX_SECONDS
                        + " seconds, not " + seconds);
            }
            return new DeviceRestarts((int) count, (int) seconds);
        }

        // ---- switch ----

        void switchBlock() {
            String file = lexer.fileName();
            int line = next().line();
            String name = string();
            SwitchState s = new SwitchState(name);
            expectChar('{');
            optnl();
            options(() -> switchOption(s));
            expectChar('}');
            if (s.ifname == null) {
                throw fail("switch \"" + name + "\" is missing interface name");
            }
            if (s.enabled && !enabledSwitches.add(name)) {
                warn(file, line, "switch \"" + name + "\" defined more than once, the first one is used");
            }
            switches.add(new SwitchConfig(name, s.enabled, s.ifname, s.group, s.locked, s.rdomain, s.up));
        }

        void switchOption(SwitchState s) {
            Token t = peek();
            if (t.is(Keyword.ENABLE) || t.is(Keyword.DISABLE)) {
                next();
                s.enabled = t.is(Keyword.ENABLE);
            } else if (t.is(Keyword.GROUP)) {
                next();
                String g = string();
                if (!validGroup(g)) {
                    throw fail("invalid group name: " + g);
                }
                s.group = g;
            } else if (t.is(Keyword.INTERFACE)) {
                next();
                String n = string();
                if (!validIfname(n)) {
                    throw fail("invalid switch interface: " + n);
                }
                if (bytes(n) >= Limits.IF_NAMESIZE) {
                    throw fail("switch interface too long: " + n);
                }
                s.ifname = n;
            } else if (t.is(Keyword.LOCKED)) {
                next();
                expect(Keyword.LLADDR);
                s.locked = true;
            } else if (t.is(Keyword.RDOMAIN)) {
                next();
                s.rdomain = rdomain(number());
            } else if (t.is(Keyword.UP) || t.is(Keyword.DOWN)) {
                next();
                s.up = t.is(Keyword.UP);
            } else {
                throw syntax();
            }
        }

        int rdomain(long n) {
            if (n < 0 || n > Limits.RT_TABLEID_MAX) {
                throw fail("invalid rdomain: " + n);
            }
            return (int) n;
        }

        // ---- vm ----

        void vm() {
            String file = lexer.fileName();
            int line = next().line();
            String first = string();
            String parent = null;
            String name = first;
            if (peek().is(Keyword.INSTANCE)) {
                next();
                parent = first;
                name = string();
            }
            if (parent != null && bytes(parent) >= Limits.NAME_LEN) {
                throw fail("vm " + parent + " name too long");
            }
            if (bytes(name) >= Limits.NAME_LEN) {
                throw fail("vm name too long");
            }
            VmState st = new VmState(name, parent);
            expectChar('{');
            optnl();
            options(() -> vmOption(st));
            expectChar('}');
            register(st, file, line);
        }

        void register(VmState st, String file, int line) {
            String name = st.b.name;
            while (st.b.interfaces.size() < st.nifs) {
                st.b.interfaces.add(InterfaceConfig.DEFAULT);
            }
            VmConfig vm = st.b.build();
            String failed = "vm \"" + name + "\" failed: ";
            if (vms.containsKey(name)) {
                throw failAt(file, line, failed + "duplicate vm name");
            }
            if (st.parent != null) {
                VmConfig parent = vms.get(st.parent);
                if (parent == null) {
                    throw failAt(file, line, failed + "parent vm \"" + st.parent + "\" not found");
                }
                try {
                    vm = VmInstances.create(parent, vm, Caller.ROOT);
                } catch (InstanceException e) {
                    throw failAt(file, line, failed + e.getMessage());
                }
            }
            if (!validVmName(name)) {
                throw failAt(file, line, failed + "invalid VM name");
            }
            vms.put(name, vm);
            switchRefs.addAll(st.refs);
        }

        void vmOption(VmState st) {
            Token t = peek();
            VmConfig.Builder b = st.b;
            if (t.is(Keyword.ENABLE) || t.is(Keyword.DISABLE)) {
                next();
                b.enabled = t.is(Keyword.ENABLE);
            } else if (t.is(Keyword.SEV) || t.is(Keyword.SEVES)) {
                next();
                b.sev = true;
                b.seves |= t.is(Keyword.SEVES);
                warn(lexer.fileName(), t.line(), t.text() + " is not supported on Linux, ignored");
            } else if (t.is(Keyword.DISK)) {
                disk(st);
            } else if (t.is(Keyword.LOCAL) || t.is(Keyword.INTERFACE)) {
                iface(st);
            } else if (t.is(Keyword.BOOT)) {
                next();
                if (peek().is(Keyword.DEVICE)) {
                    next();
                    Token d = peek();
                    if (d.is(Keyword.CDROM)) {
                        b.bootDevice = BootDevice.CDROM;
                    } else if (d.is(Keyword.DISK)) {
                        b.bootDevice = BootDevice.DISK;
                    } else if (d.is(Keyword.NET)) {
                        b.bootDevice = BootDevice.NET;
                    } else {
                        throw syntax();
                    }
                    next();
                    return;
                }
                String path = string();
                if (b.boot != null) {
                    throw fail("kernel specified more than once");
                }
                b.boot = image(b.name, "kernel", path, "kernel name too long");
            } else if (t.is(Keyword.CDROM)) {
                next();
                String path = string();
                if (b.cdrom != null) {
                    throw fail("cdrom specified more than once");
                }
                if (bytes(path) >= Limits.PATH_MAX) {
                    throw fail("cdrom name too long");
                }
                image(b.name, "cdrom", path, "cdrom name too long");
                b.cdrom = path; // as written: OpenBSD resolves it only when the VM starts
            } else if (t.is(Keyword.NIFS)) {
                next();
                long n = number();
                if (st.nifs != 0) {
                    throw fail("interfaces specified more than once");
                }
                if (n < 0 || n > Limits.MAX_NICS) {
                    throw fail("too many interfaces: " + n);
                }
                st.nifs = (int) n;
            } else if (t.is(Keyword.MEMORY)) {
                next();
                Token v = peek();
                if (!v.isNumber() && !v.isString()) {
                    throw syntax();
                }
                next();
                if (b.memory != 0) {
                    throw fail("memory specified more than once");
                }
                b.memory = memorySize(v);
            } else if (t.is(Keyword.OWNER)) {
                next();
                b.owner = ownerId();
            } else if (t.is(Keyword.ALLOW)) {
                allowInstance(st);
            } else if (t.is(Keyword.DEVICE)) {
                next();
                DeviceRestarts d = deviceRestarts();
                if (b.deviceRestarts != null) {
                    throw fail("device restarts specified more than once");
                }
                b.deviceRestarts = d;
            } else if (t.isWord("cpus")) {
                next();
                long n = number();
                if (b.cpus != 0) {
                    throw fail("cpus specified more than once");
                }
                if (n < 1 || n > Limits.MAX_CPUS) {
                    throw fail("invalid number of cpus: " + n);
                }
                b.cpus = (int) n;
            } else if (t.isWord("cmdline")) {
                next();
                String s = string();
                if (b.cmdline != null) {
                    throw fail("cmdline specified more than once");
                }
                if (bytes(s) >= Limits.CMDLINE_SIZE) {
                    throw fail("cmdline too long");
                }
                b.cmdline = s;
            } else if (t.isWord("initrd")) {
                next();
                String s = string();
                if (b.initrd != null) {
                    throw fail("initrd specified more than once");
                }
                b.initrd = image(b.name, "initrd", s, "initrd path too long");
            } else if (t.isWord("firmware")) {
                next();
                String s = string();
                if (b.firmware != null) {
                    throw fail("firmware specified more than once");
                }
                b.firmware = image(b.name, "firmware", s, "firmware path too long");
            } else {
                throw syntax();
            }
        }

        /**
         * An image's path, resolved. One that cannot be resolved or read is a warning,
         * not an error, and is kept as written: that VM fails when it starts, with the
         * same reason, and the others start (OpenBSD makes it an error for the file).
         *
         * @param vm the VM's name, or null for a global image
         */
        String image(String vm, String what, String path, String tooLong) {
            String file = lexer.fileName();
            int line = lexer.line();
            if (bytes(path) >= Limits.PATH_MAX) {
                throw fail(tooLong);
            }
            String real = path;
            try {
                real = resolver.realPath(path);
                resolver.checkReadable(real);
            } catch (IOException e) {
                warn(file, line, (vm != null ? "vm \"" + vm + "\": " : "") + "cannot open " + what + " " + path + ": "
                        + strerror(e));
            }
            if (bytes(real) >= Limits.PATH_MAX) {
                throw fail(tooLong);
            }
            return real;
        }

        void disk(VmState st) {
            next();
            String path = string();
            DiskFormat format = DiskFormat.AUTO;
            if (peek().is(Keyword.FORMAT)) {
                next();
                String f = string();
                format = DiskFormat.parse(f);
                if (format == null) {
                    throw fail("unrecognized disk format " + f);
                }
            }
            if (st.b.disks.size() >= Limits.MAX_DISKS) {
                throw fail("too many disks");
            }
            st.b.disks.add(new DiskConfig(image(st.b.name, "disk", path, "disk path too long"), format));
        }

        long memorySize(Token v) {
            long val;
            if (v.isString()) {
                try {
                    val = Scaled.scan(v.text());
                } catch (Scaled.ScaleException e) {
                    throw fail("invalid memory size: " + v.text() + ": " + e.getMessage());
                }
            } else {
                val = v.number();
            }
            if (val < Limits.MIN_MEMORY) {
                throw fail("memory size must be at least 1MB");
            }
            if (val > Limits.MAX_MEMORY) {
                throw fail("memory size too large (limit is " + Scaled.format(Limits.MAX_MEMORY) + ")");
            }
            return val / Limits.MIN_MEMORY * Limits.MIN_MEMORY;
        }

        void iface(VmState st) {
            String file = lexer.fileName();
            int line = peek().line();
            IfaceState f = new IfaceState();
            if (peek().is(Keyword.LOCAL)) {
                next();
                f.local = true;
            }
            expect(Keyword.INTERFACE);
            String ifname = peek().isString() ? next().text() : null;
            if (peek().isChar('{')) {
                next();
                optnl();
                do {
                    ifaceOption(f);
                    optnl();
                } while (!peek().isChar('}'));
                next();
            } else if (ifaceOptionStart(peek())) {
                ifaceOption(f);
                while (ifaceOptionStart(peek())) {
                    ifaceOption(f);
                    if (peek().isChar(',')) {
                        next();
                    }
                }
            }
            int index = st.nics++;
            if (st.nics > Limits.MAX_NICS) {
                throw fail("too many interfaces: " + st.nics);
            }
            if (ifname != null) {
                if (!ifname.equals("tap") && !validIfname(ifname)) {
                    throw fail("invalid interface: " + ifname);
                }
                if (bytes(ifname) >= Limits.IF_NAMESIZE) {
                    throw fail("interface name too long: " + ifname);
                }
                f.name = ifname.equals("tap") ? null : ifname;
            }
            st.b.interfaces.add(f.build());
            if (f.switchName != null) {
                st.refs.add(new SwitchRef(file, line, st.b.name, index, f.switchName));
            }
        }

        boolean ifaceOptionStart(Token t) {
            return t.is(Keyword.SWITCH) || t.is(Keyword.GROUP) || t.is(Keyword.LOCKED) || t.is(Keyword.LLADDR)
                    || t.is(Keyword.RDOMAIN) || t.is(Keyword.UP) || t.is(Keyword.DOWN);
        }

        void ifaceOption(IfaceState f) {
            Token t = peek();
            if (t.is(Keyword.SWITCH)) {
                next();
                String s = string();
                if (bytes(s) >= Limits.NAME_LEN) {
                    throw fail("switch name too long: " + s);
                }
                f.switchName = s;
            } else if (t.is(Keyword.GROUP)) {
                next();
                String g = string();
                if (!validGroup(g)) {
                    throw fail("invalid group name: " + g);
                }
                f.group = g;
            } else if (t.is(Keyword.LOCKED) || t.is(Keyword.LLADDR)) {
                next();
                boolean locked = t.is(Keyword.LOCKED);
                if (locked) {
                    expect(Keyword.LLADDR);
                }
                MacAddress mac = null;
                if (peek().isString()) {
                    String a = next().text();
                    mac = MacAddress.parse(a);
                    if (mac == null) {
                        throw fail("invalid address: " + a);
                    }
                }
                f.locked |= locked;
                f.lladdr = mac == null || mac.isZero() ? null : mac;
            } else if (t.is(Keyword.RDOMAIN)) {
                next();
                f.rdomain = rdomain(number());
            } else if (t.is(Keyword.UP) || t.is(Keyword.DOWN)) {
                next();
                f.up = t.is(Keyword.UP);
            } else {
                throw syntax();
            }
        }

        void allowInstance(VmState st) {
            next();
            expect(Keyword.INSTANCE);
            if (peek().isChar('{')) {
                next();
                optnl();
                instanceFlag(st);
                while (true) {
                    if (peek().isChar(',')) {
                        next();
                        optnl();
                        instanceFlag(st);
                    } else if (peek().isNewline()) {
                        optnl();
                        if (peek().isChar('}')) {
                            break;
                        }
                        instanceFlag(st);
                    } else {
                        break;
                    }
                }
                expectChar('}');
            } else {
                instanceFlag(st);
            }
            st.b.allowInstance = new AllowInstance(st.allowFlags, st.allowOwner);
        }

        void instanceFlag(VmState st) {
            Token t = peek();
            InstanceFlag flag;
            if (t.is(Keyword.BOOT)) {
                flag = InstanceFlag.BOOT;
            } else if (t.is(Keyword.MEMORY)) {
                flag = InstanceFlag.MEMORY;
            } else if (t.is(Keyword.INTERFACE)) {
                flag = InstanceFlag.INTERFACE;
            } else if (t.is(Keyword.DISK)) {
                flag = InstanceFlag.DISK;
            } else if (t.is(Keyword.CDROM)) {
                flag = InstanceFlag.CDROM;
            } else if (t.is(Keyword.INSTANCE)) {
                flag = InstanceFlag.INSTANCE;
            } else if (t.isWord("cpus")) {
                flag = InstanceFlag.CPUS;
            } else if (t.is(Keyword.OWNER)) {
                next();
                st.allowOwner = ownerId();
                return;
            } else {
                throw syntax();
            }
            next();
            st.allowFlags.add(flag);
        }

        Owner ownerId() {
            Token t = peek();
            if (t.isNumber()) {
                next();
                if (t.number() < 0 || t.number() > Integer.MAX_VALUE) {
                    throw fail("invalid user id: " + t.number());
                }
                return new Owner((int) t.number(), t.text(), -1, null);
            }
            if (!t.isString()) {
                throw syntax();
            }
            next();
            String s = t.text();
            String user = s;
            String group = null;
            int colon = s.indexOf(':');
            if (colon >= 0) {
                user = s.substring(0, colon);
                group = s.substring(colon + 1);
            }
            int uid = -1;
            int gid = -1;
            if (!user.isEmpty()) {
                OptionalInt u = accounts.uid(user);
                if (u.isEmpty()) {
                    throw fail("failed to get user: " + user);
                }
                uid = u.getAsInt();
            }
            if (group != null && !group.isEmpty()) {
                OptionalInt g = accounts.gid(group);
                if (g.isEmpty()) {
                    throw fail("failed to get group: " + group);
                }
                gid = g.getAsInt();
            }
            return new Owner(uid, uid < 0 ? null : user, gid, gid < 0 ? null : group);
        }
    }

    // ---- validation helpers ----

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** OpenBSD's vm_register() name check: [A-Za-z0-9._-], not starting with '.', '-' or '_'. */
    static boolean validVmName(String name) {
        if (name.isEmpty()) {
            return false;
        }
        char c0 = name.charAt(0);
        if (c0 == '-' || c0 == '.' || c0 == '_') {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(Lexer.isAlnum(c) || c == '.' || c == '-' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /** OpenBSD's priv_validgroup(): shorter than IF_NAMESIZE, not ending in a digit. */
    static boolean validGroup(String g) {
        if (bytes(g) >= Limits.IF_NAMESIZE) {
            return false;
        }
        return g.isEmpty() || !Lexer.isDigit(g.charAt(g.length() - 1));
    }

    /** Linux's dev_valid_name() (the length is checked separately). */
    static boolean validIfname(String n) {
        if (n.isEmpty() || n.equals(".") || n.equals("..")) {
            return false;
        }
        for (int i = 0; i < n.length(); i++) {
            char c = n.charAt(i);
            if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** strerror() for the exceptions java.nio.file throws. */
    static String strerror(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "Not a directory";
        }
        if (e instanceof FileSystemLoopException) {
            return "Too many levels of symbolic links";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** strtonum(3) within [min, max]; null with err[0] set to its error string. */
    private static Integer strtonum(String s, int min, int max, String[] err) {
        if (!s.matches("[+-]?[0-9]+")) {
            err[0] = "invalid";
            return null;
        }
        long v;
        try {
            v = Long.parseLong(s.startsWith("+") ? s.substring(1) : s);
        } catch (NumberFormatException e) {
            err[0] = s.startsWith("-") ? "too small" : "too large";
            return null;
        }
        if (v < min) {
            err[0] = "too small";
            return null;
        }
        if (v > max) {
            err[0] = "too large";
            return null;
        }
        return (int) v;
    }

    private static final Pattern DOTTED = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){0,3}");
    private static final Pattern FULL_DOTTED = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");

    /**
     * OpenBSD's parse_prefix4(): "a.b.c.d[/len]" (or the abbreviated "a.b/len"
     * of inet_net_pton), length 1..16 (default 16), host bits clear.
     */
    static IpPrefix parsePrefix4(String str, String[] err) {
        String ps = str;
        int mask = 16;
        int slash = str.lastIndexOf('/');
        if (slash >= 0) {
            Integer m = strtonum(str.substring(slash + 1), 1, 16, err);
            if (m == null) {
                return null;
            }
            mask = m;
            ps = str.substring(0, slash);
        }
        if (!DOTTED.matcher(ps).matches()) {
            err[0] = "invalid format";
            return null;
        }
        String[] parts = ps.split("\\.");
        byte[] a = new byte[4];
        for (int i = 0; i < parts.length; i++) {
            int v = Integer.parseInt(parts[i]);
            if (v > 255) {
                err[0] = "invalid format";
                return null;
            }
            a[i] = (byte) v;
        }
        int addr = ((a[0] & 0xff) << 24) | ((a[1] & 0xff) << 16) | ((a[2] & 0xff) << 8) | (a[3] & 0xff);
        int bits = (int) (0xffffffffL << (32 - mask));
        if ((addr & bits) != addr) {
            err[0] = "bad mask";
            return null;
        }
        try {
            return new IpPrefix(InetAddress.getByAddress(a), mask);
        } catch (UnknownHostException e) {
            err[0] = "invalid format";
            return null;
        }
    }

    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    /** OpenBSD's parse_prefix6(): an IPv6 address[/len], length 0..64 (default 64), host bits clear. */
    static IpPrefix parsePrefix6(String str, String[] err) {
        String ps = str;
        int mask = 64;
        int slash = str.lastIndexOf('/');
        if (slash >= 0) {
            Integer m = strtonum(str.substring(slash + 1), 0, 64, err);
            if (m == null) {
                return null;
            }
            mask = m;
            ps = str.substring(0, slash);
        }
        byte[] a;
        if (!IPV6.matcher(ps).matches()) {
            err[0] = "invalid format";
            return null;
        }
        try {
            InetAddress ia = InetAddress.getByName(ps);
            if (ia instanceof Inet4Address) {
                // ::ffff:a.b.c.d, which Java turns into an IPv4 address
                a = new byte[16];
                a[10] = (byte) 0xff;
                a[11] = (byte) 0xff;
                System.arraycopy(ia.getAddress(), 0, a, 12, 4);
            } else {
                a = ia.getAddress();
            }
        } catch (UnknownHostException e) {
            err[0] = "invalid format";
            return null;
        }
        for (int i = 0; i < 16; i++) {
            int bitsInByte = Math.max(0, Math.min(8, mask - 8 * i));
            int m = (0xff << (8 - bitsInByte)) & 0xff;
            if ((a[i] & ~m & 0xff) != 0) {
                err[0] = "bad mask";
                return null;
            }
        }
        try {
            return new IpPrefix(Inet6Address.getByAddress(null, a, -1), mask);
        } catch (UnknownHostException e) {
            err[0] = "invalid format";
            return null;
        }
    }
}
