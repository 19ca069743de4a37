package vmd.parent.config;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What every parse of any input must give (the fuzz targets' oracle): diagnostics that
 * name a file that was read and a line that file has, and a model within vm.conf(5)'s
 * limits. An exception, a hang or runaway memory is a failure of its own.
 */
final class ParseContract {
    private ParseContract() {
    }

    /**
     * @param files every file the parse could read, by the name diagnostics use
     */
    static void check(ParseResult r, Map<String, byte[]> files) {
        for (Diagnostic d : r.errors()) {
            located(d, files);
        }
        for (Diagnostic d : r.warnings()) {
            if (d.located()) {
                located(d, files);
            }
        }
        withinLimits(r.config());
    }

    private static void located(Diagnostic d, Map<String, byte[]> files) {
        if (!d.located()) {
            throw new AssertionError("no file:line: " + d);
        }
        byte[] data = files.get(d.file());
        if (data == null) {
            throw new AssertionError("names a file that was not read: " + d);
        }
        int last = lastLine(data);
        if (d.line() < 1 || d.line() > last) {
            throw new AssertionError("line " + d.line() + " is not one of the file's 1.." + last + ": " + d);
        }
        if (d.message().isBlank()) {
            throw new AssertionError("no message: " + d);
        }
    }

    /** The number of the line holding the last character (a final newline ends that line). */
    static int lastLine(byte[] data) {
        int lines = 0;
        for (byte b : data) {
            if (b == '\n') {
                lines++;
            }
        }
        if (data.length > 0 && data[data.length - 1] != '\n') {
            lines++;
        }
        return Math.max(1, lines);
    }

    private static void withinLimits(VmdConfig c) {
        Set<String> names = new HashSet<>();
        for (VmConfig vm : c.vms()) {
            require(names.add(vm.name()), "duplicate vm " + vm.name());
            require(ConfigParser.validVmName(vm.name()) && bytes(vm.name()) < Limits.NAME_LEN, "vm name " + vm.name());
            require(vm.disks().size() <= Limits.MAX_DISKS, vm.name() + ": disks " + vm.disks().size());
            require(vm.interfaces().size() <= Limits.MAX_NICS, vm.name() + ": interfaces " + vm.interfaces().size());
            require(vm.memory() == 0 || (vm.memory() >= Limits.MIN_MEMORY && vm.memory() <= Limits.MAX_MEMORY
                    && vm.memory() % Limits.MIN_MEMORY == 0), vm.name() + ": memory " + vm.memory());
            require(vm.cpus() >= 0 && vm.cpus() <= Limits.MAX_CPUS, vm.name() + ": cpus " + vm.cpus());
            require(vm.cmdline() == null || bytes(vm.cmdline()) < Limits.CMDLINE_SIZE, vm.name() + ": cmdline");
            for (InterfaceConfig i : vm.interfaces()) {
                require(i.name() == null || bytes(i.name()) < Limits.IF_NAMESIZE, vm.name() + ": ifname " + i.name());
                require(i.rdomain() >= -1 && i.rdomain() <= Limits.RT_TABLEID_MAX, vm.name() + ": rdomain");
            }
            if (vm.deviceRestarts() != null) {
                restarts(vm.deviceRestarts());
            }
        }
        for (SwitchConfig s : c.switches()) {
            require(s.ifname() != null && bytes(s.ifname()) < Limits.IF_NAMESIZE, "switch " + s.name() + " ifname");
            require(s.rdomain() >= -1 && s.rdomain() <= Limits.RT_TABLEID_MAX, "switch " + s.name() + " rdomain");
        }
        require(c.localPrefix().length() >= 1 && c.localPrefix().length() <= 16, "local prefix " + c.localPrefix());
        restarts(c.deviceRestarts());
    }

    private static void restarts(DeviceRestarts d) {
        require(d.count() >= 0 && d.count() <= DeviceRestarts.MAX_COUNT, "device restarts " + d);
        require(d.seconds() >= 1 && d.seconds() <= DeviceRestarts.MAX_SECONDS, "device restarts " + d);
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("outside vm.conf's limits: " + what);
        }
    }
}
