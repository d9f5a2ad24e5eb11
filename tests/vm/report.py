#!/usr/bin/env python3
"""Merged test report: which tests ran on the host, which ran in the VMs, and which were
skipped where and why. Reads the host's CTest JUnit files (build/test-reports/host-*.xml,
written by `make test-host`), CTest's test list (for each test's binary and label) and the
gtest XML the VMs sent back (build/vm/results/xml/, build/vm/systemd/results/xml/). Prints a
table per test binary, every host skip that a VM ran, and the tests that ran nowhere; writes
the full per-test table to build/test-reports/merged.tsv. Usage: report.py BUILD_DIR"""
import datetime
import json
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


def skip_reason(text):
    """The message of a gtest skip, from gtest's own output or its XML message."""
    text = text or ""
    match = re.search(r"Skipped\n(.*?)(?:\n\[  SKIPPED \]|\Z)", text, re.S)
    reason = match.group(1) if match else text
    reason = re.sub(r"^\S+:\d+:?\s*", "", reason.strip())
    return " ".join(reason.split()) or "(no reason given)"


def failure_excerpt(text, limit=8):
    """The first lines of a failure: from gtest's first "Failure" line when the text is a
    whole test's output, else from the start of the message."""
    lines = [l.rstrip() for l in (text or "").splitlines() if l.strip()]
    for i, line in enumerate(lines):
        if line.endswith(": Failure"):
            lines = lines[i:]
            break
    return "\n".join(lines[:limit]) or "(no message)"


def host_binaries(build):
    """CTest test name -> (binary name, labels), from `ctest --show-only=json-v1`."""
    out = subprocess.run(["ctest", "--test-dir", str(build), "--show-only=json-v1"],
                         capture_output=True, text=True, check=False).stdout
    tests = {}
    for test in json.loads(out or "{}").get("tests", []):
        labels = []
        for prop in test.get("properties", []):
            if prop.get("name") == "LABELS":
                labels = prop.get("value", [])
        binary = pathlib.Path(test["command"][0]).name if test.get("command") else test["name"]
        tests[test["name"]] = (binary, labels)
    return tests


def read_host(build):
    """(binary, test) -> (result, reason) from the CTest JUnit files of the host run."""
    names = host_binaries(build)
    results = {}
    for path in sorted((build / "test-reports").glob("host-*.xml")):
        for case in ET.parse(path).getroot().iter("testcase"):
            name = case.get("name")
            binary, labels = names.get(name, ("?", []))
            if "vm" in labels or "systemd" in labels:
                continue
            status = case.get("status", "")
            out = case.findtext("system-out") or ""
            if status == "skipped" or case.find("skipped") is not None:
                results[(binary, name)] = (SKIPPED, skip_reason(out))
            elif case.find("failure") is not None or status in ("fail", "notrun"):
                results[(binary, name)] = (FAILED, failure_excerpt(out))
            else:
                results[(binary, name)] = (PASSED, "")
    return results


def read_vm(results_dir, prefix=""):
    """(binary, test) -> (result, reason) from the gtest XML a VM sent back, plus the
    binaries it ran without producing XML (crashed or killed)."""
    results, lost = {}, []
    for path in sorted((results_dir / "xml").glob("*.xml")):
        binary = prefix + path.stem
        for suite in ET.parse(path).getroot().iter("testsuite"):
            for case in suite.iter("testcase"):
                name = f"{suite.get('name')}.{case.get('name')}"
                skipped = case.find("skipped")
                if skipped is not None or case.get("result") == "skipped":
                    msg = skipped.get("message") if skipped is not None else ""
                    results[(binary, name)] = (SKIPPED, skip_reason(msg))
                elif case.find("failure") is not None:
                    failure = case.find("failure")
                    text = failure.get("message") or failure.text or ""
                    results[(binary, name)] = (FAILED, failure_excerpt(text))
                else:
                    results[(binary, name)] = (PASSED, "")
    summary = results_dir / "summary.tsv"
    if summary.exists():
        for line in summary.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) >= 5 and not (results_dir / "xml" / f"{fields[1]}.xml").exists():
                lost.append(f"{prefix}{fields[1]} ({fields[4]}, exit status {fields[2]})")
    return results, lost


def tally(results, binary):
    counts = {PASSED: 0, FAILED: 0, SKIPPED: 0}
    for (b, _), (result, _) in results.items():
        if b == binary:
            counts[result] += 1
    return counts


