package io.vifscope.probe;

import java.util.List;

/**
 * The seam between a loader and the rest of the probe: loaded programs and maps, by name. Implemented by
 * {@link BpfObject} (objects built at build time, through libbpf) and {@link BccModule} (the same sources compiled
 * on the host by BCC). Closing unloads the programs and frees the maps; links and tc attachments made from the
 * programs belong to the caller, who closes them first.
 */
interface Programs extends AutoCloseable {
  /** "netdev", "softirq". */
  String name();

  /** The loaded program {@code name}; IllegalArgumentException or IllegalStateException when it is not there. */
  LoadedProgram loadedProgram(String name);

  /** Every loaded program, in load order. */
  List<LoadedProgram> loaded();

  /** A reader of map {@code name} (batched, see {@link MapReader}). */
  MapReader reader(String name);

  @Override
  void close();
}
