package io.vifscope.probe;

import com.sun.jna.Memory;
import io.vifscope.probe.libbpf.LibBpf;
import io.vifscope.probe.libbpf.LibC;

/**
 * What the kernel says about a loaded program (struct bpf_prog_info): id, name, tag and, while BPF
 * statistics are enabled, the cumulative run count and run time.
 */
public record ProgramInfo(int id, int type, String name, String tag, long runTimeNs, long runCount) {
  // Offsets in struct bpf_prog_info (linux/bpf.h UAPI); 232 bytes on 6.x, older kernels accept a prefix.
  private static final int INFO_SIZE = 232;
  private static final int OFF_TYPE = 0;
  private static final int OFF_ID = 4;
  private static final int OFF_TAG = 8;
  private static final int OFF_NAME = 64;
  private static final int NAME_LEN = 16;
  private static final int OFF_RUN_TIME_NS = 192;
  private static final int OFF_RUN_CNT = 200;

  /** Mean ns per run, or 0 when the program has not run while statistics were on. */
  public double nsPerRun() {
    return runCount == 0 ? 0 : (double) runTimeNs / runCount;
  }

  /** Reads the info of the program behind {@code fd}. */
  public static ProgramInfo ofFd(int fd) throws BpfException {
    try (Memory info = new Memory(INFO_SIZE)) {
      info.clear();
      int[] len = {INFO_SIZE};
      BpfException.check(LibBpf.bpf_obj_get_info_by_fd(fd, info, len), "bpf_obj_get_info_by_fd(fd=" + fd + ")");
      byte[] tag = info.getByteArray(OFF_TAG, 8);
      StringBuilder hex = new StringBuilder();
      for (byte b : tag) {
        hex.append(String.format("%02x", b & 0xff));
      }
      byte[] nameBytes = info.getByteArray(OFF_NAME, NAME_LEN);
      int n = 0;
      while (n < NAME_LEN && nameBytes[n] != 0) {
        n++;
      }
      boolean hasStats = len[0] >= OFF_RUN_CNT + 8;
      return new ProgramInfo(
          info.getInt(OFF_ID),
          info.getInt(OFF_TYPE),
          new String(nameBytes, 0, n, java.nio.charset.StandardCharsets.UTF_8),
          hex.toString(),
          hasStats ? info.getLong(OFF_RUN_TIME_NS) : 0,
          hasStats ? info.getLong(OFF_RUN_CNT) : 0);
    }
  }

  /** Reads the info of the program with kernel id {@code id}; the temporary fd is closed again. */
  public static ProgramInfo ofId(int id) throws BpfException {
    int fd = LibBpf.bpf_prog_get_fd_by_id(id);
    if (fd < 0) {
      throw BpfException.of("bpf_prog_get_fd_by_id(" + id + ")", -fd);
    }
    try {
      return ofFd(fd);
    } finally {
      LibC.close(fd);
    }
  }
}