def cell(results, binary):
    if not any(k[0] == binary for k in results):
        return "-"
    counts = tally(results, binary)
    return f"{counts[PASSED]}/{counts[FAILED]}/{counts[SKIPPED]}"


def print_binaries(places):
    binaries = sorted({b for _, results in places for b, _ in results})
    width = max([len(b) for b in binaries] + [6])
    print("  tests passed/failed/skipped per binary and place ('-': not run there)")
    print(f"  {'binary':<{width}}  " + "  ".join(f"{label:>12}" for label, _ in places))
    for b in binaries:
        print(f"  {b:<{width}}  " + "  ".join(f"{cell(r, b):>12}" for _, r in places))


def result_of(results, key):
    return results.get(key, ("", ""))[0]


def print_skips(places):
    host = places[0][1]
    keys = sorted({k for _, results in places for k in results})
    skipped = [k for k in keys if any(result_of(r, k) == SKIPPED for _, r in places)]
    rescued = [k for k in skipped if result_of(host, k) == SKIPPED
               and any(result_of(r, k) == PASSED for _, r in places[1:])]
    nowhere = [k for k in skipped if not any(result_of(r, k) == PASSED for _, r in places)]
    print(f"\nSkipped on the host, ran and passed in a VM: {len(rescued)}")
    for b, t in rescued:
        print(f"  {b}: {t}\n      host skip: {host[(b, t)][1]}")
    print(f"\nSkipped everywhere they were tried (ran nowhere): {len(nowhere)}")
    for b, t in nowhere:
        where = []
        for label, results in places:
            if (b, t) in results:
                result, reason = results[(b, t)]
                where.append(f"{label}: {reason}" if result == SKIPPED else f"{label}: {result}")
        print(f"  {b}: {t}\n      " + "\n      ".join(where))


def print_failures(places):
    """Every failed test with the start of its message: the end of a CI log names what
    failed and why, not only which binary."""
    failed = [(label, b, t, reason) for label, results in places
              for (b, t), (result, reason) in sorted(results.items()) if result == FAILED]
    print(f"\nFailed: {len(failed)}")
    for label, b, t, reason in failed:
        print(f"  {label}: {b}: {t}")
        print("      " + reason.replace("\n", "\n      "))


def write_table(build, places):
    header = ["binary", "test"] + [f"{label}\t{label} reason" for label, _ in places]
    lines = ["\t".join(header)]
    for b, t in sorted({k for _, results in places for k in results}):
        row = [b, t]
        for _, results in places:
            result, reason = results.get((b, t), ("not run", ""))
            row += [result, " ".join(reason.split())]
        lines.append("\t".join(row))
    path = build / "test-reports" / "merged.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def provenance(label, results, files):
    """One line on where a place's results come from and when they were written, so that
    results left from an earlier run of another mode are seen as such."""
    files = [f for f in files if f.exists()]
    if not files:
        return f"  {label}: no results (see docs/testing.md for how to run it)"
    newest = max(f.stat().st_mtime for f in files)
    when = datetime.datetime.fromtimestamp(newest).strftime("%Y-%m-%d %H:%M")
    binaries = len({b for b, _ in results})
    where = files[0].parent if len(files) > 1 else files[0]
    return f"  {label}: {len(results)} tests in {binaries} binaries, written {when} ({where})"


def main():
    build = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build").resolve()
    vm, lost = read_vm(build / "vm" / "results")
    vm_systemd, lost_systemd = read_vm(build / "vm" / "systemd" / "results", "systemd:")
    places = [("host", read_host(build)), ("VM", vm), ("VM systemd", vm_systemd)]
    sources = [sorted((build / "test-reports").glob("host-*.xml")),
               sorted((build / "vm" / "results" / "xml").glob("*.xml")),
               sorted((build / "vm" / "systemd" / "results" / "xml").glob("*.xml"))]
    print("\n=== Test report: host and VMs (tests/vm/report.py) ===")
    for (label, results), files in zip(places, sources):
        print(provenance(label, results, files))
    print_binaries(places)
    for entry in lost + lost_systemd:
        print(f"  {entry}: no gtest XML came back")
    print_skips(places)
    print_failures(places)
    print(f"\nEvery test, every place: {write_table(build, places)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
