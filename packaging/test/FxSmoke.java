import java.io.File;
import javafx.animation.PauseTransition;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.layout.VBox;
import javafx.stage.Stage;
import javafx.util.Duration;
import javax.imageio.ImageIO;

/**
 * Opens a small JavaFX window with the installed runtime, snapshots it into a PNG and exits: shows that the runtime's
 * JavaFX modules and natives work from the installed image (used by packaging/test-installed.sh under Xvfb).
 * {@code java -cp <classes> FxSmoke <png> [seconds to stay open]}; prints the milliseconds from JVM start to the
 * window being shown, stays open (default 5 s) so a screenshot of the screen can be taken, then exits.
 */
public final class FxSmoke extends Application {
    @Override
    public void start(Stage stage) {
        VBox root = new VBox(12, new Label("SageStudio runtime check: JavaFX " + System.getProperty("javafx.version")),
                new Button("Generate"));
        root.setStyle("-fx-padding: 24; -fx-background-color: #dfe9e0;");
        stage.setTitle("SageStudio JavaFX check");
        stage.setScene(new Scene(root, 420, 160));
        stage.setOnShown(event -> Platform.runLater(() -> {
            long shownMs = System.currentTimeMillis() - ProcessHandle.current().info().startInstant()
                    .map(java.time.Instant::toEpochMilli).orElse(System.currentTimeMillis());
            try {
                File png = new File(getParameters().getRaw().get(0));
                ImageIO.write(SwingFXUtils.fromFXImage(root.snapshot(null, null), null), "png", png);
                System.out.println("window shown " + shownMs + " ms after JVM start; snapshot " + png);
            } catch (Exception e) {
                e.printStackTrace();
                System.exit(1);
            }
            PauseTransition stayOpen = new PauseTransition(Duration.seconds(
                    getParameters().getRaw().size() > 1 ? Double.parseDouble(getParameters().getRaw().get(1)) : 5));
            stayOpen.setOnFinished(done -> Platform.exit());
            stayOpen.play();
        }));
        stage.show();
    }

    public static void main(String[] args) {
        launch(args);
    }
}
