package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.bundle.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * A lower bound of the memory a generation needs, from the bundle's files and shapes, checked before any session is
 * opened so that a model that cannot fit is refused with the figures instead of swapping or being killed: the graphs
 * twice (the parsed ONNX model on the Java heap while ONNX Runtime holds its own copy of the weights), and the
 * sample, the model output and the decoded picture for the guided batch of two in float32. Attention's temporary
 * tensors come on top and are not counted; so this refuses only what surely cannot fit.
 */
final class MemoryEstimate {

    private MemoryEstimate() {
    }

    /** Bytes the generation needs at least. */
    static long lowerBound(ModelBundle bundle) {
        long graphs = 0;
        for (Path file : graphFiles(bundle)) {
            graphs += sizeWithExternalData(file);
        }
        ModelSpec.SampleSpec s = bundle.spec().sample();
        long frames = s.frames() == null ? 1 : s.frames();
        long scale = s.latentScale() == null ? 1 : s.latentScale();
        long sample = (long) s.channels() * bundle.spec().latentFrames() * (s.height() / scale) * (s.width() / scale);
        long picture = 3L * frames * s.height() * s.width();
        return 2 * graphs + 4L * (2 * 3 * sample + picture);
    }

    /** Refuses the bundle when its lower bound exceeds the memory available now (Linux; elsewhere nothing is checked). */
    static void requireFits(ModelBundle bundle) {
        requireFits(lowerBound(bundle), availableBytes(), bundle.spec().name());
    }

    static void requireFits(long needed, OptionalLong available, String model) {
        if (available.isPresent() && needed > available.getAsLong()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "model %s needs at least %.0f MiB of memory"
                    + " (its graphs twice and the samples), but only %.0f MiB are available; close other programs or"
                    + " use a smaller model", model, needed / 1048576.0, available.getAsLong() / 1048576.0));
        }
    }

    /** MemAvailable of /proc/meminfo, if readable. */
    static OptionalLong availableBytes() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
            OptionalLong kib = lines.filter(l -> l.startsWith("MemAvailable:")).map(l -> l.replaceAll("\\D", ""))
                    .mapToLong(Long::parseLong).findFirst();
            return kib.isPresent() ? OptionalLong.of(kib.getAsLong() * 1024) : OptionalLong.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    private static List<Path> graphFiles(ModelBundle bundle) {
        return Stream.concat(Stream.concat(bundle.textEncoderFiles().stream(), Stream.of(bundle.denoiserFile())),
                bundle.vaeDecoderFile().stream()).toList();
    }

    /** The file, plus the external-data files next to it that are named after it ("denoiser.onnx.data"). */
    private static long sizeWithExternalData(Path file) {
        long bytes = 0;
        try (Stream<Path> siblings = Files.list(file.getParent())) {
            String name = file.getFileName().toString();
            for (Path p : siblings.filter(p -> p.getFileName().toString().startsWith(name)).toList()) {
                bytes += Files.isRegularFile(p) ? Files.size(p) : 0;
            }
        } catch (IOException e) {
            // unreadable now: the loader reports it with its reason
        }
        return bytes;
    }
}
