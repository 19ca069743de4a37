package vmd.parent.config;

import java.util.HashMap;
import java.util.Map;

/**
 * OpenBSD's reserved words of vm.conf (parse.y's lookup() table). A reserved
 * word is never a STRING: it cannot name a macro or be an unquoted value. Some
 * are reserved without being used by the grammar (add, id, size, ...), as there.
 *
 * <p>The Linux extensions are deliberately not here: they are recognised by
 * position only (see {@link ConfigParser}), so no OpenBSD file that uses those
 * words as macro names or unquoted values changes meaning.
 */
enum Keyword {
    ADD("add"), AGENTX("agentx"), ALLOW("allow"), BOOT("boot"), CDROM("cdrom"), CONTEXT("context"),
    DELAY("delay"), DEVICE("device"), DISABLE("disable"), DISK("disk"), DOWN("down"), ENABLE("enable"),
    FORMAT("format"), GROUP("group"), VMID("id"), INCLUDE("include"), INET6("inet6"),
    INSTANCE("instance"), INTERFACE("interface"), NIFS("interfaces"), LLADDR("lladdr"), LOCAL("local"),
    LOCKED("locked"), MEMORY("memory"), NET("net"), OWNER("owner"), PARALLEL("parallel"), PATH("path"),
    PREFIX("prefix"), RDOMAIN("rdomain"), SEV("sev"), SEVES("seves"), SIZE("size"), SOCKET("socket"),
    STAGGERED("staggered"), START("start"), SWITCH("switch"), UP("up"), VM("vm");

    final String word;

    Keyword(String word) {
        this.word = word;
    }

    private static final Map<String, Keyword> BY_WORD = new HashMap<>();

    static {
        for (Keyword k : values()) {
            BY_WORD.put(k.word, k);
        }
    }

    /** Case-sensitive, as OpenBSD's bsearch/strcmp. */
    static Keyword lookup(String word) {
        return BY_WORD.get(word);
    }
}
