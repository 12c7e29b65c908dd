#!/usr/bin/env bash
# lab/test/lab-test.sh - checks the vifscope lab end to end (run as root).
#
# Prints one line per check ("ok - ..." / "not ok - ..."), then "N passed, N failed".
# Exits non-zero on any failure. The lab is always taken down at the end (trap).
# Interface counters are compared EXACTLY with the generator's ground truth: the lab is
# silent by construction (no IPv6 on dom0 links, no DAD/RS, ICMP errors off in the
# namespaces, permanent neighbours, static FDB), so no noise tolerance is needed.
set -uo pipefail

LAB_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
DOM0=$LAB_DIR/dom0
RUN_DIR=${VIFSCOPE_LAB_RUN:-/run/vifscope-lab}
# shellcheck source-path=SCRIPTDIR source=../topology.conf
. "$LAB_DIR/topology.conf"

TRACE_INST=/sys/kernel/tracing/instances/vifscope-lab-test
FOREIGN=""

# shellcheck source-path=SCRIPTDIR source=checks.sh
. "$LAB_DIR/test/checks.sh"
quiet() { "$@" >/dev/null 2>&1; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ $EUID -eq 0 ]]; then
		if [[ -d $TRACE_INST ]]; then
			echo 0 >"$TRACE_INST/events/napi/napi_poll/enable" 2>/dev/null
			rmdir "$TRACE_INST" 2>/dev/null
		fi
		[[ -n $FOREIGN ]] && ip link del "$FOREIGN" 2>/dev/null
		"$DOM0" down >/dev/null 2>&1 || echo "# WARNING: lab/dom0 down failed"
	fi
	finish "$rc"
}
trap cleanup EXIT
trap 'echo "# interrupted"; exit 130' INT TERM

[[ $EUID -eq 0 ]] || { notok "must run as root"; exit 1; }

# J EXPR JSON: evaluates a Python expression over the parsed JSON `d` (python3 only, no jq
# needed); lists/dicts/bools/None print as compact JSON.
J() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(json.dumps(v, separators=(",", ":")) if v is None or isinstance(v, (list, dict, bool)) else v)' "$1" "$2"
}

# ---- counters ----------------------------------------------------------------------------

declare -A C0 C1
root_ifs() { echo "$LAB_PHYS"; guest_vifs; }
guest_vifs() { awk 'NF {print $4}' <<<"$LAB_GUESTS"; }
vif_of() { awk -v n="$1" '$1 == n {print $4}' <<<"$LAB_GUESTS"; }
mac_of() { awk -v n="$1" '$1 == n {print $5}' <<<"$LAB_GUESTS"; }

# shellcheck disable=SC2034 # snap is a nameref to the caller's array
snapshot() { # ARRAY-NAME
	local -n snap=$1
	local i f ns
	snap=()
	for i in $(root_ifs); do
		for f in rx_packets tx_packets rx_bytes tx_bytes tx_dropped; do
			snap[$i.$f]=$(<"/sys/class/net/$i/statistics/$f")
		done
	done
	for ns in "$LAB_UP_NS" $(awk 'NF {print "vsl-g-" $1}' <<<"$LAB_GUESTS"); do
		# one `ip` call per namespace end, no namespace switch of our own
		read -r "snap[$ns.rx_packets]" "snap[$ns.tx_packets]" < <(ip -n "$ns" -s link show dev eth0 |
			awk '/RX:/ {getline; r = $2} /TX:/ {getline; t = $2} END {print r, t}')
	done
}
delta() { echo $((C1[$1] - C0[$1])); }

# ---- setup -------------------------------------------------------------------------------

missing=""
for c in ip:iproute2 bridge:iproute2 ethtool:ethtool flock:util-linux mountpoint:util-linux \
	virsh:libvirt-clients python3:python3 gcc:gcc; do
	command -v "${c%%:*}" >/dev/null || missing+=" ${c%%:*} (Debian package ${c#*:})"
done
if [[ -n $missing ]]; then
	notok "required commands missing:$missing"
	exit 1
fi
VIFGEN=$LAB_DIR/bin/vifgen
if [[ ! -x $VIFGEN ]]; then
	diag "building $VIFGEN"
	mkdir -p "$LAB_DIR/bin"
	if ! gcc -O2 -Wall -Werror -o "$VIFGEN" "$LAB_DIR/src/vifgen.c"; then
		notok "build vifgen"
		exit 1
	fi
