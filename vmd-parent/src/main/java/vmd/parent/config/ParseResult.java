package vmd.parent.config;

import java.util.List;

/**
 * The outcome of reading a vm.conf: the configuration model (best effort when
 * there are errors; VMs and switches whose declaration failed are absent), every
 * error and every warning, in the order they were found.
 *
 * <p>A configuration is usable only when {@link #ok()}; this is what
 * {@code vmd -n} reports as "configuration OK".
 */
public record ParseResult(VmdConfig config, List<Diagnostic> errors, List<Diagnostic> warnings) {

    public ParseResult {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    /** Errors then warnings, one per line, as vmd prints them. */
    public List<String> messages() {
        return java.util.stream.Stream.concat(errors.stream(), warnings.stream())
                .map(Diagnostic::toString).toList();
    }
}
