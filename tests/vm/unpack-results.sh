#!/usr/bin/env bash
# Unpacks the VM's result channel (what tests/vm/init.sh emitted on the second serial port)
# into OUT_DIR: xml/<binary>.xml, logs/<binary>.log, summary.tsv (kind, binary, exit status,
# milliseconds, verdict, hung test), controllers, bench.txt, and `problems`: one line for
# each thing that makes the run a failure (empty when everything passed).
# Usage: unpack-results.sh CHANNEL_FILE OUT_DIR
set -euo pipefail

channel=${1:?usage: unpack-results.sh CHANNEL_FILE OUT_DIR}
out=${2:?usage: unpack-results.sh CHANNEL_FILE OUT_DIR}
mkdir -p "$out/xml" "$out/logs" "$out/b64"
: >"$out/summary.tsv"

tr -d '\r' <"$channel" | awk -v out="$out" '
  function problem(text) { print text >> (out "/problems") }
  BEGIN { target = ""; finished = 0; printf "" > (out "/problems") }
  /^@@spacelet-vm / {
    kind = $2
    if (kind == "end") { if (target != "") close(target); target = ""; next }
    if (kind == "xml")   { target = out "/b64/xml." $3; next }
    if (kind == "log")   { target = out "/b64/log." $3; next }
    if (kind == "bench") { target = out "/b64/bench"; next }
    if (kind == "done")  { finished = 1; next }
    if (kind == "controllers") { $1 = ""; $2 = ""; sub(/^ +/, ""); print > (out "/controllers"); next }
    if (kind == "module-failed") {
      msg = $0; sub(/^@@spacelet-vm module-failed [^ ]+ /, "", msg)
      problem("kernel module " $3 " did not load: " msg); next
    }
    if (kind == "fatal") { msg = $0; sub(/^@@spacelet-vm fatal /, "", msg); problem("VM init: " msg); next }
    if (kind == "leftover") {
      msg = $0; sub(/^@@spacelet-vm leftover [^ ]+ /, "", msg)
      problem($3 ": cgroups could not be removed after the run: " msg); next
    }
    if (kind == "bench-exit") { if ($3 != 0) problem("the VM benchmark exited with status " $3); next }
    if (kind == "test") {
      printf "%s\t%s\t%s\t%s\t%s\t%s\n", $3, $4, $5, $6, $7, $8 >> (out "/summary.tsv")
      if ($7 == "timeout") problem($4 ": killed after " int($6 / 1000) "s" ($8 != "" ? ", hung in " $8 : ""))
      else if ($7 != "ok" && $7 != "skipped") problem($4 ": " $7 " (exit status " $5 ")" ($8 != "" ? ", last test started: " $8 : ""))
      next
    }
    next
  }
  target != "" { print >> target }
  END { if (!finished) problem("the VM did not report that it finished (see the console tail)") }
'

for f in "$out"/b64/*; do
  [ -e "$f" ] || continue
  case ${f##*/} in
    xml.*) base64 -d <"$f" >"$out/xml/${f##*/xml.}.xml" ;;
    log.*) base64 -d <"$f" >"$out/logs/${f##*/log.}.log" ;;
    bench) base64 -d <"$f" >"$out/bench.txt" ;;
  esac
done
rm -rf "$out/b64"
