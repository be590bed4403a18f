package dev.sagestudio.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.GeneralCodingRules;
import dev.sagestudio.app.cli.SageStudioCli;
import dev.sagestudio.app.archfixture.CommandOutsideTheCliPackage;
import dev.sagestudio.models.archfixture.ModelsClassThatDraws;
import dev.sagestudio.models.archfixture.ModelsClassThatParsesCommandLines;
import dev.sagestudio.models.archfixture.ModelsClassThatPrints;
import dev.sagestudio.models.archfixture.cycle.a.CycleStart;
import dev.sagestudio.models.archfixture.cycle.b.CycleEnd;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine.Command;

/**
 * The libraries ({@code attention}, {@code models}) stay usable by any front end: no UI toolkit, no command-line
 * parser, no console output, pictures only in {@code models.output}; commands live in {@code app.cli}; no package
 * depends on itself through others. Each rule is checked on the production classes and shown to fail on a planted
 * violation (test-only classes under {@code archfixture}).
 */
class ArchitectureRulesTest {
    private static final String[] LIBRARIES = {"dev.sagestudio.attention..", "dev.sagestudio.models.."};

    static ArchRule librariesUseNoUiToolkitOrCommandLineParser() {
        return noClasses().that().resideInAnyPackage(LIBRARIES)
                .should().dependOnClassesThat().resideInAnyPackage("javafx..", "picocli..")
                .because("the libraries serve the command line and the desktop app alike");
    }

    static ArchRule librariesWriteNothingToTheConsole() {
        return noClasses().that().resideInAnyPackage(LIBRARIES)
                .should(GeneralCodingRules.ACCESS_STANDARD_STREAMS)
                .because("results are returned as data and messages logged; the app decides what to show");
    }

    static ArchRule picturesAreMadeOnlyInModelsOutput() {
        return noClasses().that().resideInAnyPackage(LIBRARIES)
                .and().resideOutsideOfPackage("dev.sagestudio.models.output..")
                .should().dependOnClassesThat().resideInAnyPackage("java.awt..", "javax.imageio..")
                .because("pixels become images and files in models.output (or in the app)");
    }

    static ArchRule commandsLiveInAppCli() {
        return classes().that().areAnnotatedWith(Command.class)
                .should().resideInAPackage("dev.sagestudio.app.cli");
    }

    static ArchRule noPackageCycles() {
        return slices().matching("dev.sagestudio.(**)").should().beFreeOfCycles();
    }

    static Stream<Arguments> rulesWithAPlantedViolation() {
        return Stream.of(
                Arguments.of("no UI toolkit or parser", librariesUseNoUiToolkitOrCommandLineParser(),
                        new Class<?>[] {ModelsClassThatParsesCommandLines.class}),
                Arguments.of("no console", librariesWriteNothingToTheConsole(),
                        new Class<?>[] {ModelsClassThatPrints.class}),
                Arguments.of("pictures in models.output", picturesAreMadeOnlyInModelsOutput(),
                        new Class<?>[] {ModelsClassThatDraws.class}),
                Arguments.of("commands in app.cli", commandsLiveInAppCli(),
                        new Class<?>[] {CommandOutsideTheCliPackage.class}),
                Arguments.of("no package cycles", noPackageCycles(),
                        new Class<?>[] {CycleStart.class, CycleEnd.class}));
    }

    /** Imported once: importing every module's classes takes seconds. */
    private static JavaClasses production;

    private static synchronized JavaClasses productionClasses() {
        if (production != null) {
            return production;
        }
        JavaClasses classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                // in a full build the models test fixtures arrive as models-<version>-tests.jar, which the
                // predefined option (test-classes folders) does not recognise
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("dev.sagestudio");
        // Guard against a vacuous pass: every module's code must really be there.
        assertTrue(classes.contain(SageStudioCli.class), "app classes were not imported");
        assertTrue(classes.contain(dev.sagestudio.models.pipeline.DiffusionPipeline.class), "models classes missing");
        assertTrue(classes.contain(dev.sagestudio.attention.AttentionBackend.class), "attention classes missing");
        production = classes;
        return classes;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rulesWithAPlantedViolation")
    void theProductionClassesFollowTheRule(String name, ArchRule rule, Class<?>[] violation) {
        rule.check(productionClasses());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rulesWithAPlantedViolation")
    void theRuleFailsOnAPlantedViolation(String name, ArchRule rule, Class<?>[] violation) {
        JavaClasses planted = new ClassFileImporter().importClasses(violation);
        AssertionError error = assertThrows(AssertionError.class, () -> rule.check(planted));
        assertTrue(error.getMessage().contains(violation[0].getName()), error.getMessage());
    }
}
