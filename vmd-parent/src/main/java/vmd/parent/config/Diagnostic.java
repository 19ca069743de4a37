package vmd.parent.config;

/**
 * One error or warning produced while reading a configuration.
 *
 * <p>Located diagnostics print as OpenBSD's {@code yyerror()} does,
 * {@code "file:line: message"}. A diagnostic that belongs to no line (a file
 * that cannot be opened, an unused macro) has a null {@code file} and prints as
 * the bare message.
 */
public record Diagnostic(String file, int line, String message) {

    public static Diagnostic unlocated(String message) {
        return new Diagnostic(null, 0, message);
    }

    public boolean located() {
        return file != null;
    }

    @Override
    public String toString() {
        return file == null ? message : file + ":" + line + ": " + message;
    }
}
