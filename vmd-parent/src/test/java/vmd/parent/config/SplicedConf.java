package vmd.parent.config;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A valid vm.conf that uses every part of the grammar, with numbered slots that a fuzz
 * input fills: line n of the input replaces slot n ({@code @n:default@}; a later
 * {@code @n@} repeats it), an empty line keeps the default, and lines past the last slot
 * are appended as statements of their own. So most of every input's file stays valid and
 * the parse reaches the checks behind the grammar: limits, instances, switches, macros,
 * includes. With no input the file is valid as it stands.
 */
final class SplicedConf {
    private SplicedConf() {
    }

    static final String TEMPLATE = """
            # every @n:...@ is a slot
            @0:images@="@1:/var/vmd@"
            @2:mem@=@3:512M@
            include "@4:inc.conf@"
            user @5:_vmd@
            firmware "@6:/bios.bin@"
            @7:spare devices@
            local prefix @8:100.64.0.0/10@
            local inet6 @9:prefix fd00::/64@
            socket owner @10:root:wheel@
            staggered start parallel @11:2@ delay @12:10@
            agentx context "@13:vmd@" path "@14:/var/agentx/master@"
            device restarts @15:3@ per @16:60@
            switch "@17:uplink@" {
            	interface @18:bridge0@
            	group "@19:vmnet@"
            	@20:locked lladdr@
            	rdomain @21:7@
            	@22:up@
            }
            vm "@23:template@" {
            	@24:disable@
            	memory $@2@
            	cpus @25:2@
            	disk $@0@ "@26:/t.qcow2@" format @27:qcow2@
            	disk "@28:/t2.img@"
            	@29:interfaces 2@
            	interface @30:tap0@ {
            		switch "@17@"
            		group "@31:vmnet@"
            		@32:locked lladdr 02:00:00:00:00:01@
            		rdomain @33:1@
            		@34:down@
            	}
            	@35:local interface@
            	owner @36:joe:staff@
            	allow instance { @37:disk, memory, cpus, interface@, owner @38::vmusers@ }
            	@39:sev@
            	device restarts @40:5@ per @41:10@
            }
            vm "@23@" instance "@42:web1@" {
            	disk "@43:/web1.qcow2@"
            	memory @44:1G@
            	@45:cpus 1@
            	@46:interface lladdr 02:00:00:00:00:02@
            }
            vm "@47:linux@" {
            	boot "@48:/vmlinuz@"
            	initrd "@49:/initrd.img@"
            	cmdline "@50:console=ttyS0@"
            	firmware "@51:/bios2.bin@"
            	cdrom "@52:/install.iso@"
            	boot device @53:cdrom@
            	@54:interface { switch "uplink" }@
            	@55:# another option@
            }
            @56:# another statement@
            """;

    private static final Pattern SLOT = Pattern.compile("@([0-9]+)(?::([^@\\n]*))?@");

    /** The template's slots' defaults, by number. */
    static final Map<Integer, String> DEFAULTS = defaults();

    private static Map<Integer, String> defaults() {
        Map<Integer, String> d = new HashMap<>();
        Matcher m = SLOT.matcher(TEMPLATE);
        while (m.find()) {
            if (m.group(2) != null && d.put(Integer.parseInt(m.group(1)), m.group(2)) != null) {
                throw new IllegalStateException("slot " + m.group(1) + " has two defaults");
            }
        }
        return Map.copyOf(d);
    }

    /** The file for one input: its lines in the slots, the rest appended. */
    static byte[] splice(byte[] input) {
        List<byte[]> lines = lines(input);
        Map<Integer, byte[]> values = new HashMap<>();
        for (int i = 0; i < lines.size() && i < DEFAULTS.size(); i++) {
            if (lines.get(i).length > 0) {
                values.put(i, lines.get(i));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Matcher m = SLOT.matcher(TEMPLATE);
        int at = 0;
        while (m.find()) {
            out.writeBytes(TEMPLATE.substring(at, m.start()).getBytes(StandardCharsets.UTF_8));
            int slot = Integer.parseInt(m.group(1));
            byte[] v = values.get(slot);
            out.writeBytes(v != null ? v : DEFAULTS.get(slot).getBytes(StandardCharsets.UTF_8));
            at = m.end();
        }
        out.writeBytes(TEMPLATE.substring(at).getBytes(StandardCharsets.UTF_8));
        for (int i = DEFAULTS.size(); i < lines.size(); i++) {
            out.writeBytes(lines.get(i));
            out.write('\n');
        }
        return out.toByteArray();
    }

    private static List<byte[]> lines(byte[] input) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= input.length; i++) {
            if (i == input.length || input[i] == '\n') {
                if (i > start || i < input.length) {
                    byte[] line = new byte[i - start];
                    System.arraycopy(input, start, line, 0, line.length);
                    lines.add(line);
                }
                start = i + 1;
            }
        }
        return lines;
    }
}