fi

"$DOM0" down >/dev/null 2>&1
T0=$(date +%s.%N)
check "up from scratch succeeds" quiet "$DOM0" up
diag "up took $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}') s"
check "status reports a healthy lab" quiet "$DOM0" status
out=$("$DOM0" up 2>&1)
check "second up is a no-op ($out)" grep -q "nothing to do" <<<"$out"

# root-namespace rules
bad=""
for i in "$LAB_BRIDGE" $(root_ifs); do
	[[ $(cat "/sys/class/net/$i/ifalias") == "$LAB_ALIAS" ]] || bad+=" $i:alias"
	[[ $(cat "/proc/sys/net/ipv6/conf/$i/disable_ipv6") == 1 ]] || bad+=" $i:ipv6"
	[[ -z $(ip -o addr show dev "$i") ]] || bad+=" $i:address"
done
eq "root-namespace lab links: alias set, IPv6 off, no addresses" "" "$bad"
brd=$(ip -d link show dev "$LAB_BRIDGE")
br=$(for k in stp_state forward_delay mcast_snooping; do grep -o " $k [0-9]*" <<<"$brd" | awk '{print $2}'; done | paste -sd' ')
eq "bridge: STP off, forward delay 0, multicast snooping off" "0 0 0" "$br"
fdb=$(bridge fdb show br "$LAB_BRIDGE" | grep -c ' master '"$LAB_BRIDGE"' static')
eq "static FDB entries for every guest MAC and the upstream MAC" "$(($(guest_vifs | wc -l) + 1))" "$fdb"
off=$(ethtool -k "$(vif_of syslog01)" | awk '/^generic-receive-offload:/ {print $2}')/$(ip netns exec vsl-g-syslog01 ethtool -k eth0 | awk '/^tcp-segmentation-offload:/ {print $2}')
eq "offloads: GRO on the vif, TSO off on the guest end" "on/off" "$off"

names=$("$DOM0" names)
check "names lists the custom vif with its domain" grep -qx "000a17-I guest 74 syslog01 00:16:3e:4a:00:00" <<<"$names"
check "names lists the bridge and the physical NIC" grep -qx "vslbr0 bridge - - -" <<<"$names"

# the lab is silent: nothing moves while nobody sends
snapshot C0
sleep 0.5
snapshot C1
moved=""
for k in "${!C0[@]}"; do [[ ${C0[$k]} == "${C1[$k]}" ]] || moved+=" $k"; done
eq "lab is silent when idle (no ND/MLD/ARP noise)" "" "$moved"

# ---- floods vs. interface counters -------------------------------------------------------

# flood_down KIND GUEST VLAN_TAGS [ARGS...]: upstream -> guest through the bridge
flood_down() {
	local kind=$1 guest=$2 tags=$3 vif json p b i other="" e
	shift 3
	vif=$(vif_of "$guest")
	snapshot C0
	json=$("$DOM0" flood "$kind" --json "$@") || { notok "flood $kind $*: generator failed: $json"; return; }
	snapshot C1
	p=$(J 'd["packets"]' "$json")
	b=$(J 'd["bytes"]' "$json")
	e=$(J 'd["errors_total"]' "$json")
	diag "flood $kind $*: $p frames, $b bytes, $(J 'd["rate_pps"]' "$json") pps, $e send errors"
	check "flood $kind: generator sent frames" test "$p" -gt 0
	eq "flood $kind: path in ground truth" "[\"$LAB_PHYS\",\"$vif\"]" "$(J 'd["path"]' "$json")"
	eq "flood $kind: tx on $LAB_UP_NS/eth0 = generator packets" "$p" "$(delta "$LAB_UP_NS.tx_packets")"
	eq "flood $kind: rx on $LAB_PHYS = generator packets" "$p" "$(delta "$LAB_PHYS.rx_packets")"
	eq "flood $kind: tx on $vif = generator packets" "$p" "$(delta "$vif.tx_packets")"
	eq "flood $kind: rx on vsl-g-$guest/eth0 = generator packets" "$p" "$(delta "vsl-g-$guest.rx_packets")"
	# veth byte counters: the NAPI receive path counts the frame after the 14-byte Ethernet
	# header was pulled; the bridge's transmit counts the whole frame less the VLAN tag that
	# the receive path moved into skb metadata (one tag; QinQ keeps the inner tag inline).
	eq "flood $kind: rx_bytes on $LAB_PHYS = bytes - 14/frame" "$((b - 14 * p))" "$(delta "$LAB_PHYS.rx_bytes")"
	eq "flood $kind: tx_bytes on $vif = bytes - 4/frame per offloaded tag" "$((b - (tags > 0 ? 4 : 0) * p))" "$(delta "$vif.tx_bytes")"
	for i in $(guest_vifs); do
		[[ $i == "$vif" ]] && continue
		[[ $(delta "$i.tx_packets") == 0 ]] || other+=" $i:$(delta "$i.tx_packets")"
	done
	eq "flood $kind: no frame flooded to other vifs" "" "$other"
	FLOOD_JSON=$json
}

