package dev.sagestudio.app.ui;

import atlantafx.base.theme.PrimerDark;
import atlantafx.base.theme.PrimerLight;
import dev.sagestudio.app.bench.BenchmarkService;
import dev.sagestudio.app.bench.MachineBenchmarkService;
import dev.sagestudio.app.service.DeviceService;
import dev.sagestudio.app.service.FileReveal;
import dev.sagestudio.app.service.GenerationService;
import dev.sagestudio.app.service.HistoryService;
import dev.sagestudio.app.service.SettingsService;
import dev.sagestudio.app.ui.task.TaskExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executor;
import javafx.application.Application;
import javafx.fxml.FXMLLoader;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.stage.Stage;

/**
 * The composition root of the desktop app: builds the services' ViewModels, loads the FXML views (from ui-resources,
 * same package path as the controllers) with a controller factory that hands each controller its ViewModels, and
 * shows the window. {@link SageStudioApp} starts it with the real services; UI tests start it with their own folders.
 */
public final class DesktopApp {
    private static final boolean TIMING = Boolean.getBoolean("sagestudio.timing");

    private final Stage stage;
    private final MessagesViewModel messages;
    private final SettingsViewModel settings;
    private final HistoryViewModel history;
    private final GenerateViewModel generate;
    private final DeviceViewModel device;
    private final CompareViewModel compare;
    private final SweepViewModel sweep;
    private final BenchmarkViewModel benchmark;
    private MainWindowController mainWindow;

    private DesktopApp(Stage stage, SettingsService settingsService, GenerationService generation,
                       DeviceService deviceService, BenchmarkService benchmarks, TaskExecutor tasks,
                       FileReveal reveal) {
        this.stage = stage;
        messages = new MessagesViewModel();
        settings = new SettingsViewModel(settingsService, tasks, messages);
        history = new HistoryViewModel(HistoryService::new, settings.current().get().outputFolder(), tasks, messages,
                reveal);
        generate = new GenerateViewModel(generation, tasks, messages, settings, history);
        device = new DeviceViewModel(deviceService, tasks, messages);
        // The compare, sweep and benchmark screens run their jobs through the same task executor.
        Executor background = work -> tasks.execute(() -> {
            work.run();
            return null;
        }, done -> { }, messages::showFailure);
        Executor ui = tasks::onUiThread;
        compare = new CompareViewModel(background, ui);
        sweep = new SweepViewModel(background, ui);
        benchmark = new BenchmarkViewModel(benchmarks, background, ui);
        settings.current().addListener((obs, old, s) -> history.useFolder(s.outputFolder()));
    }

    /** Builds the window on {@code stage} and shows it; call on the JavaFX application thread. */
    public static DesktopApp show(Stage stage, SettingsService settingsService, GenerationService generation,
                                  DeviceService deviceService, TaskExecutor tasks, FileReveal reveal) {
        DesktopApp app = new DesktopApp(stage, settingsService, generation, deviceService,
                MachineBenchmarkService.here(), tasks, reveal);
        app.open();
        return app;
    }

    private void open() {
        Parent root = load("MainWindow.fxml");
        Scene scene = new Scene(root);
        scene.getStylesheets().add(resource("sagestudio.css").toExternalForm());
        applyTheme(settings.darkThemeProperty().get());
        settings.current().addListener((obs, old, s) -> applyTheme(s.darkTheme()));
        stage.setTitle("SageStudio");
        stage.setScene(scene);
        stage.show();
        if (TIMING) {
            // CPU time too: on a shared machine the wall time says more about the load than about the app
            long cpuMillis = ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() / 1_000_000 : -1;
            System.err.printf(Locale.ROOT, "sagestudio timing: window shown %d ms after the JVM started (%d ms of CPU"
                    + " time)%n", ManagementFactory.getRuntimeMXBean().getUptime(), cpuMillis);
            generate.resultProperty().addListener((obs, old, r) -> {
                if (old == null && r != null) {
                    System.err.printf(Locale.ROOT, "sagestudio timing: first result shown %d ms after the JVM"
                                    + " started (the run itself: %.2f s)%n",
                            ManagementFactory.getRuntimeMXBean().getUptime(), r.report().totalSeconds());
                }
            });
        }
        history.load();
        generate.load();
    }

    private static void applyTheme(boolean dark) {
        Application.setUserAgentStylesheet(dark ? new PrimerDark().getUserAgentStylesheet()
                : new PrimerLight().getUserAgentStylesheet());
    }

    private Parent load(String fxml) {
        return load(fxml, this::controller);
    }

    /** Loads the view {@code fxml} (ui-resources) with controllers from {@code controllers}. */
    static Parent load(String fxml, javafx.util.Callback<Class<?>, Object> controllers) {
        FXMLLoader loader = new FXMLLoader(resource(fxml));
        loader.setControllerFactory(controllers);
        try {
            return loader.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the view " + fxml + ": " + e.getMessage(), e);
        }
    }

    private static URL resource(String name) {
        return Objects.requireNonNull(DesktopApp.class.getResource(name), () -> name + " is missing from the"
                + " class path (it comes from the ui-resources module)");
    }

    private Object controller(Class<?> type) {
        if (type == MainWindowController.class) {
            mainWindow = new MainWindowController(messages, generate, history);
            return mainWindow;
        } else if (type == GenerateController.class) {
            return new GenerateController(generate, history);
        } else if (type == HistoryController.class) {
            return new HistoryController(history);
        } else if (type == DeviceController.class) {
            return new DeviceController(device);
        } else if (type == SettingsController.class) {
            return new SettingsController(settings);
        } else if (type == CompareController.class) {
            return new CompareController(compare);
        } else if (type == SweepController.class) {
            return new SweepController(sweep);
        } else if (type == BenchmarkController.class) {
            return new BenchmarkController(benchmark);
        }
        throw new IllegalArgumentException("no controller " + type.getName());
    }

    public Stage stage() {
        return stage;
    }

    public GenerateViewModel generate() {
        return generate;
    }

    public HistoryViewModel history() {
        return history;
    }

    public SettingsViewModel settings() {
        return settings;
    }

    public MessagesViewModel messages() {
        return messages;
    }

    public CompareViewModel compare() {
        return compare;
    }

    public SweepViewModel sweep() {
        return sweep;
    }

    public BenchmarkViewModel benchmark() {
        return benchmark;
    }

    /** The settings file and default output folder of a normal start. */
    public static SettingsService userSettings() {
        return new SettingsService(SettingsService.userConfigFolder().resolve("settings.json"),
                SettingsService.defaultOutputFolder());
    }

}
