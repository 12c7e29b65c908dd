package io.vifscope.control.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vifscope} command: the entry point of the runnable jar and of the {@code ./vifscope} launcher. */
@Command(
    name = "vifscope",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    subcommands = {AgentCommand.class, TopCommand.class, DiagnoseCommand.class, SoftirqCommand.class,
        IfacesCommand.class, DomainsCommand.class, StatusCommand.class, DemoCommand.class, CommandLine.HelpCommand.class},
    description = "Which guest interface, domain and flow is behind a dom0's softirq load.",
    footerHeading = "%nExamples:%n",
    footer = {"  sudo vifscope demo      # the incident, reproduced in a lab",
        "  vifscope top", "  vifscope diagnose --json", "  vifscope help top"})
public final class Main implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(newCommandLine().execute(args));
  }

  /** The configured command line; tests run it in-process with their own writers. */
  public static CommandLine newCommandLine() {
    // Wide enough that no example is broken inside a path or URI (and for the man page made from the help).
    return new CommandLine(new Main()).setUsageHelpWidth(100);
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return CommandLine.ExitCode.USAGE;
  }

  /** The version, from the build's filtered resource. */
  public static final class Version implements CommandLine.IVersionProvider {
    /** The project version this jar was built as. */
    public static String version() {
      Properties p = new Properties();
      try (InputStream in = Main.class.getResourceAsStream("/io/vifscope/control/version.properties")) {
        if (in == null) {
          return "unknown";
        }
        p.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return p.getProperty("version", "unknown");
    }

    @Override
    public String[] getVersion() {
      return new String[] {"vifscope " + version()};
    }
  }
}