flood_down incident syslog01 0 --count 200000
j=$FLOOD_JSON
ssum=$(J 'sum(v["packets"] for v in d["sources"].values())' "$j")
eq "incident: per-source packets add up to the total" "$(J 'd["packets"]' "$j")" "$ssum"
eq "incident: three syslog senders" "198.18.0.201 198.18.0.202 198.18.0.203" "$(J '" ".join(sorted(d["sources"]))' "$j")"
sz=$(J '"%d-%d %d %s %d" % (d["streams"][0]["size"][0], d["streams"][0]["size"][1], d["streams"][0]["dport"], d["streams"][0]["dst_mac"], d["streams"][0]["frame_overhead"])' "$j")
eq "incident: syslog sizes, port 514, guest MAC, UDP/IPv4 overhead" "190-370 514 $(mac_of syslog01) 42" "$sz"
bmin=$(( (42 + 190) * $(J 'd["packets"]' "$j") )) bmax=$(( (42 + 370) * $(J 'd["packets"]' "$j") ))
check "incident: bytes within the 190-370 payload range" test "$(J 'd["bytes"]' "$j")" -ge "$bmin" -a "$(J 'd["bytes"]' "$j")" -le "$bmax"
INCIDENT_RATE=$(J 'd["rate_pps"]' "$j")

flood_down incident web01 0 --count 20000 --to web01
flood_down spoof syslog01 0 --ipv4 --sources 500 --heavy 0 --count 3000 --dport 20001
eq "spoof --dport: frames to the port given" "20001" "$(J 'd["streams"][0]["dport"]' "$FLOOD_JSON")"
check "flood --dport 0 is refused" bash -c '! "$0" flood incident --dport 0 --count 1 2>/dev/null' "$DOM0"
flood_down ipv6 syslog01 0 --count 100000
eq "ipv6: IPv6 sources" "2001:db8::11 2001:db8::12 2001:db8::13" "$(J '" ".join(sorted(d["sources"]))' "$FLOOD_JSON")"
flood_down vlan syslog01 1 --count 100000
eq "vlan: 802.1Q tag 503" "[503]" "$(J 'd["streams"][0]["vlan"]' "$FLOOD_JSON")"
flood_down vlan syslog01 1 --count 100000 --qinq
eq "vlan --qinq: 802.1ad outer + 802.1Q inner" "[1000,503]" "$(J 'd["streams"][0]["vlan"]' "$FLOOD_JSON")"
flood_down spoof syslog01 0 --count 300000 --sources 1000000 --heavy 3
j=$FLOOD_JSON
rp=$(J 'd["random_sources"]["packets"]' "$j")
eq "spoof: every random frame has a distinct source (fewer frames than sources)" "$rp" "$(J 'd["random_sources"]["distinct"]' "$j")"
eq "spoof: heavy + random packets = total" "$(J 'd["packets"]' "$j")" "$(($(J 'sum(v["packets"] for v in d["sources"].values())' "$j") + rp))"
eq "spoof: heavy share 0.5 exact" "$(($(J 'd["packets"]' "$j") / 2))" "$rp"
eq "spoof: 3 heavy sources" 3 "$(J 'len(d["sources"])' "$j")"
flood_down spoof syslog01 0 --count 150000 --ipv4 --sources 50000 --heavy 0
j=$FLOOD_JSON
eq "spoof --ipv4: sources wrap after N: distinct = N" 50000 "$(J 'd["random_sources"]["distinct"]' "$j")"
eq "spoof --ipv4 --heavy 0: all frames random" "$(J 'd["packets"]' "$j")" "$(J 'd["random_sources"]["packets"]' "$j")"

