# shellcheck shell=bash
# lab/test/checks.sh - the check helpers every test script shares (sourced): one "ok - ..." or "not ok - ..."
# line per check, counted in PASS and FAIL, which the script prints as "N passed, N failed" at its end.
PASS=0 FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
notok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
check() { # DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
eq() { # DESCRIPTION EXPECTED ACTUAL
	if [[ $2 == "$3" ]]; then ok "$1 ($3)"; else notok "$1 (expected $2, got $3)"; fi
}
diag() { echo "# $*"; }

# The summary, always the last line (also after a failure or an interrupt), then the exit: the script's own
# non-zero status when it has one, else 1 when a check failed.
finish() { # RC
	echo "$PASS passed, $FAIL failed"
	if (($1 != 0)); then exit "$1"; fi
	((FAIL == 0)) || exit 1
	exit 0
}
