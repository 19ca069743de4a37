package vmd.vmctl;

import java.util.List;
import vmd.imsg.VmInfo;

/**
 * {@code vmctl status -j}: the same inventory as the table, as one JSON array for scripts.
 * Sizes are bytes; a VM that is not running has a null pid, curmem and tty.
 */
final class StatusJson {
    private StatusJson() {}

    static String of(List<VmInfo> vms) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < vms.size(); i++) {
            VmInfo v = vms.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("  {\"id\": ").append(v.id())
                    .append(", \"name\": ").append(string(v.name()))
                    .append(", \"state\": ").append(string(v.state()))
                    .append(", \"pid\": ").append(v.running() ? Integer.toString(v.pid()) : "null")
                    .append(", \"vcpus\": ").append(v.vcpus())
                    .append(", \"maxmem\": ").append(v.maxMem())
                    .append(", \"curmem\": ").append(v.running() ? Long.toString(v.curMem()) : "null")
                    .append(", \"tty\": ").append(v.running() && !v.tty().isEmpty() ? string(v.tty()) : "null")
                    .append(", \"owner\": ").append(string(v.owner()))
                    .append(", \"uid\": ").append(v.uid())
                    .append(", \"gid\": ").append(v.gid())
                    .append(", \"last_event\": ").append(string(v.lastEvent())).append('}');
        }
        return b.append(vms.isEmpty() ? "]" : "\n]").toString();
    }

    /** A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped. */
    static String string(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
