package dev.sagestudio.app.compare;

import dev.sagestudio.models.output.Pixels;
import dev.sagestudio.models.pipeline.GenerationResult;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A sweep as one picture: a caption of the shared settings, the column labels on top, the row labels on the left,
 * and each generation (a video's first frame) with its time and PSNR against the row's first cell underneath.
 * Small outputs are enlarged without smoothing so their pixels stay visible.
 */
public final class SweepImage {

    private static final int PAD = 8;
    private static final int MIN_CELL = 160;

    private SweepImage() {
    }

    public static BufferedImage render(SweepResult sweep) {
        GenerationResult any = sweep.cells().get(0).get(0).result();
        int scale = Math.max(1, (int) Math.ceil(MIN_CELL / (double) Math.max(any.width(), any.height())));
        int cellW = any.width() * scale;
        int cellH = any.height() * scale;
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(font);
        int rowLabelW = 0;
        for (String label : sweep.rowLabels()) {
            rowLabelW = Math.max(rowLabelW, fm.stringWidth(label));
        }
        pg.dispose();
        int line = fm.getHeight();
        int columns = sweep.columnLabels().size();
        int rows = sweep.rowLabels().size();
        int left = PAD + rowLabelW + (rowLabelW > 0 ? PAD : 0);
        int top = PAD + line + PAD + line + 4;
        int boxW = Math.max(cellW, 150);
        int boxH = cellH + line + 6;
        int width = Math.max(left + columns * (boxW + PAD), PAD + fm.stringWidth(sweep.caption()) + PAD);
        int height = top + rows * (boxH + PAD) + PAD;
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setFont(font);
        g.setColor(Color.DARK_GRAY);
        g.drawString(sweep.caption(), PAD, PAD + fm.getAscent());
        g.setColor(Color.BLACK);
        for (int c = 0; c < columns; c++) {
            g.drawString(sweep.columnLabels().get(c), left + c * (boxW + PAD), PAD + line + PAD + fm.getAscent());
        }
        for (int r = 0; r < rows; r++) {
            int y = top + r * (boxH + PAD);
            g.setColor(Color.BLACK);
            g.drawString(sweep.rowLabels().get(r), PAD, y + cellH / 2 + fm.getAscent() / 2);
            List<SweepResult.Cell> row = sweep.cells().get(r);
            for (int c = 0; c < columns; c++) {
                int x = left + c * (boxW + PAD);
                GenerationResult result = row.get(c).result();
                BufferedImage image = result.frames() > 1 ? Pixels.frames(result.output(), result.frames(),
                        result.height(), result.width(), result.valueLow(), result.valueHigh()).get(0)
                        : Pixels.image(result.output(), result.height(), result.width(), result.valueLow(),
                        result.valueHigh());
                g.drawImage(image, x, y, cellW, cellH, null);
                g.setColor(Color.DARK_GRAY);
                g.drawString(row.get(c).caption(c == 0), x, y + cellH + 4 + fm.getAscent());
            }
        }
        g.dispose();
        return out;
    }
}
