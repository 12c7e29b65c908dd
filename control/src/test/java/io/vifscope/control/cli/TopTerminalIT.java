package io.vifscope.control.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vifscope.control.rank.Services;
import io.vifscope.control.server.AgentConfig;
import io.vifscope.control.server.AgentServer;
import io.vifscope.control.server.ServiceFixtures;
import io.vifscope.probe.testing.Lab;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The full-screen view in a real terminal: tmux runs {@code vifscope top} (the built jar) against an agent socket
 * that serves the incident fixture; the test types keys and reads the screen back.
 */
class TopTerminalIT {
  private static final Duration SCREEN_WAIT = Duration.ofSeconds(20);

  @TempDir
  Path tmp;

  private final String server = "vifscope-it-" + ProcessHandle.current().pid();

  @Test
  void topDrawsTheScreenRegroupsOnKeysAndQuits() throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    Path socket = tmp.resolve("agent.sock");
    AgentConfig cfg = AgentConfig.load(Map.of("socket", List.of(socket.toString()), "socket-group", List.of("none")));
    AgentServer agent = AgentServer.start(cfg, List.of(ServiceFixtures.incidentService(Services.system(), timer)));
    try {
      String jar = Lab.repo().resolve("control/target/vifscope.jar").toString();
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      tmux("new-session", "-d", "-s", "top", "-x", "132", "-y", "40",
          "'" + java + "' -jar '" + jar + "' top --socket '" + socket + "' --interval 500ms; echo \"EXITED rc=$?\"; "
              + "sleep 60");

      String screen = awaitScreen(s -> s.contains("SOURCE") && s.contains("syslog01"));
      assertTrue(screen.contains("vifscope top · dom0-test · by source, packets/s"), screen);
      assertTrue(screen.contains("CPU1 si 61.0% ksoftirqd 78%"), screen);
      assertTrue(screen.contains("NET_RX busiest: vsleth0 on CPU1"), screen);
      assertTrue(screen.matches("(?s).*198\\.18\\.0\\.201\\s+000a17-I\\s+to guest\\s+syslog01\\s+12k\\s+12k\\s+12k.*"),
          screen);
      assertTrue(screen.contains("q quit"), screen);

      tmux("send-keys", "-t", "top", "d");
      screen = awaitScreen(s -> s.contains("by domain") && s.contains("web01"));
      assertTrue(screen.matches("(?s).*DOMAIN\\s+ID\\s+DIRECTION\\s+2s pkt/s.*"), screen);
      assertTrue(screen.matches("(?s).*syslog01\\s+74\\s+to guest\\s+30k\\s+30k\\s+30k.*"), screen);
      assertTrue(screen.matches("(?s).*web01\\s+12\\s+to guest\\s+5\\.0k.*"), screen);

      tmux("send-keys", "-t", "top", "b");
      screen = awaitScreen(s -> s.contains("by domain, bytes/s") && s.contains("syslog01"));
      // By bytes, web01's 2000-byte packets come first.
      int web = screen.indexOf("web01");
      int syslog = screen.indexOf("syslog01");
      assertTrue(web > 0 && web < syslog, screen);

      tmux("send-keys", "-t", "top", "f");
      screen = awaitScreen(s -> s.contains("by flow") && s.contains("q quit"));
      assertTrue(screen.matches("(?s).*198\\.18\\.0\\.1:443\\s+198\\.18\\.0\\.74:51000\\s+TCP\\s+https.*"), screen);

      // A small terminal: rows are left out so that the title, the header and the key help still fit.
      tmux("resize-window", "-t", "top", "-y", "14");
      screen = awaitScreen(s -> s.lines().count() <= 14 && s.contains("q quit") && s.contains("vifscope top"));
      assertTrue(screen.contains("SOURCE") && screen.contains("198.18.0.201"), screen);

      tmux("send-keys", "-t", "top", "q");
      screen = awaitScreen(s -> s.contains("EXITED"));
      assertTrue(screen.contains("EXITED rc=0"), screen);
      // The alternate screen is gone: nothing of the view is left on the terminal.
      assertTrue(!screen.contains("SOURCE") && !screen.contains("DOMAIN"), screen);
      // The terminal's modes are back: echo and canonical input.
      String stty = tmuxOut("display-message", "-p", "-t", "top", "#{pane_tty}").strip();
      String modes = run(List.of("sh", "-c", "stty -a < " + stty));
      assertTrue(modes.contains(" icanon") && modes.contains(" echo "), modes);
    } finally {
      try {
        run(List.of("tmux", "-L", server, "kill-server"));
      } catch (IOException e) {
        // no server left
      }
      agent.shutdownGracefully(Duration.ZERO);
      timer.shutdownNow();
    }
  }

  private String awaitScreen(Predicate<String> ready) throws Exception {
    long deadline = System.nanoTime() + SCREEN_WAIT.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      last = tmuxOut("capture-pane", "-p", "-t", "top");
      if (ready.test(last)) {
        return last;
      }
      Thread.sleep(200);
    }
    fail("the screen did not show what was expected within " + SCREEN_WAIT.toSeconds() + " s:\n" + last);
    return last;
  }

  private void tmux(String... args) throws Exception {
    tmuxOut(args);
  }

  private String tmuxOut(String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("tmux", "-L", server, "-f", "/dev/null"));
    argv.addAll(List.of(args));
    return run(argv);
  }

  private static String run(List<String> argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(argv + " hung");
    }
    if (p.exitValue() != 0) {
      throw new IOException(argv + " failed (" + p.exitValue() + "): " + out);
    }
    return out;
  }
}
