#!/usr/bin/env bash
# packaging/test/deb-test.sh - installs the vifscope .deb, runs its agent the way vifscope-agent.service
# would, purges the package, and checks that the machine is as before (run as root: make deb-test).
#
# Prints one line per check ("ok - ..." / "not ok - ..."), then "N passed, N failed"; exits non-zero on any
# failure. A trap restores the machine also after a failure or an interrupt.
#
# PID 1 here need not be systemd, so the agent is started by hand from the installed files with the unit's
# own settings, read from the installed unit: its ExecStart, User, Group, capabilities (setpriv) and
# RuntimeDirectory. It watches only a veth pair of its own (pkgv0, peer in netns vifscope-pkg-test): no
# traffic is sent, no address is set, nothing else on the machine is touched.
#
# VIFSCOPE_DEB_TEST_AS_ROOT=1 runs the agent as root instead of the unit's user and capabilities.
set -uo pipefail

REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
UNIT=/lib/systemd/system/vifscope-agent.service
SOCKET=/run/vifscope/vifscope.sock
VETH=pkgv0
PEER=pkgv0p
NETNS=vifscope-pkg-test
AS_ROOT=${VIFSCOPE_DEB_TEST_AS_ROOT:-0}
# Paths the package owns or creates; none may exist before, all must be gone after.
PATHS=(/usr/bin/vifscope /usr/share/vifscope /etc/vifscope "$UNIT" /usr/share/doc/vifscope /run/vifscope
	/var/lib/vifscope /usr/share/man/man1/vifscope.1.gz /usr/share/bash-completion/completions/vifscope
	/etc/systemd/system/multi-user.target.wants/vifscope-agent.service)

INSTALLED=0 MADE_RUNDIR=0 AGENT_PID="" WORK=""

# shellcheck source-path=SCRIPTDIR source=../../lab/test/checks.sh
. "$REPO/lab/test/checks.sh"

# Everything about the machine this test could change, as text: compared before and after.
machine_state() {
	echo "dpkg: $(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' vifscope 2>/dev/null || echo absent)"
	echo "passwd: $(getent passwd vifscope || echo absent)"
	echo "group: $(getent group vifscope || echo absent)"
	local p
	for p in "${PATHS[@]}"; do
		if [[ -e $p || -L $p ]]; then echo "exists: $p"; else echo "absent: $p"; fi
	done
	echo "systemd state: $(find /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
		/etc/systemd/system -name '*vifscope*' 2>/dev/null | sort | tr '\n' ' ')"
	echo "link: $(ip -o link show dev "$VETH" 2>/dev/null | cut -d' ' -f2 || true)"
	echo "netns: $(ip netns list 2>/dev/null | awk -v n="$NETNS" '$1 == n' || true)"
}

stop_agent() {
	[[ -n $AGENT_PID ]] || return 0
	if kill -0 "$AGENT_PID" 2>/dev/null; then
		kill -TERM "$AGENT_PID" 2>/dev/null
		for _ in $(seq 150); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$AGENT_PID" 2>/dev/null
	fi
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=""
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_agent
	if ((MADE_RUNDIR)) && [[ -d /run/vifscope ]]; then rm -rf /run/vifscope; fi
	if ((INSTALLED)) && dpkg-query -W vifscope >/dev/null 2>&1; then
		dpkg --purge vifscope >/dev/null 2>&1 || echo "# WARNING: dpkg --purge vifscope failed"
	fi
	if ((INSTALLED)); then
		# What a failed purge may have left; the test refused to start when any of it existed.
		getent passwd vifscope >/dev/null && { deluser --system --quiet vifscope || echo "# WARNING: deluser failed"; }
		getent group vifscope >/dev/null && { delgroup --system --quiet vifscope || echo "# WARNING: delgroup failed"; }
		rm -rf /etc/vifscope /var/lib/vifscope
	fi
	ip link del "$VETH" 2>/dev/null
	ip netns del "$NETNS" 2>/dev/null
	[[ -n $WORK ]] && rm -rf "$WORK"
	finish "$rc"
}
trap cleanup EXIT
trap 'echo "# interrupted"; exit 130' INT TERM

[[ $EUID -eq 0 ]] || { notok "must run as root (it installs a package and creates a user)"; exit 1; }

# ---- refuse to run where the package, its user or its files already are ------------------------------

