package dev.sagestudio.attention.gpu;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUgraphNodeType;
import jcuda.driver.CUresult;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

/**
 * The work some code queues on a stream, recorded once by stream capture and launched again as one CUDA graph: the
 * host then issues one launch where it issued every kernel and copy. Each launch repeats the recorded kernels with the
 * same arguments, so the buffers they read and write must stay where they were, allocated and holding what the next
 * launch expects; that is the capturer's business.
 *
 * <p>Captured in relaxed mode: other threads may keep using the context (e.g. a memory sampler), and what the captured
 * code itself may not do during capture (wait for the stream, copy to pageable host memory) invalidates the capture,
 * which {@link #capture} reports; so does a capture that recorded host functions, which every launch would call
 * again.
 */
public final class CudaGraph implements AutoCloseable {
    private final GpuContext context;
    private final CUgraph graph;
    private final CUgraphExec executable;
    private final long nodes;
    private final AtomicBoolean closed = new AtomicBoolean();

    private CudaGraph(GpuContext context, CUgraph graph, CUgraphExec executable, long nodes) {
        this.context = context;
        this.graph = graph;
        this.executable = executable;
        this.nodes = nodes;
    }

    /**
     * Records what {@code work} queues on {@code stream} and makes it launchable. If {@code work} throws, or queued
     * something capture cannot record, the capture is ended and dropped, the stream is usable again, and the failure
     * is thrown ({@link CudaException} for the driver's refusal).
     */
    public static CudaGraph capture(CudaStream stream, Runnable work) {
        Objects.requireNonNull(work, "work");
        GpuContext context = stream.context();
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuStreamBeginCapture(stream.handle(),
                CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED), "cuStreamBeginCapture");
        Handles.Graph graph = new Handles.Graph();
        RuntimeException failure = null;
        try {
            work.run();
        } catch (RuntimeException e) {
            failure = e;
        }
        context.makeCurrent(); // the work may have left another context current on this thread
        int ended = JCudaDriver.cuStreamEndCapture(stream.handle(), graph);
        if (failure != null || ended != CUresult.CUDA_SUCCESS) {
            if (ended == CUresult.CUDA_SUCCESS) {
                JCudaDriver.cuGraphDestroy(graph);
            }
            if (failure != null) {
                throw failure;
            }
            throw new CudaException("cuStreamEndCapture (the captured work did something a CUDA graph cannot record,"
                    + " such as waiting for the stream)", ended);
        }
        try {
            long[] counts = countNodes(graph);
            long hostFunctions = counts[1];
            if (hostFunctions > 0) {
                // e.g. a library freeing its buffers at the end of its work: launched again, it would free them again
                throw new IllegalStateException("the captured work queued " + hostFunctions + " host function(s),"
                        + " which a graph would call again on every launch");
            }
            CUgraphExec executable = new CUgraphExec();
            Cuda.check(JCudaDriver.cuGraphInstantiate(executable, graph, 0), "cuGraphInstantiate");
            return new CudaGraph(context, graph, executable, counts[0]);
        } catch (RuntimeException e) {
            JCudaDriver.cuGraphDestroy(graph);
            throw e;
        }
    }

    /**
     * The graph's nodes and, of them, the host functions, through the driver directly ({@link DriverLibrary}: JCuda's
     * {@code cuGraphGetNodes} corrupts the heap).
     */
    private static long[] countNodes(Handles.Graph graph) {
        DriverLibrary.Calls driver = DriverLibrary.calls();
        Pointer handle = new Pointer(graph.address());
        LongByReference count = new LongByReference(0);
        Cuda.check(driver.cuGraphGetNodes(handle, null, count), "cuGraphGetNodes");
        long total = count.getValue();
        if (total == 0) {
            return new long[] {0, 0};
        }
        Memory nodes = new Memory(total * Native.POINTER_SIZE);
        count.setValue(total);
        Cuda.check(driver.cuGraphGetNodes(handle, nodes, count), "cuGraphGetNodes");
        long hostFunctions = 0;
        IntByReference type = new IntByReference();
        for (long i = 0; i < count.getValue(); i++) {
            Cuda.check(driver.cuGraphNodeGetType(nodes.getPointer(i * Native.POINTER_SIZE), type),
                    "cuGraphNodeGetType");
            if (type.getValue() == CUgraphNodeType.CU_GRAPH_NODE_TYPE_HOST) {
                hostFunctions++;
            }
        }
        return new long[] {count.getValue(), hostFunctions};
    }

    /** Queues the recorded work on {@code stream}; returns at once. */
    public void launch(CudaStream stream) {
        requireOpen();
        context.makeCurrent();
        Cuda.check(JCudaDriver.cuGraphLaunch(executable, stream.handle()), "cuGraphLaunch");
    }

    /** The number of recorded operations (kernels, copies, memsets). */
    public long nodeCount() {
        return nodes;
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the CUDA graph is closed");
        }
    }

    /** Frees the graph; its launches must have finished (wait for their stream first). */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            context.makeCurrent();
            Cuda.check(JCudaDriver.cuGraphExecDestroy(executable), "cuGraphExecDestroy");
            Cuda.check(JCudaDriver.cuGraphDestroy(graph), "cuGraphDestroy");
        }
    }
}
