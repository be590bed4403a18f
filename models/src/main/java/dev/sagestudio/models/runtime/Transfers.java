package dev.sagestudio.models.runtime;

/**
 * Copies a run made between the caller's memory and the memory the graph runs in, counted by the
 * runner at every copy it makes. On the CPU path "staging" is the conversion of an attention step's
 * Q/K/V into backend tensors and of O back (3 + 1 per step). The GPU path's goal is stated in these
 * terms: staging 0, uploads only for the model inputs, downloads only for the outputs.
 */
public final class Transfers {
    private long uploads;
    private long uploadBytes;
    private long downloads;
    private long downloadBytes;
    private long staging;
    private long stagingBytes;

    public void upload(long bytes) {
        uploads++;
        uploadBytes += bytes;
    }

    public void download(long bytes) {
        downloads++;
        downloadBytes += bytes;
    }

    void staging(long bytes) {
        staging++;
        stagingBytes += bytes;
    }

    /** Copies of model inputs into the runtime's memory. */
    public long uploads() {
        return uploads;
    }

    public long uploadBytes() {
        return uploadBytes;
    }

    /** Copies of model outputs out of the runtime's memory. */
    public long downloads() {
        return downloads;
    }

    public long downloadBytes() {
        return downloadBytes;
    }

    /** Copies made to hand tensors between ONNX Runtime and attention backends. */
    public long staging() {
        return staging;
    }

    public long stagingBytes() {
        return stagingBytes;
    }

    /** Every copy counted here: uploads, downloads and staging. */
    public long copies() {
        return uploads + downloads + staging;
    }

    /** The bytes {@link #copies()} moved. */
    public long copiedBytes() {
        return uploadBytes + downloadBytes + stagingBytes;
    }

    @Override
    public String toString() {
        return "uploads " + uploads + " (" + uploadBytes + " B), downloads " + downloads + " (" + downloadBytes
                + " B), attention staging " + staging + " (" + stagingBytes + " B)";
    }
}