refuse() { notok "refusing to run: $*"; exit 1; }
dpkg-query -W -f='${db:Status-Abbrev}' vifscope 2>/dev/null | grep -q '^[a-z]i' &&
	refuse "vifscope is installed here; the test installs and purges it, so it would remove yours"
getent passwd vifscope >/dev/null && refuse "a user vifscope exists; the test would not know whether purge may remove it"
getent group vifscope >/dev/null && refuse "a group vifscope exists; the test would not know whether purge may remove it"
for p in "${PATHS[@]}"; do
	[[ -e $p || -L $p ]] && refuse "$p exists (another vifscope install, or an agent using /run/vifscope?)"
done
ip link show dev "$VETH" >/dev/null 2>&1 && refuse "interface $VETH exists"
ip netns list | awk -v n="$NETNS" '$1 == n {f = 1} END {exit !f}' && refuse "netns $NETNS exists"

BEFORE=$(machine_state)
WORK=$(mktemp -d /tmp/vifscope-deb-test.XXXXXX)
chmod 0755 "$WORK"

# ---- install -------------------------------------------------------------------------------------------

debs=("$REPO"/packaging/target/vifscope_*_all.deb)
[[ -f ${debs[0]} ]] || { notok "no package in packaging/target (make deb)"; exit 1; }
DEB=${debs[0]}
diag "package: $DEB"

INSTALLED=1
# dpkg -i, not apt: the dependencies are installed (make deps), and nothing is fetched from anywhere.
if dpkg -i "$DEB" >"$WORK/install.log" 2>&1; then ok "dpkg -i installs the package"; else
	notok "dpkg -i installs the package: $(tail -3 "$WORK/install.log" | tr '\n' ' ')"; exit 1
fi
eq "dpkg status" "ii" "$(dpkg-query -W -f='${db:Status-Abbrev}' vifscope | tr -d ' ')"

project_version=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' "$REPO/pom.xml" | head -1)
eq "package version is the project version, Debian-sanitised" "${project_version//-/\~}" \
	"$(dpkg-query -W -f='${Version}' vifscope)"
eq "vifscope --version (installed launcher, from /tmp)" "vifscope $project_version" \
	"$(cd /tmp && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin vifscope --version 2>&1)"
eq "the launcher found the installed jar, not the repo's" "/usr/share/vifscope" \
	"$(cd /tmp && bash -x /usr/bin/vifscope --version 2>&1 | sed -n 's/^+ export VIFSCOPE_HOME=//p')"

mode() { stat -c '%a %U:%G' "$1" 2>/dev/null || echo missing; }
eq "/usr/bin/vifscope" "755 root:root" "$(mode /usr/bin/vifscope)"
eq "/usr/share/vifscope/vifscope.jar" "644 root:root" "$(mode /usr/share/vifscope/vifscope.jar)"
eq "$UNIT" "644 root:root" "$(mode "$UNIT")"
eq "/etc/vifscope/agent.conf" "644 root:root" "$(mode /etc/vifscope/agent.conf)"
eq "bash completion" "644 root:root" "$(mode /usr/share/bash-completion/completions/vifscope)"
eq "man page" "644 root:root" "$(mode /usr/share/man/man1/vifscope.1.gz)"
check "copyright and changelog.Debian.gz in /usr/share/doc/vifscope" \
	test -f /usr/share/doc/vifscope/copyright -a -f /usr/share/doc/vifscope/changelog.Debian.gz
check "/etc/vifscope/agent.conf is a conffile" grep -qx /etc/vifscope/agent.conf /var/lib/dpkg/info/vifscope.conffiles
check "man -l renders the installed page" bash -c 'man -l /usr/share/man/man1/vifscope.1.gz 2>/dev/null | grep -q "vifscope agent"'

IFS=: read -r _ _ uid gid _ home shell <<<"$(getent passwd vifscope)"
check "system user vifscope (uid $uid below 1000)" test -n "$uid" -a "${uid:-1000}" -lt 1000
eq "its primary group" "vifscope" "$(getent group "$gid" | cut -d: -f1)"
eq "its home and shell" "/nonexistent /usr/sbin/nologin" "$home $shell"
check "no home directory was created" test ! -e /nonexistent

if out=$("$REPO/packaging/verify-unit.sh" --installed 2>&1); then ok "systemd-analyze verify: installed unit clean"; else
	notok "systemd-analyze verify on the installed unit: $out"
