package vmd.vmctl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import vmd.imsg.ImsgType;
import vmd.imsg.StartVm;
import vmd.imsg.VmOpResult;

/**
 * {@code vmctl start [-cL] [-B device] [-b path] [-d disk] [-i count] [-m size] [-n switch]
 * [-r path] [-t name] [-p cpus] [-A cmdline] [-I initrd] id|name}. {@code -p}, {@code -A} and
 * {@code -I} are Linux additions (vCPUs, kernel command line, initial ramdisk).
 */
final class StartCommand implements Command {
    @Override
    public String name() {
        return "start";
    }

    @Override
    public String usage() {
        return "[-cL] [-B device] [-b path] [-d disk] [-i count]\n"
                + "\t\t[-m size] [-n switch] [-r path] [-t name]\n"
                + "\t\t[-p cpus] [-A cmdline] [-I initrd] id | name";
    }

    @Override
    public int run(Vmctl ctl, List<String> argv) {
        Args a = Args.parse("A:b:B:cd:i:I:Lm:n:p:r:t:", argv);
        if (a.operands.size() != 1) throw new UsageException("");
        String name = a.operands.get(0);
        if (name.startsWith("-")) throw new VmctlException("invalid id: " + name);
        if (name.length() >= 64) throw new VmctlException("name too long");
        String boot = "", cdrom = "", template = "", cmdline = "", initrd = "", bootDevice = "";
        List<String> disks = new ArrayList<>(), nets = new ArrayList<>();
        int nifs = -1, cpus = 0;
        long memory = 0;
        boolean console = false;
        for (Args.Option o : a.options) {
            String v = o.value();
            switch (o.letter()) {
                case 'b' -> {
                    if (!boot.isEmpty()) throw new VmctlException("boot image specified multiple times");
                    boot = realpath(v, "invalid boot image path");
                }
                case 'B' -> {
                    if (!bootDevice.isEmpty()) throw new VmctlException("boot device specified multiple times");
                    if (!List.of("disk", "cdrom", "net").contains(v)) throw new VmctlException("unknown boot device " + v);
                    bootDevice = v;
                }
                case 'r' -> {
                    if (!cdrom.isEmpty()) throw new VmctlException("iso image specified multiple times");
                    cdrom = realpath(v, "invalid iso image path");
                }
                case 'c' -> console = true;
                case 'L' -> nets.add(".");
                case 'm' -> {
                    if (memory != 0) throw new VmctlException("memory specified multiple times");
                    memory = size(ctl, v, "invalid memory size: " + v);
                }
                case 'n' -> nets.add(v);
                case 'd' -> {
                    String prefix = v.startsWith("raw:") ? "raw:" : v.startsWith("qcow2:") ? "qcow2:" : "";
                    disks.add(prefix + realpath(v.substring(prefix.length()), "invalid disk path"));
                }
                case 'i' -> {
                    if (nifs != -1) throw new VmctlException("interfaces specified multiple times");
                    nifs = count(v, "invalid interface count: " + v);
                }
                case 't' -> template = v;
                case 'p' -> cpus = count(v, "invalid cpu count: " + v);
                case 'A' -> cmdline = v;
                case 'I' -> initrd = realpath(v, "invalid initrd path");
                default -> throw new UsageException("");
            }
        }
        if (disks.size() > StartVm.MAX_DISKS) throw new VmctlException("too many disks");
        if (Math.max(nifs, nets.size()) > StartVm.MAX_NICS) throw new VmctlException("too many network interfaces");
        if (nets.size() > nifs) nifs = nets.size();
        if (cpus > 64) throw new VmctlException("too many cpus");
        StartVm req = new StartVm(name, template, boot, cdrom, disks, nets, nifs, memory, cpus, cmdline, initrd, bootDevice, -1, -1);
        if (template.isEmpty() && req.createsVm()) {
            if (boot.isEmpty() && disks.isEmpty() && cdrom.isEmpty()) throw new VmctlException("no kernel or disk/cdrom specified");
            if (boot.isEmpty() && disks.isEmpty()) ctl.warn("starting without disks");
            if (boot.isEmpty() && nifs <= 0) ctl.warn("starting without network interfaces");
        }
        VmOpResult r;
        try (ControlClient c = ctl.connect()) {
            c.send(ImsgType.START_VM_REQUEST, req);
            r = VmOpCommand.expect(c, ImsgType.START_VM_RESPONSE);
        }
        if (r.code() != 0) throw new VmctlException("start vm command failed: " + VmOpCommand.strerror(r));
        if (console) return ConsoleCommand.attach(ctl, r.tty());
        ctl.warn("started vm " + r.id() + " successfully, tty " + r.tty());
        return 0;
    }

    private static String realpath(String path, String error) {
        try {
            return Path.of(path).toRealPath().toString();
        } catch (IOException | RuntimeException e) {
            throw new VmctlException(error + ": " + (e instanceof java.nio.file.NoSuchFileException ? "No such file or directory" : e.getMessage()));
        }
    }

    /** OpenBSD's parse_size(): at least 1 MB, rounded down to MB with a warning. */
    static long size(Vmctl ctl, String word, String error) {
        long v;
        try {
            v = Scaled.parse(word);
        } catch (NumberFormatException e) {
            throw new VmctlException(error);
        }
        if (v < (1 << 20)) {
            ctl.warn("size must be at least one megabyte");
            throw new VmctlException(error);
        }
        long mb = v / (1 << 20);
        if (mb * (1 << 20) != v) ctl.warn("size rounded to " + mb + " megabytes");
        return mb * (1 << 20);
    }

    private static int count(String word, String error) {
        try {
            int n = Integer.parseInt(word);
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new VmctlException(error);
        }
    }
}
