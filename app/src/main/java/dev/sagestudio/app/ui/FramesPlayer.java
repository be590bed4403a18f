package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.Frames;
import java.util.ArrayList;
import java.util.List;
import javafx.animation.Animation;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.control.ToggleButton;
import javafx.scene.image.Image;
import javafx.scene.image.ImageView;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import javafx.scene.layout.Pane;
import javafx.util.Duration;
import org.kordamp.ikonli.javafx.FontIcon;

/**
 * Shows {@link Frames} in an image view: a still image as it is, a clip playing in place, looping, with a play/pause
 * button and a frame scrubber (dragging it pauses on that frame).
 */
final class FramesPlayer {
    private final ImageView view;
    private final Pane controls;
    private final ToggleButton play;
    private final Slider scrubber;
    private final Label frameLabel;
    private final Timeline timeline = new Timeline();
    private List<Image> images = List.of();

    FramesPlayer(ImageView view, Pane controls, ToggleButton play, Slider scrubber, Label frameLabel) {
        this.view = view;
        this.controls = controls;
        this.play = play;
        this.scrubber = scrubber;
        this.frameLabel = frameLabel;
        timeline.setCycleCount(Animation.INDEFINITE);
        scrubber.valueProperty().addListener((obs, old, v) -> showFrame((int) Math.round(v.doubleValue())));
        scrubber.setOnMousePressed(e -> play.setSelected(false));
        play.selectedProperty().addListener((obs, old, playing) -> {
            play.setGraphic(new FontIcon(playing ? "fth-pause" : "fth-play"));
            if (playing && images.size() > 1) {
                timeline.play();
            } else {
                timeline.pause();
            }
        });
        showControls(false);
    }

    /** Shows {@code frames}; null clears the view. */
    void show(Frames frames) {
        timeline.stop();
        timeline.getKeyFrames().clear();
        if (frames == null) {
            images = List.of();
            view.setImage(null);
            showControls(false);
            return;
        }
        images = toImages(frames);
        showControls(frames.isClip());
        scrubber.setMin(0);
        scrubber.setMax(Math.max(0, images.size() - 1));
        scrubber.setValue(0);
        showFrame(0);
        if (frames.isClip()) {
            double frameMillis = 1000.0 / Math.max(1, frames.fps());
            timeline.getKeyFrames().add(new KeyFrame(Duration.millis(frameMillis),
                    e -> scrubber.setValue((Math.round(scrubber.getValue()) + 1) % images.size())));
            if (play.isSelected()) {
                timeline.play();
            }
        }
    }

    private void showFrame(int index) {
        if (index >= 0 && index < images.size()) {
            view.setImage(images.get(index));
            frameLabel.setText("frame " + (index + 1) + " / " + images.size());
        }
    }

    private void showControls(boolean visible) {
        controls.setVisible(visible);
        controls.setManaged(visible);
    }

    /** The frame the view shows now (0-based); for tests and the scrubber. */
    int currentFrame() {
        return (int) Math.round(scrubber.getValue());
    }

    int frameCount() {
        return images.size();
    }

    static List<Image> toImages(Frames frames) {
        List<Image> out = new ArrayList<>();
        for (int[] argb : frames.argb()) {
            out.add(toImage(frames.width(), frames.height(), argb));
        }
        return out;
    }

    static Image toImage(int width, int height, int[] argb) {
        WritableImage image = new WritableImage(width, height);
        image.getPixelWriter().setPixels(0, 0, width, height, PixelFormat.getIntArgbInstance(), argb, 0, width);
        return image;
    }
}
