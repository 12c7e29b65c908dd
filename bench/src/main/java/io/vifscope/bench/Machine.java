package io.vifscope.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/** The machine a run measured, for the report's header. */
final class Machine {
  private Machine() {}

  static Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("date", ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")));
    m.put("kernel", read("/proc/sys/kernel/osrelease"));
    m.put("cpus", Runtime.getRuntime().availableProcessors() + " × " + cpuModel());
    m.put("memory", memory());
    m.put("virtualization", Files.exists(Path.of("/sys/hypervisor/type")) ? read("/sys/hypervisor/type")
        : cpuFlags().contains(" hypervisor") ? "a virtual machine" : "none detected");
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    m.put("libbpf", libbpf());
    return m;
  }

  private static String read(String path) {
    try {
      return Files.readString(Path.of(path)).strip();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String cpuModel() {
    for (String l : read("/proc/cpuinfo").split("\n")) {
      if (l.startsWith("model name")) {
        return l.substring(l.indexOf(':') + 1).strip();
      }
    }
    return "unknown CPU";
  }

  private static String cpuFlags() {
    for (String l : read("/proc/cpuinfo").split("\n")) {
      if (l.startsWith("flags")) {
        return " " + l.substring(l.indexOf(':') + 1).strip() + " ";
      }
    }
    return "";
  }

  private static String memory() {
    for (String l : read("/proc/meminfo").split("\n")) {
      if (l.startsWith("MemTotal:")) {
        long kb = Long.parseLong(l.replaceAll("\\D", ""));
        return String.format("%.1f GiB", kb / 1024.0 / 1024.0);
      }
    }
    return "unknown";
  }

  private static String libbpf() {
    try (var s = Files.list(Path.of("/usr/lib/x86_64-linux-gnu"))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("libbpf\\.so\\.\\d+\\.\\d+\\.\\d+"))
          .findFirst().map(n -> n.substring("libbpf.so.".length())).orElse("unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
