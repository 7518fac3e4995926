package dev.lmforge.activities;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rooms of {@code activities}, checked over the compiled classes: the six stage packages sit side by side
 * over the shared core ({@code model}, {@code text} and the stage runtime in this package) and never import each
 * other; the core imports no stage; the command line, the benchmarks and the worker are imported by nothing but
 * each other. Test classes are left out: a stage's tests may build their inputs with another stage's code.
 */
class ActivitiesLayeringTest {

    private static final String ROOT = "dev.lmforge.activities";
    private static final List<String> STAGES =
            List.of("data", "tokenizer", "planning", "training", "evaluation", "alignment");
    private static final String[] ENTRY_POINTS = {ROOT + ".cli..", ROOT + ".bench..", ROOT + ".worker.."};

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    @Test
    void stagesImportNoOtherStageAndNoEntryPoint() {
        for (String stage : STAGES) {
            String[] forbidden = STAGES.stream().filter(s -> !s.equals(stage)).map(s -> ROOT + "." + s + "..")
                    .toArray(String[]::new);
            noClasses().that().resideInAPackage(ROOT + "." + stage + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(concat(forbidden, ENTRY_POINTS))
                    .because("stage packages sit side by side over the core (issue #15)")
                    .check(CLASSES);
        }
    }

    @Test
    void coreImportsNoStageAndNoEntryPoint() {
        String[] stages = STAGES.stream().map(s -> ROOT + "." + s + "..").toArray(String[]::new);
        noClasses().that().resideInAnyPackage(ROOT, ROOT + ".model..", ROOT + ".text..")
                .should().dependOnClassesThat().resideInAnyPackage(concat(stages, ENTRY_POINTS))
                .because("the core is shared by every stage and owned by none")
                .check(CLASSES);
    }

    @Test
    void textImportsNoModelAndRuntimeImportsNoCore() {
        noClasses().that().resideInAPackage(ROOT + ".text..")
                .should().dependOnClassesThat().resideInAPackage(ROOT + ".model..")
                .check(CLASSES);
        noClasses().that().resideInAPackage(ROOT)
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".model..", ROOT + ".text..")
                .check(CLASSES);
    }

    @Test
    void entryPointsAreImportedOnlyByEachOther() {
        noClasses().that().resideOutsideOfPackages(ENTRY_POINTS)
                .should().dependOnClassesThat().resideInAnyPackage(ENTRY_POINTS)
                .because("the command line, the benchmarks and the worker are the top floor")
                .check(CLASSES);
    }

    @Test
    void tensorFlowStaysInTheModelAndTheTrainingBenchmark() {
        noClasses().that().resideOutsideOfPackages(ROOT + ".model..", ROOT + ".bench..")
                .should().dependOnClassesThat().resideInAPackage("org.tensorflow..")
                .because("one TensorFlow per JVM, behind the model's own types")
                .check(CLASSES);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