fi

# ---- the agent, as the unit runs it ---------------------------------------------------------------------

unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -1; }
EXEC=$(unit_value ExecStart)
USER_=$(unit_value User)
GROUP_=$(unit_value Group)
AMBIENT=$(unit_value AmbientCapabilities)
BOUNDING=$(unit_value CapabilityBoundingSet)
RUNDIR=$(unit_value RuntimeDirectory)
RUNDIR_MODE=$(unit_value RuntimeDirectoryMode)
NNP=$(unit_value NoNewPrivileges)
diag "unit: ExecStart=$EXEC User=$USER_ Group=$GROUP_ caps=$AMBIENT RuntimeDirectory=$RUNDIR ($RUNDIR_MODE)"
check "the unit names a user, caps and a runtime directory" test -n "$EXEC" -a -n "$USER_" -a -n "$AMBIENT" -a -n "$RUNDIR"
eq "the unit's bounding set is its ambient set" "$AMBIENT" "$BOUNDING"

# CAP_BPF CAP_PERFMON -> -all,+bpf,+perfmon (setpriv's syntax)
setpriv_caps() {
	local out=-all c
	for c in $1; do out+=",+$(tr '[:upper:]' '[:lower:]' <<<"${c#CAP_}")"; done
	echo "$out"
}
# The capability numbers of linux/capability.h for the ones a unit of ours may name.
declare -A CAPNUM=([CAP_DAC_READ_SEARCH]=2 [CAP_NET_ADMIN]=12 [CAP_NET_RAW]=13 [CAP_SYS_ADMIN]=21
	[CAP_SYS_RESOURCE]=24 [CAP_PERFMON]=38 [CAP_BPF]=39)
cap_mask() {
	local m=0 c
	for c in $1; do
		[[ -n ${CAPNUM[$c]:-} ]] || { echo "unknown-$c"; return; }
		m=$((m | (1 << CAPNUM[$c])))
	done
	printf '%016x' "$m"
}

ip netns add "$NETNS"
ip link add "$VETH" type veth peer name "$PEER" netns "$NETNS"
ip link set "$VETH" up
ip -n "$NETNS" link set "$PEER" up

# /run/vifscope as RuntimeDirectory= makes it: owned by the service's user and group, with its mode.
mkdir "/run/$RUNDIR"
MADE_RUNDIR=1
chown "$USER_:$GROUP_" "/run/$RUNDIR"
chmod "$RUNDIR_MODE" "/run/$RUNDIR"

# The environment systemd gives a service with User=: no inherited variables.
ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
	HOME="$home" USER="$USER_" LOGNAME="$USER_" SHELL="$shell")
read -r -a exec_words <<<"$EXEC"
if [[ $AS_ROOT == 1 ]]; then
	diag "VIFSCOPE_DEB_TEST_AS_ROOT=1: the agent runs as root, not as $USER_ with $AMBIENT"
	RUN=("${ENV[@]}")
else
	caps=$(setpriv_caps "$AMBIENT")
	RUN=(setpriv --reuid="$USER_" --regid="$GROUP_" --init-groups --inh-caps="$caps" --ambient-caps="$caps"
		--bounding-set="$(setpriv_caps "$BOUNDING")")
	[[ $NNP == yes ]] && RUN+=(--no-new-privs)
	RUN+=("${ENV[@]}")
fi
(cd / && exec "${RUN[@]}" "${exec_words[@]}" --only-included --include "$VETH") >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!

answered=0
for _ in $(seq 60); do
	kill -0 "$AGENT_PID" 2>/dev/null || break
	if [[ -S $SOCKET ]] && vifscope status --socket "$SOCKET" >"$WORK/status.txt" 2>&1; then answered=1; break; fi
	sleep 0.5
done
if ((answered)); then ok "the agent serves on $SOCKET"; else
	notok "the agent serves on $SOCKET; its log: $(tail -5 "$WORK/agent.log" | tr '\n' ' ')"
fi