# guest -> upstream
snapshot C0
j=$("$DOM0" flood guest-out --json --count 100000)
snapshot C1
p=$(J 'd["packets"]' "$j") b=$(J 'd["bytes"]' "$j")
diag "flood guest-out: $p frames, $(J 'd["rate_pps"]' "$j") pps"
eq "guest-out: tx on vsl-g-syslog01/eth0 = generator packets" "$p" "$(delta vsl-g-syslog01.tx_packets)"
eq "guest-out: rx on 000a17-I = generator packets" "$p" "$(delta 000a17-I.rx_packets)"
eq "guest-out: tx on $LAB_PHYS = generator packets" "$p" "$(delta "$LAB_PHYS.tx_packets")"
eq "guest-out: rx on $LAB_UP_NS/eth0 = generator packets" "$p" "$(delta "$LAB_UP_NS.rx_packets")"
eq "guest-out: tx_bytes on $LAB_PHYS = bytes" "$b" "$(delta "$LAB_PHYS.tx_bytes")"
eq "guest-out: path" '["000a17-I","vsleth0"]' "$(J 'd["path"]' "$j")"

# background: several streams, both directions, rate-limited
snapshot C0
j=$("$DOM0" flood background --json --seconds 1)
snapshot C1
diag "flood background: $(J 'd["packets"]' "$j") frames in $(J 'd["duration_s"]' "$j") s"
check "background: rate-limited to about 3000 pps" awk -v r="$(J 'd["rate_pps"]' "$j")" 'BEGIN {exit !(r > 500 && r < 3300)}'
bad=""
down_sum=0 up_sum=0
while read -r to from sp; do
	if [[ $to != - ]]; then
		v=$(vif_of "$to")
		[[ $(delta "$v.tx_packets") == "$sp" ]] || bad+=" $v.tx:$(delta "$v.tx_packets")!=$sp"
		down_sum=$((down_sum + sp))
	else
		v=$(vif_of "$from")
		[[ $(delta "$v.rx_packets") == "$sp" ]] || bad+=" $v.rx:$(delta "$v.rx_packets")!=$sp"
		up_sum=$((up_sum + sp))
	fi
done < <(J '"\n".join("%s %s %d" % (s.get("to", "-"), s.get("from", "-"), s["packets"]) for s in d["streams"])' "$j")
eq "background: every stream's packets on its vif, both directions" "" "$bad"
eq "background: rx on $LAB_PHYS = downstream packets" "$down_sum" "$(delta "$LAB_PHYS.rx_packets")"
eq "background: tx on $LAB_PHYS = upstream packets" "$up_sum" "$(delta "$LAB_PHYS.tx_packets")"
eq "background: the incident vif untouched" "0 0" "$(delta 000a17-I.rx_packets) $(delta 000a17-I.tx_packets)"

# ---- NAPI polls under the vif's name -----------------------------------------------------

if ! mountpoint -q /sys/kernel/tracing; then
	diag "tracefs was not mounted: mounting it at /sys/kernel/tracing"
	mount -t tracefs nodev /sys/kernel/tracing
