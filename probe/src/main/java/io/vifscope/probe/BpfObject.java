package io.vifscope.probe;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import io.vifscope.probe.libbpf.LibBpf;
import io.vifscope.probe.libbpf.LibBpf.BpfMapPtr;
import io.vifscope.probe.libbpf.LibBpf.BpfObjectPtr;
import io.vifscope.probe.libbpf.LibBpf.BpfProgramPtr;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A BPF object (ELF with BTF) opened from the classpath and loaded into the kernel. It owns its programs
 * and maps: closing it unloads them. Links and tc attachments made from its programs belong to the caller,
 * who closes them first.
 */
public final class BpfObject implements Programs {
  /** Where the kernel module's build puts the objects on the classpath. */
  public static final String RESOURCE_DIR = "/vifscope/bpf/";

  // The verifier log of a failed load lands here (libbpf retries a failed load with logging on).
  private static final long KERNEL_LOG_SIZE = 4L << 20;
  private static final int OPEN_OPTS_SIZE = 80; // sizeof(struct bpf_object_open_opts), libbpf 1.1

  private final String name;
  private final Memory image;
  private final Memory kernelLog;
  private final Memory objectName;
  private BpfObjectPtr handle;
  private boolean loaded;
  private final Map<String, BpfProgram> programs = new LinkedHashMap<>();
  private final Map<String, BpfMap> maps = new LinkedHashMap<>();

  private BpfObject(String name, Memory image, Memory kernelLog, Memory objectName, BpfObjectPtr handle) {
    this.name = name;
    this.image = image;
    this.kernelLog = kernelLog;
    this.objectName = objectName;
    this.handle = handle;
    for (BpfProgramPtr p = LibBpf.bpf_object__next_program(handle, null); p != null;
        p = LibBpf.bpf_object__next_program(handle, p)) {
      BpfProgram prog = new BpfProgram(this, p, LibBpf.bpf_program__name(p));
      programs.put(prog.name(), prog);
    }
    for (BpfMapPtr m = LibBpf.bpf_object__next_map(handle, null); m != null; m = LibBpf.bpf_object__next_map(handle, m)) {
      BpfMap map = new BpfMap(this, m, LibBpf.bpf_map__name(m));
      maps.put(map.name(), map);
    }
  }

  /**
   * Opens {@code fileName} (e.g. "netdev.bpf.o") from {@link #RESOURCE_DIR} on the classpath, in memory:
   * nothing is unpacked to disk. The object is not loaded yet; configure it, then {@link #load()}.
   */
  public static BpfObject open(String fileName) throws BpfException {
    byte[] bytes;
    try (InputStream in = BpfObject.class.getResourceAsStream(RESOURCE_DIR + fileName)) {
      if (in == null) {
        throw new IllegalStateException("BPF object " + RESOURCE_DIR + fileName + " is not on the classpath (run make build)");
      }
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read BPF object " + fileName, e);
    }
    return open(fileName, bytes);
  }

  /** Opens an object image given as bytes; {@code name} names it in messages. */
  public static BpfObject open(String name, byte[] elf) throws BpfException {
    LibbpfLog.install();
    String objName = name.endsWith(".bpf.o") ? name.substring(0, name.length() - ".bpf.o".length()) : name;
    Memory image = new Memory(elf.length);
    image.write(0, elf, 0, elf.length);
    Memory kernelLog = new Memory(KERNEL_LOG_SIZE);
    kernelLog.setByte(0, (byte) 0);
    Memory objectName = new Memory(objName.length() + 1L);
    objectName.setString(0, objName);
    Memory opts = new Memory(OPEN_OPTS_SIZE);
    opts.clear();
    opts.setLong(0, OPEN_OPTS_SIZE);
    opts.setPointer(8, objectName);
    opts.setPointer(56, kernelLog);
    opts.setLong(64, KERNEL_LOG_SIZE);
    opts.setInt(72, 0); // no log unless a load fails; then libbpf retries with level 1 into kernelLog
    LibbpfLog.beginCapture();
    BpfObjectPtr h = LibBpf.bpf_object__open_mem(image, elf.length, opts);
    int errno = Native.getLastError();
    String messages = LibbpfLog.endCapture();
    if (h == null) {
      throw BpfException.withLog("bpf_object__open_mem(" + objName + ")", errno, messages);
    }
    return new BpfObject(objName, image, kernelLog, objectName, h);
  }

