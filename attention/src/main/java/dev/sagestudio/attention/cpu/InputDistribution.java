package dev.sagestudio.attention.cpu;

import java.util.Locale;

/**
 * Synthetic Q, K, V value distributions for accuracy studies and tests (see {@link AttentionInputs}).
 */
public enum InputDistribution {
    /** Q, K, V independent standard normal. */
    NORMAL("normal"),
    /**
     * Channel biases as trained transformers have them: every tensor is standard normal plus a
     * per-channel bias shared by all tokens of one (batch, head), drawn from N(0, σ²) with σ =
     * {@value AttentionInputs#K_BIAS_SCALE} for K (the large bias that defeats plain INT8
     * quantization of K), {@value AttentionInputs#Q_BIAS_SCALE} for Q (which makes the softmax
     * peaked, as in real attention) and {@value AttentionInputs#V_BIAS_SCALE} for V (so O has a
     * mean that small probabilities contribute to).
     */
    BIASED_K("biased-k"),
    /**
     * Heavy tails: Q, K, V drawn from Student's t with {@value AttentionInputs#T_DEGREES_OF_FREEDOM}
     * degrees of freedom (finite variance, frequent outliers ten or more times the typical size).
     */
    OUTLIERS("outliers");

    private final String label;

    InputDistribution(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static InputDistribution parse(String text) {
        for (InputDistribution d : values()) {
            if (d.label.equalsIgnoreCase(text) || d.name().equalsIgnoreCase(text)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown input distribution '" + text
                + "'; expected normal, biased-k or outliers");
    }

    @Override
    public String toString() {
        return label.toLowerCase(Locale.ROOT);
    }
}
