import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.RoundRectangle2D;
import java.awt.image.BufferedImage;
import java.io.File;
import javax.imageio.ImageIO;

/**
 * Draws the application icon (a sage-green tile with a white "S") so it can be regenerated without an image editor:
 * {@code java packaging/src/linux/DrawIcon.java packaging/src/linux/sagestudio.png}.
 */
public final class DrawIcon {
    public static void main(String[] args) throws Exception {
        int size = 256;
        BufferedImage icon = new BufferedImage(size, size, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = icon.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        RoundRectangle2D tile = new RoundRectangle2D.Float(8, 8, size - 16, size - 16, 56, 56);
        g.setPaint(new GradientPaint(0, 0, new Color(0x8FB996), size, size, new Color(0x3E6B48)));
        g.fill(tile);
        g.setStroke(new BasicStroke(4f));
        g.setColor(new Color(0x2F5237));
        g.draw(tile);
        g.setColor(Color.WHITE);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 176));
        var metrics = g.getFontMetrics();
        String letter = "S";
        g.drawString(letter, (size - metrics.stringWidth(letter)) / 2,
                (size - metrics.getHeight()) / 2 + metrics.getAscent());
        g.dispose();
        ImageIO.write(icon, "png", new File(args[0]));
    }
}
