package dev.lmforge.web.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.lmforge.web.problem.JsonBodies;
import dev.lmforge.web.problem.NulFreeStrings;
import dev.lmforge.web.problem.ProblemException;
import dev.lmforge.workflows.spec.LifecycleSpec;
import dev.lmforge.workflows.spec.SpecProblem;
import dev.lmforge.workflows.spec.SpecValidator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a lifecycle spec from YAML or JSON (JSON is YAML) strictly: an unknown field, a wrong type or a broken
 * document is a 400 that names the field or line, and then {@link SpecValidator}'s rules apply.
 */
public final class SpecParser {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .registerModule(NulFreeStrings.MODULE);

    private SpecParser() {
    }

    /**
     * The most a spec may weigh. The parsed spec is the lifecycle workflow's input, and a real Temporal server
     * refuses a payload over 2 MB; a spec this size stays well under it in any encoding.
     */
    public static final int MAX_SPEC_BYTES = 256 * 1024;

    /** The valid spec in {@code text}, or a {@link ProblemException} (400, 413 when too large) listing what is wrong. */
    public static LifecycleSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw invalid(List.of(new ProblemException.FieldError("spec", "the request body is empty")));
        }
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SPEC_BYTES) {
            throw new ProblemException(413, "Content Too Large", "the spec is too large",
                    List.of(new ProblemException.FieldError("spec", bytes + " bytes, more than the " + MAX_SPEC_BYTES
                            + " a spec may have")));
        }
        LifecycleSpec spec;
        try {
            spec = YAML.readValue(text, LifecycleSpec.class);
        } catch (UnrecognizedPropertyException e) {
            throw invalid(List.of(new ProblemException.FieldError(JsonBodies.fieldOf(e, "spec"),
                    "unknown field '" + e.getPropertyName() + "'; known: " + e.getKnownPropertyIds())));
        } catch (JsonMappingException e) {
            throw invalid(List.of(new ProblemException.FieldError(JsonBodies.fieldOf(e, "spec"), e.getOriginalMessage())));
        } catch (JsonProcessingException e) {
            throw invalid(List.of(new ProblemException.FieldError(lineOf(e), e.getOriginalMessage())));
        }
        if (spec == null) {
            throw invalid(List.of(new ProblemException.FieldError("spec", "the document is empty")));
        }
        List<SpecProblem> problems = SpecValidator.validate(spec);
        if (!problems.isEmpty()) {
            throw invalid(problems.stream().map(p -> new ProblemException.FieldError(p.field(), p.message())).toList());
        }
        return spec;
    }

    /** The spec as canonical JSON, as the ledger keeps it. */
    public static String toJson(LifecycleSpec spec) {
        try {
            return new ObjectMapper().writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed spec always serialises", e);
        }
    }

    /** A 400 listing {@code errors}, the first in the detail. */
    static ProblemException invalid(List<ProblemException.FieldError> errors) {
        String detail = errors.size() == 1 ? errors.get(0).field() + ": " + errors.get(0).message()
                : errors.size() + " problems in the spec, first " + errors.get(0).field() + ": " + errors.get(0).message();
        return new ProblemException(400, "Invalid Spec", detail, errors);
    }

    /** Where a syntax error is: SnakeYAML's problem mark (0-based) when there is one, else Jackson's location. */
    private static String lineOf(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
            return "line " + (marked.getProblemMark().getLine() + 1);
        }
        return e.getLocation() == null ? "spec" : "line " + e.getLocation().getLineNr();
    }
}
