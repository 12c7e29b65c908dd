package io.vifscope.probe;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small reader of the .BTF section of a BPF ELF object: struct sizes and member byte offsets, and enum
 * values. Enough for the ABI test to compare the Java mirrors with what clang actually laid out; written
 * from the BTF format in the kernel's Documentation/bpf/btf.rst.
 */
final class Btf {
  /** A struct as BTF describes it: size and member byte offsets in declaration order. */
  record Struct(String name, int size, Map<String, Integer> offsets) {}

  private static final int KIND_INT = 1;
  private static final int KIND_ARRAY = 3;
  private static final int KIND_STRUCT = 4;
  private static final int KIND_UNION = 5;
  private static final int KIND_ENUM = 6;
  private static final int KIND_FUNC_PROTO = 13;
  private static final int KIND_VAR = 14;
  private static final int KIND_DATASEC = 15;
  private static final int KIND_DECL_TAG = 17;
  private static final int KIND_ENUM64 = 19;

  final Map<String, Struct> structs = new HashMap<>();
  final Map<String, Map<String, Long>> enums = new HashMap<>();

  static Btf parse(byte[] elf) {
    ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt(0) != 0x464c457f || b.get(4) != 2) {
      throw new IllegalArgumentException("not an ELF64 object");
    }
    long shoff = b.getLong(0x28);
    int shentsize = b.getShort(0x3A) & 0xffff;
    int shnum = b.getShort(0x3C) & 0xffff;
    int shstrndx = b.getShort(0x3E) & 0xffff;
    long strtabOff = b.getLong((int) (shoff + (long) shstrndx * shentsize + 24));
    for (int i = 0; i < shnum; i++) {
      int sh = (int) (shoff + (long) i * shentsize);
      String name = cString(b, (int) (strtabOff + b.getInt(sh)));
      if (name.equals(".BTF")) {
        int off = (int) b.getLong(sh + 24);
        int size = (int) b.getLong(sh + 32);
        return parseBtf(b.slice(off, size).order(ByteOrder.LITTLE_ENDIAN));
      }
    }
    throw new IllegalArgumentException("no .BTF section (built without -g?)");
  }

  private static Btf parseBtf(ByteBuffer b) {
    if ((b.getShort(0) & 0xffff) != 0xeB9F) {
      throw new IllegalArgumentException("bad BTF magic");
    }
    int hdrLen = b.getInt(4);
    int typeOff = hdrLen + b.getInt(8);
    int typeLen = b.getInt(12);
    int strOff = hdrLen + b.getInt(16);
    Btf btf = new Btf();
    int p = typeOff;
    int end = typeOff + typeLen;
    while (p < end) {
      String name = cString(b, strOff + b.getInt(p));
      int info = b.getInt(p + 4);
      int size = b.getInt(p + 8);
      int vlen = info & 0xffff;
      int kind = (info >>> 24) & 0x1f;
      boolean kindFlag = (info >>> 31) != 0;
      p += 12;
      switch (kind) {
        case KIND_INT, KIND_VAR, KIND_DECL_TAG -> p += 4;
        case KIND_ARRAY -> p += 12;
        case KIND_STRUCT, KIND_UNION -> {
          Map<String, Integer> offsets = new LinkedHashMap<>();
          for (int m = 0; m < vlen; m++) {
            String member = cString(b, strOff + b.getInt(p));
            int bits = b.getInt(p + 8);
            if (kindFlag) {
              bits &= 0xffffff; // top 8 bits hold a bitfield size
            }
            offsets.put(member, bits / 8);
            p += 12;
          }
          if (kind == KIND_STRUCT && !name.isEmpty()) {
            btf.structs.put(name, new Struct(name, size, offsets));
          }
        }
        case KIND_ENUM -> {
          Map<String, Long> values = new LinkedHashMap<>();
          for (int m = 0; m < vlen; m++) {
            values.put(cString(b, strOff + b.getInt(p)), (long) b.getInt(p + 4));
            p += 8;
          }
          btf.enums.put(name, values);
        }
        case KIND_ENUM64 -> {
          Map<String, Long> values = new LinkedHashMap<>();
          for (int m = 0; m < vlen; m++) {
            long v = (b.getInt(p + 4) & 0xffffffffL) | ((long) b.getInt(p + 8) << 32);
            values.put(cString(b, strOff + b.getInt(p)), v);
            p += 12;
          }
          btf.enums.put(name, values);
        }
        case KIND_FUNC_PROTO -> p += 8 * vlen;
        case KIND_DATASEC -> p += 12 * vlen;
        default -> {
          // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG: no trailing data
        }
      }
    }
    return btf;
  }

  private static String cString(ByteBuffer b, int off) {
    List<Byte> bytes = new ArrayList<>();
    int i = off;
    while (b.get(i) != 0) {
      bytes.add(b.get(i++));
    }
    byte[] a = new byte[bytes.size()];
    for (int k = 0; k < a.length; k++) {
      a[k] = bytes.get(k);
    }
    return new String(a, StandardCharsets.UTF_8);
  }
}
