package io.vifscope.control.rank;

import io.vifscope.probe.BpfException;
import io.vifscope.probe.ProbeSnapshot;

/** Where polls come from: the live {@code Probe}, or recorded snapshots in tests. */
@FunctionalInterface
public interface SnapshotSource {
  ProbeSnapshot snapshot() throws BpfException;
}
