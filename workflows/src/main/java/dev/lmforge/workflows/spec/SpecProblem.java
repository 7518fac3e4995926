package dev.lmforge.workflows.spec;

/** One thing wrong with a spec: the field's path (e.g. {@code corpus.sources[0].path}) and what is wrong. */
public record SpecProblem(String field, String message) {

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
