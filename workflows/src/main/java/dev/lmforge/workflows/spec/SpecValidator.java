package dev.lmforge.workflows.spec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lmforge.workflows.stage.CorpusSource;
import dev.lmforge.workflows.stage.Stage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The rules a {@link LifecycleSpec} must meet before anything is stored or started. The API and the console
 * use the same rules; every problem names its field.
 */
public final class SpecValidator {

    /** Sections that belong to a stage; a section for a stage this build lacks is refused. */
    private static final Map<String, Stage> SECTION_STAGE = Map.of(
            "model", Stage.PRETRAIN,
            "training", Stage.PRETRAIN,
            "evaluation", Stage.EVALUATE_BASE,
            "sft", Stage.ALIGN,
            "dpo", Stage.ALIGN);

    private SpecValidator() {
    }

    /** Every problem with {@code spec}; empty when it may run. */
    public static List<SpecProblem> validate(LifecycleSpec spec) {
        List<SpecProblem> problems = new ArrayList<>();
        if (spec.name() != null && (spec.name().isBlank() || spec.name().length() > 200)) {
            problems.add(new SpecProblem("name", "must be 1 to 200 characters"));
        }
        checkStages(spec, problems);
        checkSections(spec, problems);
        List<Stage> stages = problems.isEmpty() ? spec.stageList() : List.of();
        if (stages.contains(Stage.DATA) || spec.corpus() != null) {
            checkCorpus(spec.corpus(), problems);
        }
        if (spec.data() != null && spec.data().maxBytesPerSecond() != null && spec.data().maxBytesPerSecond() <= 0) {
            problems.add(new SpecProblem("data.maxBytesPerSecond", "must be positive, got " + spec.data().maxBytesPerSecond()));
        }
        checkCompute(spec.compute(), stages.contains(Stage.PLAN), problems);
        checkPlan(spec.plan(), problems);
        checkTokenizer(spec.tokenizer(), problems);
        return problems;
    }

    private static void checkStages(LifecycleSpec spec, List<SpecProblem> problems) {
        if (spec.stages() == null) {
            Optional<Stage> unbuilt = Arrays.stream(Stage.values()).filter(s -> !s.built()).findFirst();
            unbuilt.ifPresent(s -> problems.add(new SpecProblem("stages",
                    "not given, so every stage would run, but stage '" + s.id()
                            + "' is not built yet in this version of lmforge; list the stages to run")));
            return;
        }
        if (spec.stages().isEmpty()) {
            problems.add(new SpecProblem("stages", "must name at least one stage"));
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < spec.stages().size(); i++) {
            String id = spec.stages().get(i);
            String field = "stages[" + i + "]";
            Optional<Stage> stage = id == null ? Optional.empty() : Stage.byId(id);
            if (stage.isEmpty()) {
                problems.add(new SpecProblem(field, "unknown stage '" + id + "'; known: " + knownStages()));
            } else if (!stage.get().built()) {
                problems.add(new SpecProblem(field, "stage '" + id + "' is not built yet in this version of lmforge"));
            } else if (!seen.add(id)) {
                problems.add(new SpecProblem(field, "stage '" + id + "' is listed twice"));
            }
        }
    }

    private static void checkSections(LifecycleSpec spec, List<SpecProblem> problems) {
        Map<String, JsonNode> sections = new TreeMap<>();
        sections.put("model", spec.model());
        sections.put("training", spec.training());
        sections.put("evaluation", spec.evaluation());
        sections.put("sft", spec.sft());
        sections.put("dpo", spec.dpo());
        sections.forEach((name, node) -> {
            Stage stage = SECTION_STAGE.get(name);
            if (node != null && !node.isNull() && !stage.built()) {
                problems.add(new SpecProblem(name, "belongs to stage '" + stage.id()
                        + "', which is not built yet in this version of lmforge"));
            }
        });
    }

    private static void checkCorpus(LifecycleSpec.Corpus corpus, List<SpecProblem> problems) {
        if (corpus == null || corpus.sources() == null || corpus.sources().isEmpty()) {
            problems.add(new SpecProblem("corpus.sources", "the data stage needs at least one corpus source"));
            return;
        }
        for (int i = 0; i < corpus.sources().size(); i++) {
            CorpusSource source = corpus.sources().get(i);
            String field = "corpus.sources[" + i + "]";
            if (source == null) {
                problems.add(new SpecProblem(field, "must not be empty"));
            } else if (source.path() == null || source.path().isBlank()) {
                problems.add(new SpecProblem(field + ".path", "is required"));
            }
        }
    }

    private static void checkCompute(LifecycleSpec.Compute compute, boolean required, List<SpecProblem> problems) {
        if (compute == null || compute.budget() == null) {
            if (required) {
                problems.add(new SpecProblem("compute.budget", "the plan stage needs a compute budget in FLOPs"));
            }
            return;
        }
        double c = compute.budget();
        if (!Double.isFinite(c) || c <= 0) {
            problems.add(new SpecProblem("compute.budget", "must be a positive, finite number of FLOPs, got " + c));
        }
        if (compute.tokens() != null && compute.tokens() <= 0) {
            problems.add(new SpecProblem("compute.tokens", "must be positive, got " + compute.tokens()));
        }
    }

    private static void checkPlan(LifecycleSpec.PlanOptions plan, List<SpecProblem> problems) {
        if (plan == null) {
            return;
        }
        if (plan.seqLen() != null && plan.seqLen() < 1) {
            problems.add(new SpecProblem("plan.seqLen", "must be positive, got " + plan.seqLen()));
        }
        if (plan.vocab() != null && plan.vocab() < 1) {
            problems.add(new SpecProblem("plan.vocab", "must be positive, got " + plan.vocab()));
        }
    }

    private static void checkTokenizer(LifecycleSpec.TokenizerOptions tokenizer, List<SpecProblem> problems) {
        if (tokenizer == null) {
            return;
        }
        if (tokenizer.vocabSize() != null && tokenizer.vocabSize() <= 256) {
            problems.add(new SpecProblem("tokenizer.vocabSize", "must exceed the 256 byte tokens, got " + tokenizer.vocabSize()));
        }
        if (tokenizer.sampleBytes() != null && tokenizer.sampleBytes() <= 0) {
            problems.add(new SpecProblem("tokenizer.sampleBytes", "must be positive, got " + tokenizer.sampleBytes()));
        }
        if (tokenizer.tokensPerShard() != null && tokenizer.tokensPerShard() <= 0) {
            problems.add(new SpecProblem("tokenizer.tokensPerShard", "must be positive, got " + tokenizer.tokensPerShard()));
        }
    }

    private static String knownStages() {
        return String.join(", ", Arrays.stream(Stage.values()).map(Stage::id).toList());
    }
}
