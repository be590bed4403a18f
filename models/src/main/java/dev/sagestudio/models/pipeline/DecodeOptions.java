package dev.sagestudio.models.pipeline;

/**
 * How the VAE decoder may split its work: the memory a full decode may take before it is done in overlapping tiles
 * instead, and the tiles' size and overlap in latent pixels (the picture is {@code latentScale} times larger).
 *
 * @param memoryBudgetBytes the most a full decode may need by {@link DecoderFootprint}'s estimate; null for the
 *                          memory available when the decode starts (Linux's MemAvailable; elsewhere no estimate is
 *                          checked and only an out-of-memory error from ONNX Runtime makes the decode tiled)
 * @param tileLatent        a tile's height and width in latent pixels (diffusers' SD VAE default: 64, 512 pixels)
 * @param overlapLatent     how far neighbouring tiles overlap, in latent pixels; blended linearly across it
 */
public record DecodeOptions(Long memoryBudgetBytes, int tileLatent, int overlapLatent) {

    /** diffusers' {@code AutoencoderKL} tiles 64 latent pixels wide and overlaps them by a quarter. */
    public static final int DEFAULT_TILE = 64;
    public static final int DEFAULT_OVERLAP = 16;

    public DecodeOptions {
        if (memoryBudgetBytes != null && memoryBudgetBytes <= 0) {
            throw new IllegalArgumentException("the decode memory budget must be positive, got " + memoryBudgetBytes);
        }
        if (tileLatent < 2) {
            throw new IllegalArgumentException("a decode tile must be at least 2 latent pixels wide, got "
                    + tileLatent);
        }
        if (overlapLatent < 0 || overlapLatent >= tileLatent) {
            throw new IllegalArgumentException("the tile overlap must be at least 0 and less than the tile ("
                    + tileLatent + "), got " + overlapLatent);
        }
    }

    /** The available memory as the budget, diffusers' tile size and overlap. */
    public static DecodeOptions defaults() {
        return new DecodeOptions(null, DEFAULT_TILE, DEFAULT_OVERLAP);
    }

    public DecodeOptions withMemoryBudget(Long bytes) {
        return new DecodeOptions(bytes, tileLatent, overlapLatent);
    }

    public DecodeOptions withTiles(int tile, int overlap) {
        return new DecodeOptions(memoryBudgetBytes, tile, overlap);
    }
}
