package dev.sagestudio.app.service;

/** The machine's GPU and CPU as the device panel shows them. */
public interface DeviceService {

    /** A fresh report (memory figures change between calls); may take a moment, so not on the UI thread. */
    DeviceReport probe();
}
