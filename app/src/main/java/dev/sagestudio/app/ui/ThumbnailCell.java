package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.HistoryEntry;
import javafx.scene.control.ListCell;
import javafx.scene.control.Tooltip;
import javafx.scene.image.ImageView;
import org.kordamp.ikonli.javafx.FontIcon;

/** A history entry as a thumbnail (first frame), with its prompt as tooltip; clips get a film icon. */
final class ThumbnailCell extends ListCell<HistoryEntry> {
    private final HistoryViewModel history;
    private final ImageView image = new ImageView();

    ThumbnailCell(HistoryViewModel history, double size) {
        this.history = history;
        image.setFitWidth(size);
        image.setFitHeight(size);
        image.setPreserveRatio(true);
        image.setSmooth(false);
    }

    @Override
    protected void updateItem(HistoryEntry entry, boolean empty) {
        super.updateItem(entry, empty);
        if (empty || entry == null) {
            setGraphic(null);
            setTooltip(null);
            setText(null);
            return;
        }
        image.setImage(null);
        setGraphic(image);
        setText(null);
        setTooltip(new Tooltip((entry.video() ? "clip: " : "image: ") + entry.prompt()));
        history.framesOf(entry, frames -> {
            if (entry.equals(getItem())) {
                image.setImage(FramesPlayer.toImage(frames.width(), frames.height(), frames.argb().get(0)));
            }
        });
        if (entry.video()) {
            FontIcon film = new FontIcon("fth-film");
            javafx.scene.layout.StackPane.setAlignment(film, javafx.geometry.Pos.BOTTOM_RIGHT);
            setGraphic(new javafx.scene.layout.StackPane(image, film));
        }
    }
}