fi
# A private trace instance: the global buffer and other users' events stay untouched.
rmdir "$TRACE_INST" 2>/dev/null
if mkdir "$TRACE_INST" 2>/dev/null; then
	ev=$TRACE_INST/events/napi/napi_poll
	echo 'dev_name == "000a17-I" || dev_name == "vsleth0"' >"$ev/filter"
	echo 1 >"$ev/enable"
	"$DOM0" flood guest-out --json --count 20000 >/dev/null
	echo 0 >"$ev/enable"
	t=$(cat "$TRACE_INST/trace")
	n_vif=$(grep -c 'for device 000a17-I ' <<<"$t")
	n_phys=$(grep -c 'for device vsleth0 ' <<<"$t")
	check "napi_poll under 000a17-I for guest->outward traffic ($n_vif polls)" test "$n_vif" -gt 0
	eq "napi_poll: none under vsleth0 for guest->outward traffic" 0 "$n_phys"
	echo >"$TRACE_INST/trace"
	echo 1 >"$ev/enable"
	"$DOM0" flood incident --json --count 20000 >/dev/null
	echo 0 >"$ev/enable"
	t=$(cat "$TRACE_INST/trace")
	n_vif=$(grep -c 'for device 000a17-I ' <<<"$t")
	n_phys=$(grep -c 'for device vsleth0 ' <<<"$t")
	check "napi_poll under vsleth0 for upstream->guest traffic ($n_phys polls)" test "$n_phys" -gt 0
	eq "napi_poll: none under 000a17-I for upstream->guest traffic" 0 "$n_vif"
	# restore: event off, filter cleared, buffer cleared, instance removed
	echo 0 >"$ev/filter"
	echo >"$TRACE_INST/trace"
	rmdir "$TRACE_INST"
	check "trace instance removed" test ! -d "$TRACE_INST"
else
	notok "cannot create a trace instance under /sys/kernel/tracing/instances"
fi

# ---- fixtures: xenstore, xl, libvirt test driver -----------------------------------------

eval "$("$DOM0" env)"
eq "env puts the fixture xl first on PATH" "$LAB_DIR/fixtures/bin/xl" "$(command -v xl)"
xs=$(xenstore-ls -f)
check "xenstore-ls -f: backend vifname of domain 74" grep -qxF '/local/domain/0/backend/vif/74/0/vifname = "000a17-I"' <<<"$xs"
no_vifname() { ! grep -q "^/local/domain/0/backend/vif/12/0/vifname" <<<"$xs"; }
check "xenstore-ls -f: backend vif of domain 12 has no vifname (default vif12.0)" no_vifname
check "xenstore-ls -f: frontend points at the backend" grep -qxF '/local/domain/74/device/vif/0/backend = "/local/domain/0/backend/vif/74/0"' <<<"$xs"
uuid=$(awk '$1 == "syslog01" {print $9}' <<<"$LAB_GUESTS")
check "xenstore-ls -f: /vm/<uuid>/name" grep -qxF "/vm/$uuid/name = \"syslog01\"" <<<"$xs"
eq "xenstore-read name, vm, vifname" "syslog01 /vm/$uuid 000a17-I" \
	"$(xenstore-read /local/domain/74/name /local/domain/74/vm /local/domain/0/backend/vif/74/0/vifname | paste -sd' ')"
err=$(xenstore-read /local/domain/74/nosuch 2>&1 >/dev/null)
rc=$?
eq "xenstore-read of a missing path: exit 1 and the real message" "1 xenstore-read: couldn't read path /local/domain/74/nosuch" "$rc $err"
err=$(xenstore-ls /nope 2>&1)
rc=$?
eq "xenstore-ls of a missing path: exit 1 and err()'s message" "1 xenstore-ls: xs_directory (/nope): No such file or directory" "$rc $err"
xl_l=$(xl list -l)
eq "xl list -l: domain ids" "0 12 13 74" "$(J '" ".join(str(x["domid"]) for x in d)' "$xl_l")"
eq "xl list -l: syslog01's nic ifname" "000a17-I" "$(J '[x for x in d if x["domid"] == 74][0]["config"]["nics"][0]["ifname"]' "$xl_l")"
eq "xl list -l: Domain-0" "Domain-0" "$(J '[x for x in d if x["domid"] == 0][0]["config"]["c_info"]["name"]' "$xl_l")"
check "xl list: syslog01 with id 74" grep -qE '^syslog01 +74 +2048 +2 ' <<<"$(xl list)"
lv=$(virsh -c "$VIFSCOPE_LAB_LIBVIRT_URI" list --all 2>&1)
check "virsh test driver lists 4 domains" test "$(grep -cE ' (syslog01|web01|db01|kvm01) +running' <<<"$lv")" -eq 4
check "virsh domiflist syslog01 shows 000a17-I" grep -qE '^ *000a17-I +bridge +vslbr0 ' <<<"$(virsh -c "$VIFSCOPE_LAB_LIBVIRT_URI" domiflist syslog01)"
check "virsh domiflist kvm01 shows vnet9" grep -qE '^ *vnet9 +ethernet .*52:54:00:00:00:09' <<<"$(virsh -c "$VIFSCOPE_LAB_LIBVIRT_URI" domiflist kvm01)"

