package io.vifscope.probe;

/**
 * A program loaded into the kernel, as the code above the loaders sees it: a name and an fd. tc attachment and
 * statistics need nothing more, so they work the same for the built objects (libbpf) and for BCC.
 */
public interface LoadedProgram {
  /** The program's name (the C function's). */
  String name();

  /** Its fd, owned by whatever loaded it: do not close it. */
  int fd();

  /** Run-time statistics of this program (non-zero only while BPF stats are enabled). */
  default ProgramInfo info() throws BpfException {
    return ProgramInfo.ofFd(fd());
  }
}
