package io.vifscope.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The man page holds every command and every option of each (as the help does: hidden ones are not), and groff renders it without a warning. */
class ManPageTest {

  /** What a reader sees: the roff source with its escapes for '-', '\' and non-ASCII undone. */
  private static String readable(String roff) {
    return roff.replace("\\-", "-").replace("\\e", "\\");
  }

  @Test
  void everyCommandAndEveryOptionIsOnThePage() {
    CommandLine root = Main.newCommandLine();
    String page = readable(ManPage.render(root));
    for (String section : List.of("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "FILES",
        "SEE ALSO")) {
      assertTrue(page.contains("\n.SH " + section + "\n"), "no section " + section);
    }
    for (Map.Entry<String, CommandLine> e : root.getSubcommands().entrySet()) {
      String name = "vifscope " + e.getKey();
      int at = page.indexOf("\n.SS " + name + "\n");
      assertTrue(at >= 0, "no section for " + name);
      int end = page.indexOf("\n.SS ", at + 1);
      String section = page.substring(at, end < 0 ? page.indexOf("\n.SH ", at) : end);
      for (OptionSpec o : e.getValue().getCommandSpec().options()) {
        if (o.hidden()) {
          continue; // internal (the help does not show it either)
        }
        for (String option : o.names()) {
          assertTrue(section.contains(option), name + ": option " + option + " missing");
        }
      }
      String[] footer = e.getValue().getCommandSpec().usageMessage().footer();
      if (footer.length > 0) {
        assertTrue(section.contains(footer[footer.length - 1].strip()), name + ": examples missing");
      }
    }
    for (OptionSpec o : root.getCommandSpec().options()) {
      for (String option : o.names()) {
        assertTrue(page.contains(option), "vifscope: option " + option + " missing");
      }
    }
  }

  /** groff is in every Debian (groff-base, which man-db needs); -ww turns on every warning. */
  @Test
  void groffRendersItWithoutAWarning() throws IOException, InterruptedException {
    Process groff = new ProcessBuilder("groff", "-man", "-Tutf8", "-ww", "-z").redirectErrorStream(true).start();
    try (OutputStream in = groff.getOutputStream()) {
      in.write(ManPage.render(Main.newCommandLine()).getBytes(StandardCharsets.UTF_8));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    groff.getInputStream().transferTo(out);
    assertTrue(groff.waitFor(30, TimeUnit.SECONDS), "groff did not finish");
    assertEquals("", out.toString(StandardCharsets.UTF_8), "groff's warnings");
    assertEquals(0, groff.exitValue());
  }
}
