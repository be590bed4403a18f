package dev.sagestudio.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.sagestudio.app.service.PipelineGenerationService;
import dev.sagestudio.app.ui.GenerateViewModel;
import org.junit.jupiter.api.Test;

/**
 * The desktop app's layers: views, controllers and ViewModels reach the libraries only through the services, so that
 * the libraries can change behind them; services hold no JavaFX; ViewModels hold no scene-graph types.
 */
class DesktopArchitectureTest {
    private static final JavaClasses APP = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.sagestudio.app");

    @Test
    void theImportHoldsTheUiAndTheServices() {
        assertTrue(APP.contain(GenerateViewModel.class) && APP.contain(PipelineGenerationService.class));
    }

    @Test
    void theUiDoesNotTouchTheLibraries() {
        noClasses().that().resideInAPackage("dev.sagestudio.app.ui..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.sagestudio.models..",
                        "dev.sagestudio.attention..")
                .check(APP);
    }

    @Test
    void servicesDoNotTouchJavaFx() {
        noClasses().that().resideInAnyPackage("dev.sagestudio.app.service..", "dev.sagestudio.app.compare..",
                        "dev.sagestudio.app.bench..")
                .should().dependOnClassesThat().resideInAnyPackage("javafx..")
                .check(APP);
    }

    @Test
    void viewModelsHoldNoSceneGraphTypes() {
        noClasses().that().haveSimpleNameEndingWith("ViewModel")
                .should().dependOnClassesThat().resideInAnyPackage("javafx.scene..", "javafx.stage..")
                .check(APP);
    }
}