# ---- crash recovery ----------------------------------------------------------------------

# a flood killed with SIGKILL leaves nothing running
"$DOM0" flood incident --json --seconds 30 >/dev/null &
fpid=$!
sleep 0.5
kill -KILL "$fpid"
wait "$fpid" 2>/dev/null
sleep 0.1
gone() { ! kill -0 "$1" 2>/dev/null; }
check "SIGKILL of a flood stops the sender itself" gone "$fpid"
snapshot C0
sleep 0.2
snapshot C1
eq "no traffic after the killed flood" 0 "$(delta "$LAB_PHYS.rx_packets")"

# `up` killed at several points, then completed by the next `up`
for d in 0.05 0.15 0.3; do
	"$DOM0" down >/dev/null 2>&1
	"$DOM0" up >/dev/null 2>&1 &
	upid=$!
	sleep "$d"
	kill -KILL "$upid" 2>/dev/null
	wait "$upid" 2>/dev/null
	check "up after an up killed at ${d}s completes" quiet "$DOM0" up
	check "status healthy after recovery (kill at ${d}s)" quiet "$DOM0" status
done
snapshot C0
j=$("$DOM0" flood incident --json --count 50000)
snapshot C1
eq "traffic flows after recovery: tx on 000a17-I = generator packets" "$(J 'd["packets"]' "$j")" "$(delta 000a17-I.tx_packets)"

# a lab missing a piece: status says so (non-zero), up repairs it
ip link del vif13.0
out=$("$DOM0" status 2>&1)
rc=$?
check "status exits non-zero when a vif is missing (rc=$rc)" test "$rc" -ne 0
check "  ... and names the missing link" grep -q "link vif13.0 missing" <<<"$out"
check "up repairs the incomplete lab" quiet "$DOM0" up
check "status healthy after the repair" quiet "$DOM0" status
eq "exec runs a command in a guest namespace" "198.18.0.13/24" \
	"$("$DOM0" exec db01 ip -o -4 addr show dev eth0 | awk '{print $4}')"

# ---- ownership ---------------------------------------------------------------------------

"$DOM0" down >/dev/null
FOREIGN=vif13.0
ip link add "$FOREIGN" type veth peer name vsltest-peer
out=$("$DOM0" up 2>&1)
rc=$?
check "up refuses when vif13.0 exists and is not the lab's (rc=$rc)" test "$rc" -ne 0
check "  ... with a clear message" grep -q "vif13.0 exists and is not the lab's" <<<"$out"
"$DOM0" down >/dev/null 2>&1
check "down leaves the foreign vif13.0 alone" test -e /sys/class/net/vif13.0
ip link del "$FOREIGN"
FOREIGN=""

# ---- down --------------------------------------------------------------------------------

"$DOM0" up >/dev/null 2>&1
check "down succeeds" quiet "$DOM0" down
check "down again is fine (idempotent)" quiet "$DOM0" down
eq "no vsl-* namespace left" "" "$(ip netns list | awk '$1 ~ /^vsl-/ {printf "%s ", $1}')"
left=""
for d in /sys/class/net/*; do
	n=${d##*/}
	[[ $(cat "$d/ifalias" 2>/dev/null) == "$LAB_ALIAS" ]] && left+=" $n"
	[[ $n == "$LAB_BRIDGE" || $n == "$LAB_PHYS" || $n == vslp-* ]] && left+=" $n"
	grep -qxF "$n" <<<"$(guest_vifs)" && left+=" $n"
done
eq "no lab link left (alias or name)" "" "$left"
eq "no qdisc on a lab name left" "" "$(tc qdisc show | grep -E "dev ($LAB_BRIDGE|$LAB_PHYS|$(guest_vifs | sed 's/\./\\./g' | paste -sd'|')|vslp-[^ ]*) " || true)"
check "state directory removed" test ! -e "$RUN_DIR"

diag "incident flood rate: $INCIDENT_RATE pps"
# cleanup (EXIT trap) prints the summary and sets the exit status