if ((answered)); then
	check "vifscope status (as root) shows $VETH attached" grep -qw "$VETH" "$WORK/status.txt"
	eq "socket mode and group" "660 vifscope" "$(stat -c '%a %G' "$SOCKET")"
	eq "/run/vifscope mode and owner" "${RUNDIR_MODE#0} $USER_:$GROUP_" "$(stat -c '%a %U:%G' /run/vifscope)"
	if [[ $AS_ROOT != 1 ]]; then
		eq "the agent runs as" "$(id -u "$USER_")" "$(awk '/^Uid:/ {print $2}' "/proc/$AGENT_PID/status")"
		eq "its effective capabilities are the unit's" "$(cap_mask "$AMBIENT")" \
			"$(awk '/^CapEff:/ {print $2}' "/proc/$AGENT_PID/status")"
	fi
	# A member of group vifscope (not root) may use the CLI: the socket group is the point of the package's group.
	if su -s /bin/sh -c "vifscope status --socket $SOCKET" "$USER_" >/dev/null 2>&1; then
		ok "a member of group vifscope (user vifscope) can query the agent"
	else
		notok "a member of group vifscope (user vifscope) can query the agent"
	fi
fi

# The agent's tc hooks on the veth, independently of its own report: the kernel's fdinfo of its BPF link fds
# (tcx links name their ifindex; bpftool 7.1 cannot show tcx links). Clsact filters, on kernels before 6.6,
# are checked with tc after the stop.
links_on_veth() { # PID: the link ids
	local ifindex f
	ifindex=$(cat "/sys/class/net/$VETH/ifindex")
	for f in /proc/"$1"/fdinfo/*; do
		awk -v i="$ifindex" '/^link_type:/ {t = $2} /^link_id:/ {id = $2} /^ifindex:/ {x = $2}
			END {if (t == "tcx" && x == i) print id}' "$f" 2>/dev/null
	done
}
LINKS=""
if ((answered)); then
	LINKS=$(links_on_veth "$AGENT_PID" | tr '\n' ' ')
	diag "the agent's tcx links on $VETH: ${LINKS:-none}"
	# tc-mode auto: tcx links from Linux 6.6, clsact filters before.
	if awk -F. '{exit !($1 > 6 || ($1 == 6 && $2 >= 6))}' <<<"$(uname -r)"; then
		check "while it runs, tcx links of the agent hook $VETH (ingress and egress)" test "$(wc -w <<<"$LINKS")" -ge 2
	else
		check "while it runs, its clsact filter is on $VETH" test -n "$(tc filter show dev "$VETH" ingress)"
	fi
fi

# SIGTERM: the agent drains and detaches within 10 s, the JVM exits 143 (or 0).
if kill -0 "$AGENT_PID" 2>/dev/null; then
	start=$SECONDS
	kill -TERM "$AGENT_PID"
	for _ in $(seq 150); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$AGENT_PID" 2>/dev/null; then
		notok "the agent stops within 15 s of SIGTERM"
		stop_agent
	else
		wait "$AGENT_PID"
		status=$?
		AGENT_PID=""
		ok "the agent stops within 15 s of SIGTERM ($((SECONDS - start)) s)"
		check "its exit status is 143 or 0 (got $status)" test "$status" = 143 -o "$status" = 0
	fi
else
	wait "$AGENT_PID"
	notok "the agent was still running to be stopped (it exited $?)"
	AGENT_PID=""
fi

eq "no tc filter left on $VETH" "" "$(tc filter show dev "$VETH" ingress 2>&1; tc filter show dev "$VETH" egress 2>&1)"
left=""
for id in $LINKS; do bpftool link show id "$id" >/dev/null 2>&1 && left+="$id "; done
eq "none of its tcx links is left after the stop" "" "$left"

# What systemd does when the service stops: RuntimeDirectory= is removed.
rm -rf "/run/$RUNDIR"
MADE_RUNDIR=0

# ---- purge, and the machine as before -----------------------------------------------------------------

if dpkg --purge vifscope >"$WORK/purge.log" 2>&1; then ok "dpkg --purge removes the package"; else
	notok "dpkg --purge: $(tail -3 "$WORK/purge.log" | tr '\n' ' ')"
fi
ip link del "$VETH"
ip netns del "$NETNS"
AFTER=$(machine_state)
if [[ $BEFORE == "$AFTER" ]]; then ok "the machine is as before (package, user, group, files, unit state, links)"; else
	notok "the machine is as before: $(diff <(echo "$BEFORE") <(echo "$AFTER") | grep '^[<>]' | tr '\n' ' ')"
fi
INSTALLED=0
