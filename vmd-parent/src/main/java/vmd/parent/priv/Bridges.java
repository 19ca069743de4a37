package vmd.parent.priv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.parent.config.SwitchConfig;

/**
 * Switches as Linux bridges, and what vm.conf says about interfaces that has a Linux
 * meaning: {@code group} (Linux link groups are numbers, named in /etc/iproute2/group),
 * {@code rdomain} (a VRF device whose table is the rdomain number).
 */
public final class Bridges {
    private static final Logger log = LoggerFactory.getLogger(Bridges.class);
    private static final Pattern VRF = Pattern.compile("^\\d+:\\s+([^:@\\s]+)[:@].*?\\bvrf table (\\d+)", Pattern.MULTILINE | Pattern.DOTALL);

    private Bridges() {}

    /** Creates the switch's bridge if it does not exist, and applies up/down and rdomain. */
    public static void ensure(SwitchConfig sw) {
        if (!IpCommand.linkExists(sw.ifname())) {
            IpCommand.run("link", "add", "name", sw.ifname(), "type", "bridge");
            log.info("switch {}: created bridge {}", sw.name(), sw.ifname());
        }
        if (sw.hasRdomain()) IpCommand.run("link", "set", "dev", sw.ifname(), "master", vrfFor(sw.rdomain()));
        IpCommand.run("link", "set", "dev", sw.ifname(), sw.up() ? "up" : "down");
    }

    /** Adds a VM's tap to the switch's bridge, with the switch's group. */
    public static void attach(SwitchConfig sw, String tap) {
        IpCommand.run("link", "set", "dev", tap, "master", sw.ifname());
        if (sw.group() != null) setGroup(tap, sw.group());
    }

    /** The VRF device for rdomain {@code n}; refuses clearly when there is none. */
    public static String vrfFor(int n) {
        String out;
        try {
            out = IpCommand.run("-d", "-o", "link", "show", "type", "vrf");
        } catch (IllegalStateException e) {
            out = "";
        }
        for (String line : out.split("\n")) {
            Matcher m = VRF.matcher(line);
            if (m.find() && Integer.parseInt(m.group(2)) == n) return m.group(1);
        }
        throw new IllegalArgumentException("rdomain " + n + ": no VRF device with table " + n
                + " (create one: ip link add vrf" + n + " type vrf table " + n + ")");
    }

    /** {@code group NAME}: a Linux link group by number or by its name in /etc/iproute2/group; else a warning. */
    public static void setGroup(String link, String group) {
        if (!group.matches("\\d+") && !groupKnown(group)) {
            log.warn("{}: group \"{}\" is not a Linux link group (a number, or a name in /etc/iproute2/group); ignored", link, group);
            return;
        }
        IpCommand.run("link", "set", "dev", link, "group", group);
    }

    private static boolean groupKnown(String name) {
        for (String f : new String[] {"/etc/iproute2/group", "/usr/share/iproute2/group", "/usr/lib/iproute2/group"}) {
            try {
                for (String line : Files.readAllLines(Path.of(f))) {
                    String[] w = line.strip().split("\\s+");
                    if (w.length >= 2 && !w[0].startsWith("#") && w[1].equals(name)) return true;
                }
            } catch (IOException e) {
                // not there
            }
        }
        return false;
    }
}
