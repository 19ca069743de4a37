package vmd.parent.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The vm.conf lexer: the behaviour of OpenBSD's parse.y yylex()/lgetc()
 * (written anew in Java).
 *
 * <ul>
 * <li>{@code #} starts a comment that runs to the end of the line.</li>
 * <li>A backslash before a newline joins the lines; before any other character
 *     outside quotes it stands for that character.</li>
 * <li>Runs of blanks separate tokens; a newline is a token.</li>
 * <li>{@code "..."} and {@code '...'} are strings: {@code \"}, {@code \'},
 *     {@code \ } and {@code \<tab>} escape, backslash-newline continues, any other
 *     backslash is kept, a raw newline inside quotes is dropped.</li>
 * <li>{@code $name} ({@code [A-Za-z0-9_]+}) at the start of a token is replaced by
 *     the macro's text, which is lexed again (not recursively expanded). Macros
 *     are not expanded inside quotes or in the middle of a word.</li>
 * <li>A run of digits (optionally after '-') ended by a blank, ')', ',', '/',
 *     '}', '=' or end of file is a NUMBER; otherwise the characters form a word.</li>
 * <li>A word starts with a letter, digit, ':', '_' or '/' and continues with
 *     letters, digits and punctuation other than ( ) { } ! = # ,; a reserved word
 *     is a keyword, anything else a STRING.</li>
 * <li>At the end of each file the lexer yields one newline, so that a last line
 *     without a newline still ends its statement; an included file then yields an
 *     END_INCLUDE token, at its last line, and returns to the file that included
 *     it. (OpenBSD's include is purely textual: a block could begin in one file
 *     and end in another, and a block left open was reported in the next file.)</li>
 * </ul>
 *
 * <p>The file is read as bytes; tokens are decoded as UTF-8. Line numbers are
 * kept per file. {@link #line()} is the line of the most recent token, which is
 * the line errors are reported at (OpenBSD's yylval.lineno). Unlike OpenBSD, the
 * newline and end of file that follow the last line count as that line, so an
 * error found at the end of a file (an unclosed brace, a missing argument) names
 * the file's last line rather than one past it.
 */
final class Lexer {

    /** Reports a lexical error at (file, line). */
    interface Reporter {
        void error(String file, int line, String message);
    }

    static final int EOF = -1;
    private static final int START_EXPAND = -2;
    private static final int DONE_EXPAND = -3;
    /** An included file has ended (after its final newline): lgetc's, turned into a token. */
    private static final int END_INCLUDE = -4;
    /** OpenBSD's yylex() buffer. */
    static final int BUFSIZE = 8096;

    private static final class Source {
        final String name;
        /** What makes two names the same file (its real path): an include loop is refused by it. */
        final String identity;
        final byte[] data;
        /** The number of the line that holds the file's last character (1 for an empty file). */
        final int lastLine;
        int pos;
        int lineno;
        boolean eofReached;
        /** "reached end of file while parsing quoted string" was said: once per file. */
        boolean quoteEofReported;
        final Deque<Integer> unget = new ArrayDeque<>();

        Source(String name, String identity, byte[] data, int lineno) {
            this.name = name;
            this.identity = identity;
            this.data = data;
            this.lineno = lineno;
            this.lastLine = lastLine(data);
        }

        private static int lastLine(byte[] data) {
            int lines = 0;
            for (byte b : data) {
                if (b == '\n') {
                    lines++;
                }
            }
            if (data.length > 0 && data[data.length - 1] != '\n') {
                lines++;
            }
            return Math.max(1, lines);
        }
    }

    private final Deque<Source> files = new ArrayDeque<>();
    private final Source top;
    private Source file;
    private final Macros macros;
    private final Reporter reporter;
    private final IncludeFiles includes;
    /**
     * Bytes that includes and macro expansions may still add: what is left of
     * {@link Limits#MAX_CONFIG_BYTES}, a bound on the parser's time and memory.
     */
    private long budget;
    /** The budget ran out: the rest of the input is not read. */
    private boolean exhausted;
    /** Where the included file that {@link #END_INCLUDE} ended was: its name and last line. */
    private String endedFile;
    private int endedLine;
    private boolean expanding;
    /** Where the most recent token is: errors are reported there, whatever file the lexer has moved to since. */
    private String tokenFile;
    private int tokenLine;

    /** A lexer for text that includes nothing from the host's files (tests). */
    Lexer(String name, byte[] data, Macros macros, Reporter reporter) {
        this(name, name, data, macros, reporter, IncludeFiles.none());
    }

    /**
     * @param identity the top file's identity for include-loop checks (its real path)
     * @param includes where {@code include} reads files from
     */
    Lexer(String name, String identity, byte[] data, Macros macros, Reporter reporter, IncludeFiles includes) {
        this.top = new Source(name, identity, data, 1);
        this.file = top;
        files.push(top);
        this.macros = macros;
        this.reporter = reporter;
        this.includes = includes;
        this.budget = Limits.MAX_CONFIG_BYTES - data.length;
        this.tokenFile = name;
        this.tokenLine = 1;
    }

    /** The line of the last token returned (yylval.lineno). */
    int line() {
        return tokenLine;
    }

    /** The file of the last token returned. */
    String fileName() {
        return tokenFile;
    }

    int depth() {
        return files.size();
    }

    /**
     * Starts reading an included file once the {@code include} line has been
     * read up to its newline. A file that is already being read (an include
     * loop) is refused, and so is one that would take the bytes read in all
     * (files and macro expansions) past {@link Limits#MAX_CONFIG_BYTES}.
     *
     * @throws IOException why the file cannot be included, as the message
     */
    void include(String name) throws IOException {
        IncludeFiles.Content c = includes.read(name, budget);
        for (Source s : files) {
            if (s.identity.equals(c.identity())) {
                throw new IOException("include loop: " + name + " is already being read");
            }
        }
        budget -= c.data().length;
        Source s = new Source(name, c.identity(), c.data(), 1);
        files.push(s);
        file = s;
    }

    /** The current line, as errors name it: never past the file's last line (the end of file belongs to it). */
    private int currentLine() {
        return Math.min(file.lineno, file.lastLine);
    }

    /** The next token starts here. */
    private void markToken() {
        tokenFile = file.name;
        tokenLine = currentLine();
    }

    // ---- characters ----

    private int igetc() {
        while (true) {
            int c;
            if (!file.unget.isEmpty()) {
                c = file.unget.pop();
            } else if (file.pos < file.data.length) {
                c = file.data[file.pos++] & 0xff;
            } else {
                c = EOF;
            }
            if (c == START_EXPAND) {
                expanding = true;
            } else if (c == DONE_EXPAND) {
                expanding = false;
            } else {
                return c;
            }
        }
    }

    private void lungetc(int c) {
        if (c != EOF) {
            file.unget.push(c);
        }
    }

    private boolean popFile() {
        if (file == top) {
            return false;
        }
        files.pop();
        file = files.peek();
        return true;
    }

    private int lgetc(int quotec) {
        int c;
        if (quotec != 0) {
            c = igetc();
            if (c == EOF && !file.quoteEofReported) {
                file.quoteEofReported = true;
                int opened = tokenLine;
                markToken();
                error("reached end of file while parsing quoted string"
                        + (opened != tokenLine ? " (the string starts at line " + opened + ")" : ""));
            }
            return c;
        }
        while ((c = igetc()) == '\\') {
            int next = igetc();
            if (next != '\n') {
                c = next;
                break;
            }
            // A token keeps the line it starts on. (OpenBSD moves it to the continued
            // line here, so an error read across a backslash-newline was put on a line
            // that depended on whether the file ended with a newline.)
            file.lineno++;
        }
        if (c == '\t' || c == ' ') {
            int d;
            do {
                d = igetc();
            } while (d == '\t' || d == ' ');
            lungetc(d);
            c = ' ';
        }
        if (c == EOF) {
            if (!file.eofReached) {
                file.eofReached = true;
                return '\n';
            }
            // An included file's end is a token of its own, so that a block it leaves
            // open is an error at its last line, not somewhere in the file after it.
            endedFile = file.name;
            endedLine = file.lastLine;
            return popFile() ? END_INCLUDE : EOF;
        }
        return c;
    }

    private Token findeol() {
        while (true) {
            int c = lgetc(0);
            if (c == '\n') {
                file.lineno++;
                break;
            }
            if (c == EOF) {
                break;
            }
        }
        return new Token(Token.Kind.ERROR, null, null, 0, 0, tokenLine);
    }

    private void error(String message) {
        reporter.error(tokenFile, tokenLine, message);
    }

    // ---- tokens ----

    Token lex() {
        if (exhausted) {
            return eof();
        }
        StringBuilder buf = new StringBuilder();
        while (true) {
            buf.setLength(0);
            int c;
            while ((c = lgetc(0)) == ' ' || c == '\t') {
                // skip blanks
            }
            markToken();
            if (c == END_INCLUDE) {
                tokenFile = endedFile;
                tokenLine = endedLine;
                return new Token(Token.Kind.END_INCLUDE, null, null, 0, 0, tokenLine);
            }
            if (c == '#') {
                while ((c = lgetc(0)) != '\n' && c != EOF) {
                    // skip comment
                }
            }
            if (c == '$' && !expanding) {
                while (true) {
                    c = lgetc(0);
                    if (c == EOF) {
                        return eof();
                    }
                    if (buf.length() + 1 >= BUFSIZE - 1) {
                        error("string too long");
                        return findeol();
                    }
                    if (isAlnum(c) || c == '_') {
                        buf.append((char) c);
                        continue;
                    }
                    lungetc(c);
                    break;
                }
                String name = decode(buf);
                String val = macros.get(name);
                if (val == null) {
                    error("macro '" + name + "' not defined");
                    return findeol();
                }
                byte[] v = val.getBytes(StandardCharsets.UTF_8);
                // Each use of a macro reads its value again: without a bound, a file of
                // "$m" lines could make gigabytes of text out of one 8 KB value.
                if (v.length > budget) {
                    error(IncludeFiles.TOO_LARGE + "; the rest is not read");
                    exhausted = true;
                    return eof();
                }
                budget -= v.length;
                lungetc(DONE_EXPAND);
                for (int i = v.length - 1; i >= 0; i--) {
                    lungetc(v[i] & 0xff);
                }
                lungetc(START_EXPAND);
                continue;
            }

            if (c == '\'' || c == '"') {
                int quotec = c;
                while (true) {
                    c = lgetc(quotec);
                    if (c == EOF) {
                        if (file == top) {
                            return eof();
                        }
                        break; // the included file ends the string, and then itself
                    }
                    if (c == '\n') {
                        file.lineno++;
                        continue;
                    } else if (c == '\\') {
                        int next = lgetc(quotec);
                        if (next == EOF) {
                            if (file == top) {
                                return eof();
                            }
                            break;
                        }
                        if (next == quotec || next == ' ' || next == '\t') {
                            c = next;
                        } else if (next == '\n') {
                            file.lineno++;
                            continue;
                        } else {
                            lungetc(next);
                        }
                    } else if (c == quotec) {
                        break;
                    } else if (c == 0) {
                        error("syntax error");
                        return findeol();
                    }
                    if (buf.length() + 1 >= BUFSIZE - 1) {
                        error("string too long");
                        return findeol();
                    }
                    buf.append((char) c);
                }
                return new Token(Token.Kind.STRING, null, decode(buf), 0, 0, tokenLine);
            }

            if (c == '-' || isDigit(c)) {
                do {
                    buf.append((char) c);
                    if (buf.length() >= BUFSIZE) {
                        error("string too long");
                        return findeol();
                    }
                } while ((c = lgetc(0)) != EOF && isDigit(c));
                lungetc(c);
                boolean nodigits = buf.length() == 1 && buf.charAt(0) == '-';
                if (!nodigits && (c == EOF || allowedToEndNumber(c))) {
                    String s = buf.toString();
                    long n;
                    try {
                        n = Long.parseLong(s);
                    } catch (NumberFormatException e) {
                        error("\"" + s + "\" invalid number: " + (s.startsWith("-") ? "too small" : "too large"));
                        return findeol();
                    }
                    return new Token(Token.Kind.NUMBER, null, s, n, 0, tokenLine);
                }
                for (int i = buf.length() - 1; i >= 1; i--) {
                    lungetc(buf.charAt(i));
                }
                c = buf.charAt(0);
                buf.setLength(0);
                if (c == '-') {
                    return new Token(Token.Kind.CHAR, null, null, 0, c, tokenLine);
                }
            }

            if (isAlnum(c) || c == ':' || c == '_' || c == '/') {
                do {
                    buf.append((char) c);
                    if (buf.length() >= BUFSIZE) {
                        error("string too long");
                        return findeol();
                    }
                } while ((c = lgetc(0)) != EOF && allowedInString(c));
                lungetc(c);
                String word = decode(buf);
                Keyword k = Keyword.lookup(word);
                if (k != null) {
                    return new Token(Token.Kind.KEYWORD, k, word, 0, 0, tokenLine);
                }
                return new Token(Token.Kind.STRING, null, word, 0, 0, tokenLine);
            }
            if (c == '\n') {
                markToken();
                file.lineno++;
            }
            if (c == EOF) {
                return eof();
            }
            return new Token(Token.Kind.CHAR, null, null, 0, c, tokenLine);
        }
    }

    private Token eof() {
        return new Token(Token.Kind.EOF, null, null, 0, 0, tokenLine);
    }

    private static String decode(StringBuilder raw) {
        byte[] b = new byte[raw.length()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) raw.charAt(i);
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    // C <ctype.h> in the C locale: ASCII only.

    static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    static boolean isAlpha(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    static boolean isAlnum(int c) {
        return isDigit(c) || isAlpha(c);
    }

    static boolean isSpace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
    }

    static boolean isPunct(int c) {
        return c > 32 && c < 127 && !isAlnum(c);
    }

    private static boolean allowedToEndNumber(int c) {
        return isSpace(c) || c == ')' || c == ',' || c == '/' || c == '}' || c == '=';
    }

    private static boolean allowedInString(int c) {
        return isAlnum(c) || (isPunct(c) && c != '(' && c != ')' && c != '{' && c != '}'
                && c != '!' && c != '=' && c != '#' && c != ',');
    }
}
