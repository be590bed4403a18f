package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.FileReveal;
import dev.sagestudio.app.service.PipelineGenerationService;
import dev.sagestudio.app.service.SystemDeviceService;
import dev.sagestudio.app.ui.task.FxTaskExecutor;
import javafx.application.Application;
import javafx.stage.Stage;

/** The JavaFX application: the desktop app with the real services and the user's settings. */
public final class SageStudioApp extends Application {
    private final PipelineGenerationService generation = new PipelineGenerationService();
    private final SystemDeviceService device = new SystemDeviceService();
    private final FxTaskExecutor tasks = new FxTaskExecutor();

    @Override
    public void start(Stage stage) {
        DesktopApp.show(stage, DesktopApp.userSettings(), generation, device, tasks, FileReveal.xdgOpen());
    }

    @Override
    public void stop() {
        tasks.close();
        generation.close();
        device.close();
    }
}
