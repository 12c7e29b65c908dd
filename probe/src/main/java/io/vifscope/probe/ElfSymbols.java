package io.vifscope.probe;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Reads a symbol's offset within its section from an ELF64 little-endian object (a BPF object). */
final class ElfSymbols {
  private static final int SHT_SYMTAB = 2;
  private static final int SYM_SIZE = 24;

  private ElfSymbols() {}

  /** The st_value of {@code symbol} defined in section {@code section}, or -1 when there is none. */
  static long offsetInSection(byte[] elf, String section, String symbol) {
    ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
    long shoff = b.getLong(0x28);
    int shentsize = b.getShort(0x3A) & 0xffff;
    int shnum = b.getShort(0x3C) & 0xffff;
    int shstrndx = b.getShort(0x3E) & 0xffff;
    int shstrOff = (int) b.getLong((int) (shoff + (long) shstrndx * shentsize + 24));
    int sectionIndex = -1;
    int symtab = -1;
    for (int i = 0; i < shnum; i++) {
      int sh = (int) (shoff + (long) i * shentsize);
      if (cString(b, shstrOff + b.getInt(sh)).equals(section)) {
        sectionIndex = i;
      }
      if (b.getInt(sh + 4) == SHT_SYMTAB) {
        symtab = sh;
      }
    }
    if (sectionIndex < 0 || symtab < 0) {
      return -1;
    }
    int symOff = (int) b.getLong(symtab + 24);
    int symSize = (int) b.getLong(symtab + 32);
    int strtabHeader = (int) (shoff + (long) b.getInt(symtab + 40) * shentsize);
    int strOff = (int) b.getLong(strtabHeader + 24);
    for (int p = symOff; p + SYM_SIZE <= symOff + symSize; p += SYM_SIZE) {
      int shndx = b.getShort(p + 6) & 0xffff;
      if (shndx == sectionIndex && cString(b, strOff + b.getInt(p)).equals(symbol)) {
        return b.getLong(p + 8);
      }
    }
    return -1;
  }

  private static String cString(ByteBuffer b, int off) {
    int end = off;
    while (b.get(end) != 0) {
      end++;
    }
    byte[] a = new byte[end - off];
    b.get(off, a);
    return new String(a, StandardCharsets.UTF_8);
  }
}
