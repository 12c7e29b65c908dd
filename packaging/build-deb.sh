#!/usr/bin/env bash
# packaging/build-deb.sh - builds packaging/target/vifscope_<version>_all.deb from the build's outputs
# (`make deb` runs `make build` first). Plain dpkg-deb: no root, no debhelper, nothing on the system touched;
# --root-owner-group makes every file root's in the archive.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg=$repo/packaging
out=$pkg/target
jar=$repo/control/target/vifscope.jar

for f in "$jar" "$repo/control/target/vifscope.1" "$repo/control/target/vifscope_completion.bash"; do
  [ -f "$f" ] || { echo "build-deb: $f is missing; run make build first" >&2; exit 1; }
done

# The version the jar reports (the Maven project version), made a Debian version: '-' would split off a
# Debian revision and '~' sorts before the release, so 0.1.0-SNAPSHOT becomes 0.1.0~SNAPSHOT, older than 0.1.0.
maven_version=$(java -jar "$jar" --version | sed -n 's/^vifscope //p')
[ -n "$maven_version" ] || { echo "build-deb: cannot read the version from $jar" >&2; exit 1; }
version=$(printf '%s' "$maven_version" | tr '-' '~' | tr -c 'A-Za-z0-9.+~\n' '.')

# The unit must be clean before it is shipped.
"$pkg/verify-unit.sh" >/dev/null

root=$out/root
rm -rf "$root"
mkdir -p "$out"
# Files are 0644 and directories 0755 whatever the umask of whoever builds.
umask 022

install -D -m 0755 "$repo/vifscope" "$root/usr/bin/vifscope"
install -D -m 0644 "$jar" "$root/usr/share/vifscope/vifscope.jar"
install -D -m 0644 "$pkg/vifscope-agent.service" "$root/lib/systemd/system/vifscope-agent.service"
install -D -m 0644 "$pkg/agent.conf" "$root/etc/vifscope/agent.conf"
install -D -m 0644 "$repo/control/target/vifscope_completion.bash" \
  "$root/usr/share/bash-completion/completions/vifscope"
install -D -m 0644 "$repo/control/target/vifscope.1" "$root/usr/share/man/man1/vifscope.1"
gzip -9n "$root/usr/share/man/man1/vifscope.1"
install -D -m 0644 "$pkg/copyright" "$root/usr/share/doc/vifscope/copyright"
install -D -m 0644 "$pkg/agent.conf" "$root/usr/share/doc/vifscope/examples/agent.conf"
install -D -m 0644 "$repo/README.md" "$root/usr/share/doc/vifscope/README.md"

# changelog.Debian: one entry for this build; its date is the last commit's, so that the same tree gives
# the same package.
when=$(git -C "$repo" log -1 --format=%cD 2>/dev/null || date -R)
commit=$(git -C "$repo" log -1 --format=%h 2>/dev/null || echo unknown)
{
  echo "vifscope ($version) unstable; urgency=medium"
  echo
  echo "  * Built from the vifscope source tree at commit $commit."
  echo
  echo " -- vifscope maintainers <dev@vifscope.invalid>  $when"
} | gzip -9n >"$root/usr/share/doc/vifscope/changelog.Debian.gz"
chmod 0644 "$root/usr/share/doc/vifscope/changelog.Debian.gz"

mkdir -p "$root/DEBIAN"
installed_kib=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_kib/" "$pkg/debian/control" >"$root/DEBIAN/control"
install -m 0644 "$pkg/debian/conffiles" "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 0755 "$pkg/debian/$script" "$root/DEBIAN/$script"
done

deb=$out/vifscope_${version}_all.deb
rm -f "$out"/vifscope_*_all.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
