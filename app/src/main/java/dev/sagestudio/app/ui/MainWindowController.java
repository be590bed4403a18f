package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.AppError;
import java.io.File;
import java.util.Locale;
import javafx.fxml.FXML;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.input.ClipboardContent;
import javafx.scene.input.DragEvent;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyEvent;
import javafx.scene.input.TransferMode;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.VBox;

/** The main window: the tabs, the message banner, the status bar, PNG drop and Esc to cancel. */
public final class MainWindowController {
    private final MessagesViewModel messages;
    private final GenerateViewModel generate;
    private final HistoryViewModel history;

    @FXML private BorderPane root;
    @FXML private VBox messageBanner;
    @FXML private Label messageTitle;
    @FXML private Label messageCause;
    @FXML private Label messageWhatToDo;
    @FXML private Button copyDetailsButton;
    @FXML private TabPane tabs;
    @FXML private Tab generateTab;
    @FXML private Tab historyTab;
    @FXML private Tab deviceTab;
    @FXML private Tab compareTab;
    @FXML private Tab benchmarkTab;
    @FXML private Label statusLabel;
    @FXML private DeviceController deviceViewController;
    @FXML private HistoryController historyViewController;
    @FXML private GenerateController generateViewController;

    public MainWindowController(MessagesViewModel messages, GenerateViewModel generate, HistoryViewModel history) {
        this.messages = messages;
        this.generate = generate;
        this.history = history;
    }

    @FXML
    private void initialize() {
        messages.shownProperty().addListener((obs, old, message) -> showMessage(message));
        showMessage(messages.shownProperty().get());
        statusLabel.textProperty().bind(generate.statusProperty());
        root.addEventFilter(KeyEvent.KEY_PRESSED, e -> {
            if (e.getCode() == KeyCode.ESCAPE && generate.runningProperty().get()) {
                generate.cancel();
                e.consume();
            }
        });
        root.setOnDragOver(this::acceptPng);
        root.setOnDragDropped(this::dropPng);
        deviceTab.selectedProperty().addListener((obs, old, shown) -> deviceViewController.setShown(shown));
        historyViewController.setOnReloaded(this::showGenerate);
        generateViewController.setOnOpenEntry(entry -> {
            history.selectedProperty().set(entry);
            tabs.getSelectionModel().select(historyTab);
        });
    }

    private void showMessage(AppError message) {
        boolean shown = message != null;
        messageBanner.setVisible(shown);
        messageBanner.setManaged(shown);
        if (shown) {
            messageTitle.setText(message.title());
            messageCause.setText(message.cause());
            messageWhatToDo.setText(message.whatToDo());
        }
    }

    private static boolean isPng(File f) {
        return f.getName().toLowerCase(Locale.ROOT).endsWith(".png");
    }

    private void acceptPng(DragEvent e) {
        if (e.getDragboard().hasFiles() && e.getDragboard().getFiles().stream().anyMatch(MainWindowController::isPng)) {
            e.acceptTransferModes(TransferMode.COPY);
        }
        e.consume();
    }

    private void dropPng(DragEvent e) {
        var png = e.getDragboard().getFiles().stream().filter(MainWindowController::isPng).findFirst();
        png.ifPresent(f -> {
            history.reloadFromFile(f.toPath());
            tabs.getSelectionModel().select(generateTab);
        });
        e.setDropCompleted(png.isPresent());
        e.consume();
    }

    /** Shows the Generate tab (after "Reload settings" in the history). */
    void showGenerate() {
        tabs.getSelectionModel().select(generateTab);
    }

    @FXML
    private void copyDetails() {
        AppError message = messages.shownProperty().get();
        if (message != null) {
            ClipboardContent content = new ClipboardContent();
            content.putString(message.details());
            javafx.scene.input.Clipboard.getSystemClipboard().setContent(content);
        }
    }

    @FXML
    private void dismissMessage() {
        messages.dismiss();
    }
}
