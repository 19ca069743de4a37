package vmd.vmctl;

import java.util.ArrayList;
import java.util.List;

/**
 * getopt(3)-style parsing for one command: options may come before or after the operands
 * (OpenBSD 6 took the VM name first, 7 takes it last; both work), "--" ends options.
 * {@code spec} is getopt's option string ("b:B:cd:").
 */
final class Args {
    record Option(char letter, String value) {}

    final List<Option> options = new ArrayList<>();
    final List<String> operands = new ArrayList<>();

    static Args parse(String spec, List<String> args) {
        Args a = new Args();
        boolean optionsDone = false;
        for (int i = 0; i < args.size(); i++) {
            String s = args.get(i);
            if (optionsDone || !s.startsWith("-") || s.length() < 2) {
                a.operands.add(s);
                continue;
            }
            if (s.equals("--")) {
                optionsDone = true;
                continue;
            }
            for (int j = 1; j < s.length(); j++) {
                char c = s.charAt(j);
                int at = spec.indexOf(c);
                if (at < 0 || c == ':') throw new UsageException("unknown option -- " + c);
                boolean takesValue = at + 1 < spec.length() && spec.charAt(at + 1) == ':';
                if (!takesValue) {
                    a.options.add(new Option(c, null));
                    continue;
                }
                String value = j + 1 < s.length() ? s.substring(j + 1) : ++i < args.size() ? args.get(i) : null;
                if (value == null) throw new UsageException("option requires an argument -- " + c);
                a.options.add(new Option(c, value));
                break;
            }
        }
        return a;
    }

    boolean has(char c) {
        return options.stream().anyMatch(o -> o.letter() == c);
    }
}
