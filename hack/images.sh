#!/usr/bin/env bash
# Builds the local images that runlet's tests and demo run, named in hack/images.env, on the
# daemon that hack/docker.sh makes available. No registry is involved: the busybox image is
# Debian's static busybox in an otherwise empty image, and the python and node images are a
# debootstrapped Debian bookworm with the language added, loaded with docker import. An image
# already present is kept, so a second run takes seconds. Progress goes to stderr, one line a
# step; the image names go to stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=images.env
source "$here/images.env"

suite=bookworm
path_env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { echo "images: $*" >&2; }
die() { log "$*"; exit 1; }

present() { docker image inspect "$1" >/dev/null 2>&1; }

# tag_version prints the version a name's tag states: 3.11 for runlet.local/python:3.11-bookworm.
tag_version() {
  local tag=${1##*:}
  echo "${tag%%-*}"
}

# need_builder checks what building needs, and only when something must be built: where the
# images are present, any user on any system can run this script.
need_builder() {
  [[ -r /etc/debian_version && $(id -u) -eq 0 ]] ||
    die "building $1 needs root on Debian (apt-get, debootstrap, chroot)"
}

installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

work=""
cleanup() {
  if [[ -n $work ]]; then
    rm -rf --one-file-system "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# quietly keeps a step's output in the work dir and shows its end only when the step fails.
quietly() {
  if ! "$@" >"$work/step.log" 2>&1; then
    tail -n 25 "$work/step.log" >&2
    die "failed: $*"
  fi
}

# import_root loads a root filesystem as an image. docker import keeps no config, so the
# environment a shell in the image expects is given here.
import_root() {
  local root=$1 name=$2 cmd=$3
  tar -C "$root" --numeric-owner -c . |
    docker import --change "ENV $path_env" --change 'ENV LANG=C.UTF-8' \
      --change 'WORKDIR /' --change "CMD $cmd" - "$name" >/dev/null
}

build_busybox() {
  local name=$RUNLET_IMAGE_BUSYBOX
  need_builder "$name"
  if ! installed busybox-static; then
    "$here/apt-install.sh" busybox-static
  fi

  local version
  version=$(dpkg-query -W -f='${Version}' busybox-static)
  version=${version#*:}
  [[ $version == "$(tag_version "$name")".* ]] ||
    die "Debian's busybox-static is $version but hack/images.env says $name: update the tag"
  log "building $name (Debian's busybox-static $version, from scratch)"

  local root=$work/busybox binary
  binary=$(dpkg-query -L busybox-static | awk '/\/s?bin\/busybox$/ && !found { print; found = 1 }')
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp}
  chmod 1777 "$root/tmp"
  cp "$binary" "$root/bin/busybox"

  # Each applet is a link to the one binary, at the path busybox itself gives for it, which
  # is what busybox --install would make inside the image.
  local applet
  while read -r applet; do
    [[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
  done < <("$root/bin/busybox" --list-full)

  # Numeric users work without these files, but names make id and ls output readable.
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"

  import_root "$root" "$name" '["sh"]'
}

# debian_uri prints the first URI of the host's Debian sources whose suites do or do not
# name -security, so that the image uses the mirror this machine already reaches.
debian_uri() {
  local want=$1 default=$2 uri=""
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk -v RS= -v want="$want" '
      { sec = ($0 ~ /Suites:[^\n]*-security/) }
      (want == "security") == sec && match($0, /URIs:[ \t]*[^ \t\n]+/) {
        split(substr($0, RSTART, RLENGTH), f, /[ \t]+/); print f[2]; exit
      }' /etc/apt/sources.list.d/debian.sources)
  elif [[ -r /etc/apt/sources.list ]]; then
    uri=$(awk -v want="$want" '
      $1 == "deb" && (want == "security") == ($0 ~ /-security/) {
        for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit }
      }' /etc/apt/sources.list)
  fi
  echo "${uri:-$default}"
}

# in_root runs a command in a chroot inside its own mount and PID namespaces: the /proc that
# package scripts need, and anything they start, go away with the command.
in_root() {
  local root=$1
  shift
  unshare --fork --pid --mount-proc="$root/proc" \
    chroot "$root" env -i "$path_env" LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# make_base debootstraps a minimal bookworm with apt pointed at the main, updates and
# security suites. Documentation and translations are removed and left out of packages
# installed later, as in Debian's slim images; copyright files stay.
make_base() {
  local root=$1 mirror security
  mirror=$(debian_uri main http://deb.debian.org/debian)
  security=$(debian_uri security http://deb.debian.org/debian-security)
  if ! installed debootstrap; then
    "$here/apt-install.sh" debootstrap
  fi

  log "debootstrapping Debian $suite (minbase) from $mirror, a few minutes the first time"
  quietly unshare --mount debootstrap --variant=minbase "$suite" "$root" "$mirror"

  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$root/etc/dpkg/dpkg.cfg.d/runlet-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "${root:?}"/usr/share/{man,info}/*

  log "updating $suite package lists and installed packages"
  quietly in_root "$root" apt-get update
  quietly in_root "$root" apt-get -y upgrade
}

# finish_root removes what an image should not carry: apt's caches and lists, logs, the
# host's resolver and hostname that debootstrap copied in, and device nodes (the runtime
# mounts its own /dev).
finish_root() {
  local root=$1
  quietly in_root "$root" apt-get clean
  rm -rf "${root:?}"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
    "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/var/log/apt/* \
    "$root"/var/log/{dpkg,alternatives,bootstrap}.log "$root"/etc/{resolv.conf,hostname}
  find "$root/dev" -mindepth 1 -delete
}

# build_language adds one Debian package to a copy of the base root and imports it, after
# checking that the version Debian installed is the one the image's tag states.
build_language() {
  local base=$1 name=$2 package=$3 cmd=$4
  local root=$work/${package}-root version
  log "building $name (Debian's $package on the $suite base)"
  cp -a "$base" "$root"
  quietly in_root "$root" apt-get install -y --no-install-recommends "$package"

  version=$(in_root "$root" dpkg-query -W -f="\${Version}" "$package")
  [[ $version == "$(tag_version "$name")".* ]] ||
    die "Debian's $package is $version but hack/images.env says $name: update the tag"

  finish_root "$root"
  import_root "$root" "$name" "$cmd"
  rm -rf --one-file-system "$root"
}

"$here/docker.sh"

missing=()
for name in "$RUNLET_IMAGE_BUSYBOX" "$RUNLET_IMAGE_PYTHON" "$RUNLET_IMAGE_NODE"; do
  present "$name" || missing+=("$name")
done

if ((${#missing[@]} > 0)); then
  need_builder "${missing[0]}"

  # One build at a time on a machine: a run that waited here finds the images made.
  exec 9>/var/tmp/runlet-images.lock
  flock 9
  work=$(mktemp -d /var/tmp/runlet-images.XXXXXX)

  # busybox first: it takes seconds, and tests that need only a shell can start on it.
  if ! present "$RUNLET_IMAGE_BUSYBOX"; then
    build_busybox
  fi

  debian=()
  for name in "$RUNLET_IMAGE_PYTHON" "$RUNLET_IMAGE_NODE"; do
    present "$name" || debian+=("$name")
  done
  if ((${#debian[@]} > 0)); then
    make_base "$work/base"
    for name in "${debian[@]}"; do
      case $name in
        "$RUNLET_IMAGE_PYTHON") build_language "$work/base" "$name" python3 '["python3"]' ;;
        "$RUNLET_IMAGE_NODE") build_language "$work/base" "$name" nodejs '["node"]' ;;
      esac
    done
  fi
fi

log "ready:"
for name in "$RUNLET_IMAGE_BUSYBOX" "$RUNLET_IMAGE_PYTHON" "$RUNLET_IMAGE_NODE"; do
  echo "$name"
done
