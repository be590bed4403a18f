package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.HistoryEntry;
import javafx.scene.control.ListCell;
import javafx.scene.control.Tooltip;

/** A history entry as a thumbnail, with its prompt as tooltip; {@code withText} adds the prompt, seed and backend. */
final class ThumbnailCell extends ListCell<HistoryEntry> {
    private final Thumbnail thumbnail;
    private final boolean withText;

    ThumbnailCell(HistoryViewModel history, double size, boolean withText) {
        this.thumbnail = new Thumbnail(history, size);
        this.withText = withText;
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
        thumbnail.show(entry);
        setGraphic(thumbnail);
        setTooltip(new Tooltip((entry.video() ? "clip: " : "image: ") + entry.prompt()));
        setText(withText ? (entry.video() ? "[clip] " : "") + entry.prompt() + "\nseed "
                + entry.parameters().getOrDefault("seed", "?") + " · "
                + entry.parameters().getOrDefault("attention_backend", "?").split(" ", 2)[0] : null);
    }
}
