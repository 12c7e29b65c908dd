package io.vifscope.control.cli;

import io.vifscope.control.server.AgentConfig;
import io.vifscope.probe.ClsactLedger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Writes the {@code vifscope(1)} man page, in roff, from the CLI's own command tree: the same descriptions,
 * options and examples that {@code --help} prints, so that the page cannot disagree with the commands. The
 * build runs it (control/pom.xml, like the bash completion) into {@code target/vifscope.1}.
 *
 * <p>Only the {@code man} macros every man(1) knows are used ({@code .TH .SH .SS .TP .PP .RS .RE .nf .fi
 * .B}); {@code groff -man -ww} and {@code mandoc -Tlint} read it without a warning.
 */
public final class ManPage {

  private ManPage() {}

  /** {@code java ... io.vifscope.control.cli.ManPage OUTPUT}: writes the page for {@link Main}. */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: ManPage OUTPUT-FILE");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, render(Main.newCommandLine()), StandardCharsets.UTF_8);
  }

  /** The whole page for this command tree. */
  public static String render(CommandLine root) {
    CommandSpec spec = root.getCommandSpec();
    String name = spec.name();
    Roff r = new Roff();
    r.macro(".TH " + name.toUpperCase(Locale.ROOT) + " 1 \"\" \"" + name + " " + Main.Version.version()
        + "\" \"User Commands\"");
    // No hyphenation and a ragged right edge: options, paths and globs must read exactly as typed.
    r.macro(".nh");
    r.macro(".ad l");

    r.macro(".SH NAME");
    r.text(name + " - " + firstSentence(spec));

    r.macro(".SH SYNOPSIS");
    r.macro(".B " + name);
    r.text("COMMAND [OPTIONS]");
    r.macro(".br");
    r.macro(".B " + name);
    r.text("[-hV]");

    r.macro(".SH DESCRIPTION");
    paragraphs(r, spec.usageMessage().description());
    r.macro(".PP");
    r.text("Commands:");
    for (CommandLine sub : subcommands(root)) {
      r.macro(".TP");
      r.macro(".B " + sub.getCommandName());
      r.text(firstSentence(sub.getCommandSpec()));
    }
    options(r, spec);
    examples(r, spec);

    r.macro(".SH COMMANDS");
    for (CommandLine sub : subcommands(root)) {
      command(r, sub);
    }

    r.macro(".SH EXIT STATUS");
    exitStatus(r, "0", "Success.");
    exitStatus(r, "1", "diagnose: a finding crossed its threshold. agent: it failed at run time.");
    exitStatus(r, "2", "Usage: a bad option or setting (the message names it).");
    exitStatus(r, Integer.toString(QueryCommand.NO_AGENT), "No agent answered (query commands).");
    exitStatus(r, "143", "agent: stopped by SIGTERM (128 + 15), after draining calls and detaching.");

    r.macro(".SH ENVIRONMENT");
    r.macro(".TP");
    r.macro(".B VIFSCOPE_SOCKET");
    r.text("The agent socket the query commands use when no --socket or --target is given.");
    r.macro(".TP");
    r.macro(".B VIFSCOPE_JAVA_OPTS");
    r.text("Replaces the JVM options the launcher chooses (for the agent: serial collector, heap at most 256 MiB).");

    r.macro(".SH FILES");
    file(r, AgentConfig.DEFAULT_SOCKET, "The agent's default socket (mode 0660, group vifscope).");
    file(r, ClsactLedger.DEFAULT_FILE.toString(), "The clsact qdiscs the agent created, so that only those are removed.");
    file(r, "/etc/vifscope/agent.conf", "The agent's settings when run by vifscope-agent.service.");
    file(r, "/lib/systemd/system/vifscope-agent.service", "The systemd unit that runs the agent.");
    file(r, "/usr/share/vifscope/vifscope.jar", "The program; /usr/bin/vifscope runs it.");

    r.macro(".SH SEE ALSO");
    r.macro(".BR systemctl (1),");
    r.macro(".BR tc (8),");
    r.macro(".BR bpftool (8),");
    r.macro(".BR virsh (1),");
    r.macro(".BR xl (1)");
    return r.toString();
  }

  /** One command: its synopsis, description, options and examples, as {@code --help} shows them. */
  private static void command(Roff r, CommandLine cmd) {
    CommandSpec spec = cmd.getCommandSpec();
    r.macro(".SS " + spec.qualifiedName());
    // Filled, so that a long synopsis wraps at its spaces (between options, never inside one).
    r.macro(".PP");
    r.text(synopsis(spec));
    paragraphs(r, spec.usageMessage().description());
    positionals(r, spec);
    options(r, spec);
    examples(r, spec);
  }

  /** The synopsis exactly as picocli builds it for the help, on one line (the pager wraps it). */
  private static String synopsis(CommandSpec spec) {
    CommandLine.Help help = new CommandLine.Help(spec,
        CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
    return help.synopsis(0).strip().replaceAll("\\s+", " ");
  }

  private static void positionals(Roff r, CommandSpec spec) {
    for (PositionalParamSpec p : spec.positionalParameters()) {
      if (p.hidden()) {
        continue;
      }
      r.macro(".TP");
      r.text(p.paramLabel());
      r.text(String.join(" ", formatted(p.description())));
    }
  }

  /** The options in the order the help lists them; a negatable option shows both of its forms. */
  private static void options(Roff r, CommandSpec spec) {
    List<OptionSpec> options = new ArrayList<>();
    for (OptionSpec o : spec.options()) {
      if (!o.hidden()) {
        options.add(o);
      }
    }
    if (options.isEmpty()) {
      return;
    }
    if (spec.usageMessage().sortOptions()) {
      options.sort(Comparator.comparing((OptionSpec o) -> o.shortestName().replaceFirst("^-+", ""),
          String.CASE_INSENSITIVE_ORDER));
    } else {
      options.sort(Comparator.comparingInt(OptionSpec::order));
    }
    r.macro(".PP");
    r.text("Options:");
    for (OptionSpec o : options) {
      r.macro(".TP");
      r.text(optionNames(spec, o));
      r.text(String.join(" ", formatted(o.description())));
    }
  }

  /** {@code -g, --group=BY}, or {@code --insecure, --no-insecure} for a negatable option. */
  static String optionNames(CommandSpec spec, OptionSpec o) {
    List<String> names = new ArrayList<>(List.of(o.names()));
    if (o.negatable()) {
      for (String n : o.names()) {
        String negated = spec.negatableOptionTransformer().makeNegative(n, spec);
        if (!negated.equals(n)) {
          names.add(negated);
        }
      }
    }
    String label = o.typeInfo().isBoolean() || o.arity().max() == 0 ? "" : "=" + o.paramLabel();
    return String.join(", ", names) + label;
  }

  /** The footer: the examples every command's help ends with, verbatim. */
  private static void examples(Roff r, CommandSpec spec) {
    String[] footer = spec.usageMessage().footer();
    if (footer.length == 0) {
      return;
    }
    r.macro(".PP");
    r.text(String.format(spec.usageMessage().footerHeading()).strip());
    r.macro(".RS 2");
    r.macro(".nf");
    for (String line : formatted(footer)) {
      r.text(line.strip().isEmpty() ? "" : line.replaceFirst("^  ", ""));
    }
    r.macro(".fi");
    r.macro(".RE");
  }

  /** Description lines: an empty line separates paragraphs. */
  private static void paragraphs(Roff r, String[] lines) {
    r.macro(".PP");
    boolean fresh = true;
    for (String line : formatted(lines)) {
      if (line.isBlank()) {
        if (!fresh) {
          r.macro(".PP");
          fresh = true;
        }
        continue;
      }
      r.text(line.strip());
      fresh = false;
    }
  }

  private static void exitStatus(Roff r, String code, String meaning) {
    r.macro(".TP");
    r.macro(".B " + code);
    r.text(meaning);
  }

  private static void file(Roff r, String path, String meaning) {
    r.macro(".TP");
    r.text(path);
    r.text(meaning);
  }

  private static List<CommandLine> subcommands(CommandLine cmd) {
    List<CommandLine> out = new ArrayList<>();
    for (CommandLine sub : cmd.getSubcommands().values()) {
      if (!sub.getCommandSpec().usageMessage().hidden() && !out.contains(sub)) {
        out.add(sub);
      }
    }
    return out;
  }

  private static String firstSentence(CommandSpec spec) {
    String[] d = formatted(spec.usageMessage().description()).toArray(new String[0]);
    return d.length == 0 ? "" : d[0].strip();
  }

  /**
   * Help strings are format strings to picocli ({@code %n}, {@code %%}); formatted the same way here, one
   * string per resulting line.
   */
  private static List<String> formatted(String[] lines) {
    List<String> out = new ArrayList<>();
    for (String s : lines) {
      out.addAll(List.of(String.format(s).split("\\R", -1)));
    }
    return out;
  }

  /** A roff document: macro lines as given, text lines escaped so that no character is read as roff. */
  private static final class Roff {
    private final StringBuilder b = new StringBuilder();

    void macro(String line) {
      b.append(escapeArgs(line)).append('\n');
    }

    void text(String line) {
      String e = escape(line);
      // A line starting with '.' or '\'' would be a request; '\&' is a zero-width guard.
      if (e.startsWith(".") || e.startsWith("'") || e.isEmpty()) {
        e = "\\&" + e;
      }
      b.append(e).append('\n');
    }

    /** The request name stays, its arguments are escaped like text. */
    private static String escapeArgs(String line) {
      int space = line.indexOf(' ');
      if (space < 0) {
        return line;
      }
      String args = line.substring(space + 1);
      // Quoted arguments (.TH) are written by this class, never user text: kept as they are.
      return line.substring(0, space + 1) + (args.startsWith("\"") ? args : escape(args));
    }

    /**
     * Backslash as {@code \e}; every '-' as {@code \-} (an ASCII minus, so that options copied from the page
     * work); anything outside ASCII as a {@code \[uXXXX]} glyph, so that the page needs no input encoding.
     */
    static String escape(String s) {
      StringBuilder out = new StringBuilder();
      s.codePoints().forEach(c -> {
        if (c == '\\') {
          out.append("\\e");
        } else if (c == '-') {
          out.append("\\-");
        } else if (c > 126) {
          out.append(String.format("\\[u%04X]", c));
        } else if (c < 32) {
          out.append(' ');
        } else {
          out.append((char) c);
        }
      });
      return out.toString();
    }

    @Override
    public String toString() {
      return b.toString();
    }
  }
}
