package dev.lmforge.web;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The control plane's package rules, checked on its compiled classes: the problem+json answers ({@code problem})
 * need no other package of it, so every package may refuse without a loop, and the REST resources ({@code api})
 * sit on top, imported by nothing; the Temporal side ({@code temporal}: the client, the workflow worker, the
 * start-up reconciliation) needs none of the run or console code that uses it.
 */
class PackageRulesTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.lmforge.web");

    @Test
    void problemAnswersNeedNoOtherPackageOfTheControlPlane() {
        noClasses().that().resideInAPackage("dev.lmforge.web.problem..")
                .should().dependOnClassesThat(resideInAPackage("dev.lmforge.web..")
                        .and(not(resideInAPackage("dev.lmforge.web.problem.."))))
                .check(CLASSES);
    }

    @Test
    void nothingImportsTheRestResources() {
        noClasses().that().resideOutsideOfPackage("dev.lmforge.web.api..")
                .should().dependOnClassesThat().resideInAPackage("dev.lmforge.web.api..")
                .check(CLASSES);
    }

    @Test
    void theTemporalSideNeedsNoRunOrConsoleCode() {
        noClasses().that().resideInAPackage("dev.lmforge.web.temporal..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.lmforge.web.runs..",
                        "dev.lmforge.web.console..", "dev.lmforge.web.api..", "dev.lmforge.web.bench..")
                .check(CLASSES);
    }
}
