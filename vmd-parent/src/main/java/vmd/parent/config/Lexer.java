package vmd.parent.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 *     without a newline still ends its statement; an included file then returns
 *     to the file that included it.</li>
 * </ul>
 *
 * <p>The file is read as bytes; tokens are decoded as UTF-8. Line numbers are
 * kept per file. {@link #line()} is the line of the most recent token, which is
 * the line errors are reported at (OpenBSD's yylval.lineno).
 */
final class Lexer {

    /** Reports a lexical error at (file, line). */
    interface Reporter {
        void error(String file, int line, String message);
    }

    static final int EOF = -1;
    private static final int START_EXPAND = -2;
    private static final int DONE_EXPAND = -3;
    /** OpenBSD's yylex() buffer. */
    static final int BUFSIZE = 8096;

    private static final class Source {
        final String name;
        final byte[] data;
        int pos;
        int lineno;
        boolean eofReached;
        final Deque<Integer> unget = new ArrayDeque<>();

        Source(String name, byte[] data, int lineno) {
            this.name = name;
            this.data = data;
            this.lineno = lineno;
        }
    }

    private final Deque<Source> files = new ArrayDeque<>();
    private final Source top;
    private Source file;
    private final Macros macros;
    private final Reporter reporter;
    private boolean expanding;
    private int tokenLine;

    Lexer(String name, byte[] data, Macros macros, Reporter reporter) {
        this.top = new Source(name, data, 1);
        this.file = top;
        files.push(top);
        this.macros = macros;
        this.reporter = reporter;
        this.tokenLine = 1;
    }

    /** The line of the last token returned (yylval.lineno). */
    int line() {
        return tokenLine;
    }

    /** The file being read. */
    String fileName() {
        return file.name;
    }

    int depth() {
        return files.size();
    }

    /**
     * Starts reading an included file; its first token is a newline (which ends
     * the {@code include} line). Returns false if the file cannot be read.
     */
    boolean include(String name) {
        byte[] data;
        try {
            data = Files.readAllBytes(Path.of(name));
        } catch (IOException | RuntimeException e) {
            return false;
        }
        Source s = new Source(name, data, 0);
        files.push(s);
        file = s;
        lungetc('\n');
        return true;
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
            if (c == EOF) {
                error("reached end of file while parsing quoted string");
                if (!popFile()) {
                    return EOF;
                }
                return quotec;
            }
            return c;
        }
        while ((c = igetc()) == '\\') {
            int next = igetc();
            if (next != '\n') {
                c = next;
                break;
            }
            tokenLine = file.lineno;
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
            while (c == EOF) {
                if (!popFile()) {
                    return EOF;
                }
                c = igetc();
            }
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
        reporter.error(file.name, tokenLine, message);
    }

    // ---- tokens ----

    Token lex() {
        StringBuilder buf = new StringBuilder();
        while (true) {
            buf.setLength(0);
            int c;
            while ((c = lgetc(0)) == ' ' || c == '\t') {
                // skip blanks
            }
            tokenLine = file.lineno;
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
                        return eof();
                    }
                    if (c == '\n') {
                        file.lineno++;
                        continue;
                    } else if (c == '\\') {
                        int next = lgetc(quotec);
                        if (next == EOF) {
                            return eof();
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
                tokenLine = file.lineno;
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
