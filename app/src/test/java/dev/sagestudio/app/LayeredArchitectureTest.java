package dev.sagestudio.app;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.sagestudio.app.cli.SageStudioCli;
import dev.sagestudio.attention.archfixture.AttentionClassThatUsesTheApp;
import org.junit.jupiter.api.Test;

/** The only allowed dependency direction is app → models → attention. */
class LayeredArchitectureTest {

    /**
     * The rule. Layers may be empty (models has no classes yet) but any class in a layer that
     * reaches a layer it must not is a violation.
     */
    static ArchRule appModelsAttentionLayers() {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("App").definedBy("dev.sagestudio.app..")
                .layer("Models").definedBy("dev.sagestudio.models..")
                .layer("Attention").definedBy("dev.sagestudio.attention..")
                .whereLayer("App").mayNotBeAccessedByAnyLayer()
                .whereLayer("Models").mayOnlyBeAccessedByLayers("App")
                .whereLayer("Attention").mayOnlyBeAccessedByLayers("Models", "App");
    }

    @Test
    void productionClassesOfAllModulesRespectTheLayers() {
        JavaClasses classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.sagestudio");
        // Guard against a vacuous pass: the import must really contain the app and attention code.
        assertTrue(classes.contain(SageStudioCli.class), "app classes were not imported");
        assertTrue(classes.contain(dev.sagestudio.attention.AttentionBackend.class), "attention classes were not imported");
        appModelsAttentionLayers().check(classes);
    }

    @Test
    void theRuleRejectsAnAttentionClassThatDependsOnTheApp() {
        JavaClasses violating = new ClassFileImporter()
                .importClasses(AttentionClassThatUsesTheApp.class, SageStudioCli.class);
        AssertionError error = assertThrows(AssertionError.class, () -> appModelsAttentionLayers().check(violating));
        assertTrue(error.getMessage().contains(AttentionClassThatUsesTheApp.class.getName()), error.getMessage());
    }
}
