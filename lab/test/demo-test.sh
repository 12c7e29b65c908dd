#!/usr/bin/env bash
# lab/test/demo-test.sh - `vifscope demo` from a fresh state: it must succeed, name the flooded guest, finish
# within its budget, and leave the machine as it found it (namespaces, links, BPF programs, tc hooks, processes,
# run files). Run as root; the demo itself is what `sudo make demo` runs.
set -uo pipefail

REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
BUDGET=${DEMO_BUDGET_SECONDS:-180}
# shellcheck source-path=SCRIPTDIR source=checks.sh
. "$REPO/lab/test/checks.sh"
has() { # DESCRIPTION NEEDLE (in $out)
	if grep -qF -- "$2" <<<"$out"; then ok "$1"; else notok "$1 (no '$2' in the output)"; fi
}

[[ $EUID -eq 0 ]] || { echo "demo-test: run as root" >&2; exit 1; }

# What the demo could leave behind, in a comparable form. Programs are counted by our names only: other
# programs on a shared machine come and go.
state() {
	echo "## netns"; ip netns list 2>/dev/null | awk '{print $1}' | sort
	echo "## links"; ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
	echo "## our bpf programs"
	bpftool prog show 2>/dev/null | grep -oE 'name (tc_ingress|tc_egress|softirq_entry|softirq_exit|softirq_entry_raw|softirq_exit_raw|napi_poll|napi_poll_raw)\b' | sort | uniq -c
	echo "## tcx and clsact"; for d in /sys/class/net/*; do n=${d##*/}; tc filter show dev "$n" ingress 2>/dev/null; tc filter show dev "$n" egress 2>/dev/null; done | grep -c 'tc_\(ingress\|egress\)'
	echo "## processes"; pgrep -f 'vifgen|vifscope.jar agent' | wc -l
	echo "## run files"; ls -d /run/vifscope-demo /run/vifscope-lab 2>/dev/null
}

# Compares the state with the one before the demo; DESCRIPTION names the check.
# The kernel frees a program after its last fd closes through deferred work, so one may still be listed for
# a moment after the process exited: the comparison is retried for up to 5 s.
unchanged() {
	local after tries=0
	after=$(state)
	while [[ $before != "$after" && $tries -lt 50 ]]; do
		sleep 0.1
		tries=$((tries + 1))
		after=$(state)
	done
	if [[ $before == "$after" ]]; then
		ok "$1"
	else
		notok "$1:"
		diff <(echo "$before") <(echo "$after") | sed 's/^/#   /'
		"$REPO/lab/dom0" down >/dev/null 2>&1
	fi
}

# A fresh state: no lab from an earlier run.
"$REPO/lab/dom0" down >/dev/null 2>&1
before=$(state)

start=$(date +%s)
out=$(cd "$REPO" && timeout --signal=INT --kill-after=30 "$BUDGET" ./vifscope demo 2>&1)
rc=$?
took=$(($(date +%s) - start))
echo "$out" | sed 's/^/# /'

if [[ $rc -eq 0 ]]; then ok "vifscope demo exits 0"; else notok "vifscope demo exits 0 (exit $rc)"; fi
if ((took <= BUDGET)); then ok "the demo took ${took}s (budget ${BUDGET}s)"; else notok "the demo took ${took}s"; fi
has "step 4 reached" "==> [4/4] What vifscope says"
has "the diagnosis names the vif and the domain" "vif 000a17-I (domain syslog01, id 74)"
has "the diagnosis names the syslog flood" "UDP/514 syslog"
has "diagnose exits 1 on the finding" "(exit code 1: a finding crossed its threshold)"
has "a top snapshot by source" "\$ vifscope top --once --group source"
has "a top snapshot by domain" "\$ vifscope top --once --group domain"
if grep -qE '^syslog01 +74 +to guest' <<<"$out"; then ok "top by domain ranks syslog01 first"; else notok "top by domain ranks syslog01 first"; fi

unchanged "nothing left behind"

# Ctrl-C in the middle: the lab and the agent go away too.
(cd "$REPO" && exec ./vifscope demo --seconds 30 >/tmp/vifscope-demo-int.$$ 2>&1) &
pid=$!
for _ in $(seq 1 60); do
	grep -q '==> \[3/4\]' /tmp/vifscope-demo-int.$$ 2>/dev/null && break
	sleep 1
done
kill -INT "$pid" 2>/dev/null
# The launcher execs java, so $pid is the JVM; its shutdown hook tears down.
for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
if kill -0 "$pid" 2>/dev/null; then notok "the demo stops on SIGINT"; kill -KILL "$pid"; else ok "the demo stops on SIGINT"; fi
wait "$pid" 2>/dev/null
grep -q '==> \[3/4\]' /tmp/vifscope-demo-int.$$ && ok "interrupted during the flood" || notok "interrupted during the flood (it never got there)"
rm -f /tmp/vifscope-demo-int.$$
unchanged "nothing left behind after Ctrl-C"

echo "$PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
