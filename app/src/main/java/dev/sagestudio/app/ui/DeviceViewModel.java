package dev.sagestudio.app.ui;

import dev.sagestudio.app.doctor.Requirement;
import dev.sagestudio.app.service.DeviceReport;
import dev.sagestudio.app.service.DeviceService;
import dev.sagestudio.app.ui.task.TaskExecutor;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The device panel: the GPU (or why there is none and what to install), the CPU, and what the GPU path needs with
 * what was found and what each missing piece costs, as {@code sagestudio doctor} reports it.
 */
public final class DeviceViewModel {
    private final DeviceService service;
    private final TaskExecutor tasks;
    private final MessagesViewModel messages;
    private final ObservableList<DeviceReport.Fact> facts = FXCollections.observableArrayList();
    private final ObservableList<Requirement> gpuPath = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper("Probing the device…");
    private final ReadOnlyStringWrapper whatToDo = new ReadOnlyStringWrapper("");
    private final BooleanProperty gpuAvailable = new SimpleBooleanProperty();
    private boolean probing;

    public DeviceViewModel(DeviceService service, TaskExecutor tasks, MessagesViewModel messages) {
        this.service = service;
        this.tasks = tasks;
        this.messages = messages;
    }

    /** Probes again in the background (the view calls this every few seconds while it is shown). */
    public void refresh() {
        if (probing) {
            return;
        }
        probing = true;
        tasks.execute(service::probe, report -> {
            probing = false;
            facts.setAll(report.facts());
            if (!gpuPath.equals(report.gpuPath())) {
                gpuPath.setAll(report.gpuPath());
            }
            summary.set(report.summary());
            whatToDo.set(report.whatToDo().orElse(""));
            gpuAvailable.set(report.gpuAvailable());
        }, failure -> {
            probing = false;
            messages.showFailure(failure);
        });
    }

    public ObservableList<DeviceReport.Fact> facts() {
        return facts;
    }

    /** Each requirement of the GPU path, met or not, in the doctor's order. */
    public ObservableList<Requirement> gpuPath() {
        return gpuPath;
    }

    public ReadOnlyStringProperty summaryProperty() {
        return summary.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty whatToDoProperty() {
        return whatToDo.getReadOnlyProperty();
    }

    public BooleanProperty gpuAvailableProperty() {
        return gpuAvailable;
    }
}
