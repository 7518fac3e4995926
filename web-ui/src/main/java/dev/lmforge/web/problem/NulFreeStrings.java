package dev.lmforge.web.problem;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.KeyDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;

/**
 * Refuses a NUL character ({@code U+0000}) in any string a request body carries, values and map keys alike.
 * PostgreSQL cannot store NUL in {@code text} or {@code jsonb}, so without this such a string got as far as the
 * ledger and came back as a 500; refused while parsing, it is a 400 naming the field (Jackson adds the path).
 * Registered on the spec parser and on the ObjectMapper of the REST API's JSON bodies.
 */
public final class NulFreeStrings {

    /** What the problem says of the field; the value itself is not echoed. */
    public static final String MESSAGE = "must not contain a NUL character (U+0000)";

    /** The Jackson module to register. */
    public static final SimpleModule MODULE = new SimpleModule("lmforge-nul-free-strings")
            .addDeserializer(String.class, new Values())
            .addKeyDeserializer(String.class, new Keys());

    private NulFreeStrings() {
    }

    private static String checked(String s, JsonParser parser) throws MismatchedInputException {
        if (s != null && s.indexOf('\0') >= 0) {
            throw MismatchedInputException.from(parser, String.class, MESSAGE);
        }
        return s;
    }

    private static final class Values extends StringDeserializer {
        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return checked(super.deserialize(p, ctxt), p);
        }
    }

    private static final class Keys extends KeyDeserializer {
        @Override
        public Object deserializeKey(String key, DeserializationContext ctxt) throws IOException {
            return checked(key, ctxt.getParser());
        }
    }
}
