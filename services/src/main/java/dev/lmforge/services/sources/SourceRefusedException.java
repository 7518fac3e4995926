package dev.lmforge.services.sources;

/**
 * A spec names a file, folder or object that lmforge may not read for it. The message names the spec field and
 * the rule it broke, never what the file holds.
 */
public final class SourceRefusedException extends RuntimeException {

    private final String field;

    public SourceRefusedException(String field, String rule) {
        super(field + ": " + rule);
        this.field = field;
    }

    /** The spec field, e.g. {@code corpus.sources[0].path}. */
    public String field() {
        return field;
    }

    /** The rule, without the field. */
    public String rule() {
        return getMessage().substring(field.length() + 2);
    }
}
