package vmd.parent.config;

/**
 * A token of vm.conf. {@code CHAR} carries a single character ('{', '}', '=',
 * ',', '\n', ...); {@code ERROR} is what the lexer returns after it reported an
 * error and skipped the rest of the line (including its newline); {@code END_INCLUDE}
 * follows the last newline of an included file.
 */
record Token(Kind kind, Keyword keyword, String text, long number, int ch, int line) {

    enum Kind { KEYWORD, STRING, NUMBER, CHAR, ERROR, END_INCLUDE, EOF }

    boolean is(Keyword k) {
        return kind == Kind.KEYWORD && keyword == k;
    }

    boolean isChar(int c) {
        return kind == Kind.CHAR && ch == c;
    }

    boolean isNewline() {
        return isChar('\n');
    }

    boolean isString() {
        return kind == Kind.STRING;
    }

    /** A STRING with exactly this text: how the Linux extension keywords are recognised. */
    boolean isWord(String w) {
        return kind == Kind.STRING && text.equals(w);
    }

    boolean isNumber() {
        return kind == Kind.NUMBER;
    }

    /** An included file ended here: only the top level may take it, as the end of a statement. */
    boolean isEndOfInclude() {
        return kind == Kind.END_INCLUDE;
    }

    boolean isEof() {
        return kind == Kind.EOF;
    }

    boolean isError() {
        return kind == Kind.ERROR;
    }
}
