package vmd.vmctl;

import java.util.List;

/** One vmctl command: its name (unique prefixes select it), its usage line, and what it does. */
interface Command {
    String name();

    /** The arguments part of the usage line, as OpenBSD's vmctl prints it. */
    String usage();

    /** Runs with the arguments after the command name; returns the exit status. */
    int run(Vmctl ctl, List<String> args);
}
