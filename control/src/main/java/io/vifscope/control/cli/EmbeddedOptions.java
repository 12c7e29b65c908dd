package io.vifscope.control.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Options of embedded mode: when no agent answers and the user is root, the command runs the agent in its own
 * process for as long as it runs, like the bcc tools.
 */
public final class EmbeddedOptions {
  @Option(names = "--sample", paramLabel = "DURATION",
      description = "Embedded mode (no agent, as root): how long to watch before answering (default: ${DEFAULT-VALUE}).")
  String sample = "3s";

  @Option(names = "--include", paramLabel = "GLOB",
      description = "Embedded mode: also watch interfaces matching GLOB (repeatable), as `vifscope agent --include`.")
  List<String> include = new ArrayList<>();

  @Option(names = "--only-included",
      description = "Embedded mode: watch only the --include interfaces, not the defaults.")
  boolean onlyIncluded;

  @Option(names = "--loader", paramLabel = "LOADER",
      description = "Embedded mode: how the BPF programs are loaded, auto, libbpf or bcc, as `vifscope agent "
          + "--loader` (default: auto).")
  String loader;

  @Option(names = "--no-embedded", description = "Never run embedded: fail when no agent answers.")
  boolean never;
}
