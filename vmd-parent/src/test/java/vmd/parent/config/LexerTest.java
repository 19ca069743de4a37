package vmd.parent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class LexerTest {

    private final List<String> errors = new ArrayList<>();

    private List<String> lex(String text) {
        return lex(text, Map.of());
    }

    /** Tokens as "kw", "S:text", "N:n", "NL", "C:c", "ERR", with ":line" when asked. */
    private List<String> lex(String text, Map<String, String> macros) {
        return run(text, macros, false);
    }

    private List<String> lexLines(String text) {
        return run(text, Map.of(), true);
    }

    private List<String> run(String text, Map<String, String> macros, boolean lines) {
        Macros m = new Macros();
        macros.forEach((k, v) -> m.define(k, v, false));
        Lexer lx = new Lexer("f", text.getBytes(StandardCharsets.UTF_8), m,
                (f, l, msg) -> errors.add(f + ":" + l + ": " + msg));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            Token t = lx.lex();
            String s = switch (t.kind()) {
                case KEYWORD -> t.keyword().word;
                case STRING -> "S:" + t.text();
                case NUMBER -> "N:" + t.number();
                case CHAR -> t.ch() == '\n' ? "NL" : "C:" + (char) t.ch();
                case ERROR -> "ERR";
                case END_INCLUDE -> "END";
                case EOF -> null;
            };
            if (s == null) {
                return out;
            }
            out.add(lines ? s + "@" + t.line() : s);
        }
        throw new AssertionError("no EOF");
    }

    @Test
    void everyFileEndsWithOneExtraNewline() {
        assertEquals(List.of("vm", "NL"), lex("vm"));
        assertEquals(List.of("vm", "NL", "NL"), lex("vm\n"));
        assertEquals(List.of("NL"), lex(""));
    }

    @Test
    void commentsRunToTheEndOfTheLine() {
        assertEquals(List.of("NL", "vm", "NL", "disk", "NL", "NL"), lex("# a comment { \" \n vm # more\ndisk\n"));
        assertEquals(List.of("S:a", "NL", "NL"), lex("a#b\n"));
    }

    @Test
    void backslashNewlineJoinsLines() {
        assertEquals(List.of("vm@1", "S:x@2", "NL@2", "S:y@3", "NL@3", "NL@3"),
                lexLines("vm \\\n \"x\"\ny\n"));
        assertEquals(List.of("S:ab", "NL"), lex("a\\\nb"));
    }

    @Test
    void backslashOutsideQuotesStandsForTheNextCharacter() {
        assertEquals(List.of("S:ab", "NL"), lex("a\\b"));
        assertEquals(List.of("S:a", "C:{", "NL"), lex("a\\{"));
    }

    @Test
    void quotedStrings() {
        assertEquals(List.of("S:a b", "S:x\"y", "S:", "NL"), lex("\"a b\" 'x\"y' \"\""));
        assertEquals(List.of("S:a\"b", "S:a'b", "S:a b", "S:a\tb", "NL"),
                lex("\"a\\\"b\" 'a\\'b' \"a\\ b\" \"a\\\tb\""));
        // any other backslash is kept
        assertEquals(List.of("S:a\\nb", "NL"), lex("\"a\\nb\""));
        // reserved words and punctuation are plain text inside quotes
        assertEquals(List.of("S:vm", "S:{ # }", "NL"), lex("\"vm\" \"{ # }\""));
    }

    @Test
    void newlinesInsideQuotesAreDroppedButCounted() {
        assertEquals(List.of("S:ab@1", "vm@2", "NL@2", "NL@2"), lexLines("\"a\nb\" vm\n"));
        assertEquals(List.of("S:ab@1", "vm@2", "NL@2", "NL@2"), lexLines("\"a\\\nb\" vm\n"));
    }

    @Test
    void quotedStringsAreUtf8() {
        assertEquals(List.of("S:/vm/été.img", "NL"), lex("\"/vm/été.img\""));
    }

    @Test
    void numbers() {
        assertEquals(List.of("N:512", "N:-5", "N:0", "NL"), lex("512 -5 0"));
        // a number ends at blanks and ) , / } = and end of file
        assertEquals(List.of("N:1", "C:,", "N:2", "C:}", "N:3", "C:=", "N:4", "S:/8", "NL"),
                lex("1,2}3=4/8"));
        // anything else makes it a word
        assertEquals(List.of("S:512M", "S:1.5G", "S:10.0.0.1", "S:00:11:22:33:44:55", "S:1000:20", "NL"),
                lex("512M 1.5G 10.0.0.1 00:11:22:33:44:55 1000:20"));
    }

    @Test
    void aLoneMinusIsACharacter() {
        assertEquals(List.of("C:-", "C:-", "S:abc", "NL"), lex("- -abc"));
    }

    @Test
    void numbersOutOfRange() {
        assertEquals(List.of("ERR", "S:next", "NL"), lex("99999999999999999999 x y\nnext"));
        assertEquals(List.of("ERR"), lex("-99999999999999999999"));
        assertEquals(List.of("f:1: \"99999999999999999999\" invalid number: too large",
                "f:1: \"-99999999999999999999\" invalid number: too small"), errors);
    }

    @Test
    void words() {
        assertEquals(List.of("S:/bsd.rd", "S::staff", "S:_x", "S:a.b-c:d/e$f@g%h", "NL"),
                lex("/bsd.rd :staff _x a.b-c:d/e$f@g%h"));
        // ( ) { } ! = # , end a word
        assertEquals(List.of("S:a", "C:=", "S:b", "C:,", "S:c", "C:(", "S:d", "C:)", "S:e", "C:!", "NL"),
                lex("a=b,c(d)e!"));
        // a word cannot start with '.', '-'+letter or '"' ... but '.' is a character token
        assertEquals(List.of("C:.", "S:x", "NL"), lex(".x"));
    }

    @Test
    void reservedWordsAreCaseSensitive() {
        assertEquals(List.of("vm", "S:VM", "interfaces", "interface", "S:interfaced", "id", "NL"),
                lex("vm VM interfaces interface interfaced id"));
    }

    @Test
    void linuxExtensionWordsAreNotReserved() {
        assertEquals(List.of("S:cpus", "S:cmdline", "S:initrd", "S:firmware", "S:user", "NL"),
                lex("cpus cmdline initrd firmware user"));
    }

    @Test
    void macroExpansionIsLexedAgain() {
        assertEquals(List.of("memory", "S:512M", "NL"), lex("memory $m", Map.of("m", "512M")));
        assertEquals(List.of("S:a", "S:b", "C:{", "NL"), lex("$ab", Map.of("ab", "a b {")));
        assertEquals(List.of("N:4", "NL"), lex("$n", Map.of("n", "4")));
        assertEquals(List.of("S:x", "S:x", "NL"), lex("$v $v", Map.of("v", "x")));
        // a macro name is [A-Za-z0-9_]+: the rest stays
        assertEquals(List.of("S:x.img", "NL"), lex("$v.img", Map.of("v", "x")));
    }

    @Test
    void macrosAreNotExpandedInQuotesOrWordsOrRecursively() {
        Map<String, String> m = Map.of("x", "1", "y", "$x");
        assertEquals(List.of("S:$x", "S:a$x", "NL"), lex("\"$x\" a$x", m));
        assertEquals(List.of("C:$", "S:x", "NL"), lex("$y", m));
    }

    @Test
    void undefinedMacroSkipsTheLine() {
        assertEquals(List.of("ERR", "S:next", "NL", "NL"), lex("$nope and more\nnext\n"));
        assertEquals(List.of("f:1: macro 'nope' not defined"), errors);
    }

    @Test
    void dollarAloneIsAnEmptyMacroName() {
        assertEquals(List.of("ERR"), lex("$ x"));
        assertEquals(List.of("f:1: macro '' not defined"), errors);
    }

    @Test
    void stringTooLong() {
        String quoted = "\"" + "a".repeat(Lexer.BUFSIZE - 3) + "\"";
        assertEquals(List.of("S:" + "a".repeat(Lexer.BUFSIZE - 3), "NL"), lex(quoted));
        assertEquals(List.of(), errors);
        assertEquals(List.of("ERR", "S:x", "NL"), lex("\"" + "a".repeat(Lexer.BUFSIZE) + "\"\nx"));
        assertEquals(List.of("ERR"), lex("b".repeat(Lexer.BUFSIZE + 5)));
        assertEquals(List.of("f:1: string too long", "f:1: string too long"), errors);
    }

    @Test
    void nulInsideQuotesIsASyntaxError() {
        assertEquals(List.of("ERR", "S:y", "NL"), lex("\"a\0b\" rest\ny"));
        assertEquals(List.of("f:1: syntax error"), errors);
    }

    @Test
    void endOfFileInsideQuotes() {
        assertEquals(List.of("vm"), lex("vm \"abc\n\n"));
        // at the file's last line, which is not where the string starts
        assertEquals(List.of("f:2: reached end of file while parsing quoted string (the string starts at line 1)"), errors);
    }

    @Test
    void lineNumbers() {
        assertEquals(List.of("vm@1", "S:a@1", "C:{@1", "NL@1", "NL@2", "memory@3", "S:1G@3", "NL@3", "C:}@4",
                "NL@4", "NL@4"), lexLines("vm a {\n\n memory 1G # x\n}\n"));
    }

    @Test
    void carriageReturnIsNotBlank() {
        assertEquals(List.of("vm", "C:\r", "NL", "NL"), lex("vm\r\n"));
    }
}
