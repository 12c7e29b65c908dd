package io.vifscope.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vifscope.probe.testing.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures say what failed: the call, its subject, the errno, and for a rejected program the verifier's log. */
class LoadErrorsIT {

  @Test
  void aRejectedProgramCarriesTheVerifierLog(@TempDir Path dir) throws Exception {
    // Reads packet data without a bounds check: every verifier since 4.x rejects this.
    Path src = dir.resolve("reject.bpf.c");
    Files.writeString(src, """
        #include <linux/bpf.h>
        #include <bpf/bpf_helpers.h>
        SEC("tc") int reject(struct __sk_buff *skb) { return *(int *)(long)skb->data; }
        char LICENSE[] SEC("license") = "GPL";
        """);
    Path obj = dir.resolve("reject.bpf.o");
    Sh.run("clang", "-target", "bpf", "-O2", "-g", "-I/usr/include/x86_64-linux-gnu", "-c", src.toString(), "-o", obj.toString());
    try (BpfObject o = BpfObject.open("reject.bpf.o", Files.readAllBytes(obj))) {
      BpfException e = assertThrows(BpfException.class, o::load);
      assertTrue(e.getMessage().startsWith("bpf_object__load(reject) failed: EACCES (13)"), e.getMessage());
      assertTrue(e.log().contains("invalid access to packet"), "verifier log kept: " + e.log());
      assertEquals(13, e.errno());
    }
  }

  @Test
  void attachErrorsNameTheInterfaceAndTheErrno() throws Exception {
    try (BpfObject netdev = BpfObject.open("netdev.bpf.o")) {
      netdev.load();
      BpfProgram in = netdev.program("tc_ingress");
      BpfProgram out = netdev.program("tc_egress");
      BpfException tcx = assertThrows(BpfException.class,
          () -> TcAttachment.attach(999_999, "nosuch0", in, out, TcAttachment.Mode.TCX, null));
      assertEquals("bpf_link_create(tc_ingress, ifindex=999999 nosuch0, BPF_TCX_INGRESS) failed: ENODEV (19)",
          tcx.getMessage());
      BpfException clsact = assertThrows(BpfException.class,
          () -> TcAttachment.attach(999_999, "nosuch0", in, out, TcAttachment.Mode.CLSACT, null));
      assertTrue(clsact.getMessage().startsWith("bpf_tc_hook_create(ifindex=999999 nosuch0) failed: ENODEV (19)"),
          clsact.getMessage());
    }
  }
}
