package io.vifscope.probe.libbpf;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.PointerType;

/**
 * Raw bindings to the system libbpf 1.x (libbpf.so.1), direct-mapped. Nothing here but declarations;
 * return conventions are libbpf's own: {@code int} calls return 0 or a negative errno, pointer calls
 * return NULL and set errno (read it with {@link Native#getLastError()} right after the call).
 */
public final class LibBpf {
  /** The shared object bound here; the ABI of libbpf 1.x. */
  public static final String LIBRARY = "libbpf.so.1";

  // enum bpf_attach_type (linux/bpf.h): the values are ABI.
  public static final int BPF_TCX_INGRESS = 46;
  public static final int BPF_TCX_EGRESS = 47;
  // enum bpf_tc_attach_point (libbpf.h)
  public static final int BPF_TC_INGRESS = 1;
  public static final int BPF_TC_EGRESS = 2;
  // enum bpf_stats_type
  public static final int BPF_STATS_RUN_TIME = 0;
  // enum libbpf_print_level
  public static final int LIBBPF_WARN = 0;
  public static final int LIBBPF_INFO = 1;
  public static final int LIBBPF_DEBUG = 2;

  static {
    Native.register(LibBpf.class, NativeLibrary.getInstance(LIBRARY));
  }

  private LibBpf() {}

  /** struct bpf_object *. */
  public static final class BpfObjectPtr extends PointerType {
    public BpfObjectPtr() {}
  }

  /** struct bpf_program *. */
  public static final class BpfProgramPtr extends PointerType {
    public BpfProgramPtr() {}
  }

  /** struct bpf_map *. */
  public static final class BpfMapPtr extends PointerType {
    public BpfMapPtr() {}
  }

  /** struct bpf_link *. */
  public static final class BpfLinkPtr extends PointerType {
    public BpfLinkPtr() {}
  }

  /** libbpf_print_fn_t: {@code int (*)(enum libbpf_print_level, const char *fmt, va_list args)}. */
  public interface PrintFn extends Callback {
    int invoke(int level, Pointer format, Pointer args);
  }

  public static native PrintFn libbpf_set_print(PrintFn fn);

  public static native int libbpf_num_possible_cpus();

  // Object lifecycle
  public static native BpfObjectPtr bpf_object__open_mem(Pointer buf, long size, Pointer opts);

  public static native int bpf_object__load(BpfObjectPtr obj);

  public static native void bpf_object__close(BpfObjectPtr obj);

  public static native BpfProgramPtr bpf_object__find_program_by_name(BpfObjectPtr obj, String name);

  public static native BpfProgramPtr bpf_object__next_program(BpfObjectPtr obj, BpfProgramPtr prev);

  public static native BpfMapPtr bpf_object__find_map_by_name(BpfObjectPtr obj, String name);

  public static native BpfMapPtr bpf_object__next_map(BpfObjectPtr obj, BpfMapPtr prev);

  // Programs
  public static native String bpf_program__name(BpfProgramPtr prog);

  public static native int bpf_program__fd(BpfProgramPtr prog);

  public static native int bpf_program__set_autoload(BpfProgramPtr prog, boolean autoload);

  public static native BpfLinkPtr bpf_program__attach_tracepoint(BpfProgramPtr prog, String category, String name);

  public static native BpfLinkPtr bpf_program__attach_raw_tracepoint(BpfProgramPtr prog, String name);

  public static native int bpf_link__fd(BpfLinkPtr link);

  public static native int bpf_link__destroy(BpfLinkPtr link);

  // Maps
  public static native String bpf_map__name(BpfMapPtr map);

  public static native int bpf_map__fd(BpfMapPtr map);

  public static native int bpf_map__type(BpfMapPtr map);

  public static native int bpf_map__max_entries(BpfMapPtr map);

  public static native int bpf_map__set_max_entries(BpfMapPtr map, int maxEntries);

  public static native int bpf_map__key_size(BpfMapPtr map);

  public static native int bpf_map__value_size(BpfMapPtr map);

  public static native Pointer bpf_map__initial_value(BpfMapPtr map, long[] psize);

  public static native int bpf_map__set_initial_value(BpfMapPtr map, Pointer data, long size);

  // Low-level syscall wrappers (bpf.h)
  public static native int bpf_map_lookup_elem(int fd, Pointer key, Pointer value);

  public static native int bpf_map_get_next_key(int fd, Pointer key, Pointer nextKey);

  public static native int bpf_map_lookup_batch(
      int fd, Pointer inBatch, Pointer outBatch, Pointer keys, Pointer values, int[] count, Pointer opts);

  public static native int bpf_link_create(int progFd, int targetFd, int attachType, Pointer opts);

  public static native int bpf_prog_get_next_id(int startId, int[] nextId);

  public static native int bpf_prog_get_fd_by_id(int id);

  public static native int bpf_obj_get_info_by_fd(int fd, Pointer info, int[] infoLen);

  public static native int bpf_enable_stats(int type);

  public static native int bpf_prog_test_run_opts(int progFd, Pointer opts);

  // tc (clsact) attachment
  public static native int bpf_tc_hook_create(Pointer hook);

  public static native int bpf_tc_hook_destroy(Pointer hook);

  public static native int bpf_tc_attach(Pointer hook, Pointer opts);

  public static native int bpf_tc_detach(Pointer hook, Pointer opts);

  public static native int bpf_tc_query(Pointer hook, Pointer opts);
}
