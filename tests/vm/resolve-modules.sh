#!/usr/bin/env bash
# Resolves the module names in a list file (one a line, '#' comments) against a kernel tree's
# modules.dep and prints the module files to load, dependencies first, each once.
# Soft dependencies ("softdep=pre: ..." in a module, e.g. libcrc32c needs a crc32c
# implementation) come first too, through modules.alias. Built-in modules print nothing; a
# name the kernel has in neither form fails, naming it.
# Usage: resolve-modules.sh MODULES_DIR LIST_FILE   (MODULES_DIR = <tree>/lib/modules/<release>)
set -euo pipefail

dir=${1:?usage: resolve-modules.sh MODULES_DIR LIST_FILE}
list=${2:?usage: resolve-modules.sh MODULES_DIR LIST_FILE}

declare -A pathOf depsOf builtin aliasOf done
norm() { local n=${1##*/}; n=${n%%.ko*}; echo "${n//-/_}"; }

while IFS=: read -r path deps; do
  name=$(norm "$path")
  pathOf[$name]=$path
  depsOf[$name]=$deps
done <"$dir/modules.dep"
while read -r path; do builtin[$(norm "$path")]=1; done <"$dir/modules.builtin"
# An alias with several providers (crc32c: crc32c_intel, crc32c_generic) resolves to the
# portable *_generic one, which loads on any CPU qemu emulates.
while read -r _ alias name; do
  name=$(norm "$name")
  if [ -z "${aliasOf[$alias]:-}" ] || [[ $name == *_generic ]]; then aliasOf[$alias]=$name; fi
done <"$dir/modules.alias"

# The modules named in a module's "softdep=pre: a b post: c" (only those before "post:").
softPre() {
  local spec word pre=0
  spec=$(tr '\0' '\n' <"$dir/$1" | sed -n 's/^softdep=//p')
  for word in $spec; do
    case $word in
      pre:) pre=1 ;;
      post:) pre=0 ;;
      *) [ $pre = 1 ] && echo "${aliasOf[$word]:-$(norm "$word")}" ;;
    esac
  done
  return 0
}

# Post-order walk: a module is printed after everything it depends on.
visit() {
  local name=$1 dep
  [ -n "${done[$name]:-}" ] && return 0
  done[$name]=1
  for dep in $(softPre "${pathOf[$name]}"); do
    if [ -n "${pathOf[$dep]:-}" ]; then visit "$dep"; fi
  done
  for dep in ${depsOf[$name]}; do visit "$(norm "$dep")"; done
  echo "${pathOf[$name]}"
}

missing=()
while read -r line; do
  name=$(norm "${line%%#*}")
  name=${name//[[:space:]]/}
  [ -z "$name" ] && continue
  if [ -n "${pathOf[$name]:-}" ]; then
    visit "$name"
  elif [ -z "${builtin[$name]:-}" ]; then
    missing+=("$name")
  fi
done <"$list"

if [ ${#missing[@]} -gt 0 ]; then
  echo "resolve-modules: the kernel in $dir has no module named: ${missing[*]} (listed in $list)" >&2
  exit 1
fi