  /** The object's name ("netdev" for netdev.bpf.o). */
  public String name() {
    return name;
  }

  /** Programs by name, in ELF order. */
  public Map<String, BpfProgram> programs() {
    return Map.copyOf(programs);
  }

  /** The program called {@code progName}; throws IllegalArgumentException when the object has none. */
  public BpfProgram program(String progName) {
    BpfProgram p = programs.get(progName);
    if (p == null) {
      throw new IllegalArgumentException("no program " + progName + " in " + name + ": " + programs.keySet());
    }
    return p;
  }

  @Override
  public LoadedProgram loadedProgram(String progName) {
    BpfProgram p = program(progName);
    p.fd(); // throws when the program was not loaded
    return p;
  }

  @Override
  public List<LoadedProgram> loaded() {
    List<LoadedProgram> out = new ArrayList<>();
    for (BpfProgram p : programs.values()) {
      if (p.isLoaded()) {
        out.add(p);
      }
    }
    return out;
  }

  @Override
  public MapReader reader(String mapName) {
    return new MapReader(map(mapName));
  }

  /** The map called {@code mapName}; throws IllegalArgumentException when the object has none. */
  public BpfMap map(String mapName) {
    BpfMap m = maps.get(mapName);
    if (m == null) {
      throw new IllegalArgumentException("no map " + mapName + " in " + name + ": " + maps.keySet());
    }
    return m;
  }

  /** Names of the maps, including libbpf's internal ones such as ".rodata". */
  public List<String> mapNames() {
    return new ArrayList<>(maps.keySet());
  }

  /**
   * Sets a {@code const volatile} tunable of the object (in .rodata) before load. The offset comes from the
   * ELF symbol table, as libbpf's own skeletons compute it; the verifier then sees the value as a constant.
   */
  public void setRodata(String symbol, byte value) {
    ensureOpen();
    if (loaded) {
      throw new IllegalStateException("tunables are set before load: " + symbol);
    }
    long offset = ElfSymbols.offsetInSection(image.getByteArray(0, (int) image.size()), ".rodata", symbol);
    BpfMap rodata = maps.values().stream().filter(m -> m.name().endsWith(".rodata")).findFirst()
        .orElseThrow(() -> new IllegalArgumentException(name + " has no .rodata"));
    long[] size = new long[1];
    com.sun.jna.Pointer data = LibBpf.bpf_map__initial_value(rodata.handle(), size);
    if (data == null || offset < 0 || offset >= size[0]) {
      throw new IllegalArgumentException("no tunable " + symbol + " in " + name + "'s .rodata");
    }
    data.setByte(offset, value);
  }

  /**
   * Loads every program whose autoload is on and creates the maps. A verifier rejection throws with the
   * verifier's log attached, so the reason is never lost.
   */
  public void load() throws BpfException {
    ensureOpen();
    if (loaded) {
      throw new IllegalStateException(name + " is already loaded");
    }
    LibbpfLog.beginCapture();
    int rc = LibBpf.bpf_object__load(handle);
    String messages = LibbpfLog.endCapture();
    if (rc < 0) {
      String verifier = kernelLog.getString(0);
      String log = verifier.isBlank() ? messages : verifier + (messages.isBlank() ? "" : "\n" + messages);
      throw BpfException.withLog("bpf_object__load(" + name + ")", -rc, log);
    }
    loaded = true;
  }

  /** True once {@link #load()} succeeded. */
  public boolean isLoaded() {
    return loaded;
  }

  BpfObjectPtr handle() {
    ensureOpen();
    return handle;
  }

  void ensureOpen() {
    if (handle == null) {
      throw new IllegalStateException("BPF object " + name + " is closed");
    }
  }

  /** Unloads programs and frees maps. Idempotent. */
  @Override
  public void close() {
    BpfObjectPtr h = handle;
    if (h == null) {
      return;
    }
    handle = null;
    LibBpf.bpf_object__close(h);
    // The image and log buffers are freed with this object; libbpf no longer refers to them.
    image.close();
    kernelLog.close();
    objectName.close();
  }

  @Override
  public String toString() {
    return "BpfObject[" + name + (handle == null ? ", closed" : loaded ? ", loaded" : ", opened") + "]";
  }
}
