# vifscope top-level build. Quick start: `sudo make demo`, then `sudo make test`.
#   make deps   install the system packages that build, tests, demo and benchmarks need (only missing ones)
#   make demo   deps + build, then the incident reproduced in the lab and answered (root, about a minute)
#   make build  BPF objects, Java modules, the runnable jar, bash completion and the lab's traffic generator
#   make unit   unprivileged tests only (no root needed)
#   make test   deps + build + every test, unprivileged and privileged (run as root)
#   make deb    build + the Debian package packaging/target/vifscope_<version>_all.deb (no root needed)
#   make deb-test  installs that package, runs its agent as the unit would, purges it, checks nothing is left (root)
#   make bench  the benchmark suite in the lab (root, about half an hour): BENCHMARKS.md, bench/results/*.json
#   make bench-quick  a short version for everyday checks (bench/results/BENCHMARKS-quick.md, not committed)
#   make clean  remove build outputs

SHELL := /bin/bash
MVN ?= mvn
MVN_FLAGS ?= -B -ntp
# Debian package names. Build: clang, llvm, libbpf, bpftool, JDK, Maven. Lab and tests: iproute2,
# ethtool, netsniff-ng (mausezahn/trafgen), tcpdump, iperf3, libvirt client (virsh) and library,
# tmux, jq, procps, the Prometheus client's parser (metrics tests). Packaging: dpkg-deb and adduser, systemd-analyze (package systemd) to check the unit, groff
# for the man page test. Reference tools for benchmarks: bcc tools with the kernel headers they compile against.
DEB_PACKAGES := clang llvm libbpf-dev libbpf1 bpftool gcc libc6-dev make \
	openjdk-17-jdk-headless maven \
	iproute2 ethtool netsniff-ng tcpdump iperf3 libvirt-clients libvirt0 tmux jq procps kmod python3 python3-prometheus-client util-linux openssl netbase iputils-ping \
	dpkg adduser systemd groff-base \
	bpfcc-tools python3-bpfcc linux-headers-amd64

LAB_GEN := lab/bin/vifgen

.PHONY: all deps build demo unit test lab-test demo-test deb deb-test bench bench-quick clean

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${db:Status-Abbrev}' "$$p" 2>/dev/null | grep -q '^ii' || echo "$$p"; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: missing packages: $$missing; run as root (sudo make deps)" >&2; exit 1; fi; \
		echo "make deps: installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build: $(LAB_GEN)
	$(MVN) $(MVN_FLAGS) -q -DskipTests package

$(LAB_GEN): lab/src/vifgen.c
	@mkdir -p lab/bin
	gcc -O2 -Wall -Werror -o $@ $<

demo: deps build
	@if [ "$$(id -u)" != 0 ]; then echo "make demo: the lab and the agent need root: sudo make demo" >&2; exit 1; fi
	./vifscope demo

unit:
	$(MVN) $(MVN_FLAGS) test

# Privileged tests load BPF programs and build network namespaces: they need root and are never skipped.
test: deps build
	@if [ "$$(id -u)" != 0 ]; then echo "make test: the privileged tests need root: sudo make test (make unit runs the unprivileged ones)" >&2; exit 1; fi
	$(MVN) $(MVN_FLAGS) verify
	$(MAKE) lab-test
	$(MAKE) demo-test
	$(MAKE) deb-test

lab-test: $(LAB_GEN)
	bash lab/test/lab-test.sh

# The demo as `sudo make demo` runs it, from a fresh state; checks that it leaves nothing behind.
demo-test: $(LAB_GEN)
	bash lab/test/demo-test.sh

# The Debian package, from the build's outputs, with dpkg-deb: needs no root and touches nothing on the system.
deb: build
	bash packaging/build-deb.sh

# Installs the package, runs its agent the way the unit would on a veth of its own, purges it, and checks the
# machine is as before (refuses to run where vifscope is already installed).
deb-test: deb
	bash packaging/test/deb-test.sh

# Benchmarks: never part of make test (no timing is ever asserted); their numbers go to BENCHMARKS.md.
bench: deps build
	@if [ "$$(id -u)" != 0 ]; then echo "make bench: the lab and the agent need root: sudo make bench" >&2; exit 1; fi
	java -jar bench/target/vifscope-bench.jar --repo "$(CURDIR)"

bench-quick: deps build
	@if [ "$$(id -u)" != 0 ]; then echo "make bench-quick: the lab and the agent need root: sudo make bench-quick" >&2; exit 1; fi
	java -jar bench/target/vifscope-bench.jar --quick --repo "$(CURDIR)"

clean:
	$(MVN) $(MVN_FLAGS) -q clean
	rm -rf lab/bin packaging/target
