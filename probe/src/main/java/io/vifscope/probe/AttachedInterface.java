package io.vifscope.probe;

/** An interface with the tc programs on it, and how they are hooked in. */
public record AttachedInterface(int ifindex, String name, TcAttachment.Mode mode) {}
