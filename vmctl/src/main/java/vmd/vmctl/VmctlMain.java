package vmd.vmctl;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * vmctl(8): {@code vmctl [-v] [-s socket] command [arg ...]}. A unique prefix of a command
 * name selects it ("vmctl stat"). Errors are one line on stderr and exit status 1.
 * {@code -s socket} (as OpenBSD's early vmctl) and $VMD_SOCKET override /run/vmd.sock.
 */
public final class VmctlMain {
    static final List<Command> COMMANDS = List.of(
            new ConsoleCommand(), new CreateCommand(), new LoadCommand(), new LogCommand(), new PauseCommand(),
            new ReceiveCommand(), new ReloadCommand(), new ResetCommand(), new SendCommand(), new StatusCommand("show"),
            new StartCommand(),
            new StatusCommand("status"), new StopCommand(), new UnpauseCommand(), new WaitCommand());

    private VmctlMain() {}

    public static void main(String[] args) {
        System.out.flush();
        System.exit(run(args, System.out, System.err));
    }

    /** Runs vmctl and returns its exit status (tests call this directly). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        List<String> args = new ArrayList<>(Arrays.asList(argv));
        boolean verbose = false;
        String socket = null;
        while (!args.isEmpty() && args.get(0).startsWith("-") && args.get(0).length() > 1) {
            String a = args.remove(0);
            if (a.equals("--")) break;
            if (a.equals("-v")) {
                verbose = true;
            } else if (a.startsWith("-s")) {
                if (a.length() > 2) socket = a.substring(2);
                else if (!args.isEmpty()) socket = args.remove(0);
                else return usage(err);
            } else {
                return usage(err);
            }
        }
        if (args.isEmpty()) return usage(err);
        String word = args.remove(0);
        Command cmd = null;
        for (Command c : COMMANDS) {
            if (!c.name().startsWith(word)) continue;
            if (c.name().equals(word)) {
                cmd = c;
                break;
            }
            if (cmd != null && !cmd.name().equals(c.name())) {
                err.println("ambiguous argument: " + word);
                return usage(err);
            }
            cmd = c;
        }
        if (cmd == null) {
            err.println("unknown argument: " + word);
            return usage(err);
        }
        Vmctl ctl = new Vmctl(ControlClient.socketPath(socket), verbose, out, err);
        try {
            return cmd.run(ctl, args);
        } catch (UsageException e) {
            if (e.getMessage() != null && !e.getMessage().isEmpty()) err.println("vmctl: " + e.getMessage());
            err.println("usage:\tvmctl [-v] " + cmd.name() + " " + cmd.usage());
            return 1;
        } catch (VmctlException e) {
            ctl.warn(e.getMessage());
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    static int usage(PrintStream err) {
        err.println("usage:\tvmctl [-v] [-s socket] command [arg ...]");
        for (Command c : COMMANDS) err.println("\tvmctl " + c.name() + " " + c.usage());
        return 1;
    }
}
