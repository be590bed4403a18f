package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.HistoryEntry;
import javafx.geometry.Pos;
import javafx.scene.image.ImageView;
import javafx.scene.layout.StackPane;
import org.kordamp.ikonli.javafx.FontIcon;

/** A history entry's first frame, small; clips carry a film icon in the corner. */
final class Thumbnail extends StackPane {
    private final HistoryViewModel history;
    private final ImageView image = new ImageView();
    private final FontIcon film = new FontIcon("fth-film");
    private HistoryEntry shown;

    Thumbnail(HistoryViewModel history, double size) {
        this.history = history;
        image.setFitWidth(size);
        image.setFitHeight(size);
        image.setPreserveRatio(true);
        image.setSmooth(false);
        StackPane.setAlignment(film, Pos.BOTTOM_RIGHT);
        getChildren().addAll(image, film);
    }

    /** Shows {@code entry} (its frames load in the background; a later entry wins). */
    void show(HistoryEntry entry) {
        shown = entry;
        image.setImage(null);
        film.setVisible(entry.video());
        history.framesOf(entry, frames -> {
            if (entry.equals(shown)) {
                image.setImage(FramesPlayer.toImage(frames.width(), frames.height(), frames.argb().get(0)));
            }
        });
    }
}
