#!/usr/bin/env python3
"""Merged test report: which tests ran on the host, which ran in the VM, and which were
skipped where and why. Reads the host's CTest JUnit files (build/test-reports/host-*.xml,
written by `make test-host`), CTest's test list (for each test's binary and label) and the
VM's gtest XML (build/vm/results/xml/). Prints a table per test binary, every skip with its
reason, and the tests that ran nowhere; writes the full per-test table to
build/test-reports/merged.tsv. Usage: report.py BUILD_DIR"""
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
    reason = re.sub(r"^\S+:\d+: ?", "", reason.strip())
    return " ".join(reason.split()) or "(no reason given)"


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
            if "vm" in labels:
                continue
            status = case.get("status", "")
            out = case.findtext("system-out") or ""
            if status == "skipped" or case.find("skipped") is not None:
                results[(binary, name)] = (SKIPPED, skip_reason(out))
            elif case.find("failure") is not None or status == "fail":
                results[(binary, name)] = (FAILED, "")
            else:
                results[(binary, name)] = (PASSED, "")
    return results


def read_vm(build):
    """(binary, test) -> (result, reason) from the gtest XML the VM sent back, plus the
    binaries the VM ran without producing XML (crashed or killed)."""
    results, lost = {}, []
    out = build / "vm" / "results"
    for path in sorted((out / "xml").glob("*.xml")):
        for suite in ET.parse(path).getroot().iter("testsuite"):
            for case in suite.iter("testcase"):
                name = f"{suite.get('name')}.{case.get('name')}"
                skipped = case.find("skipped")
                if skipped is not None or case.get("result") == "skipped":
                    msg = skipped.get("message") if skipped is not None else ""
                    results[(path.stem, name)] = (SKIPPED, skip_reason(msg))
                elif case.find("failure") is not None:
                    results[(path.stem, name)] = (FAILED, "")
                else:
                    results[(path.stem, name)] = (PASSED, "")
    summary = out / "summary.tsv"
    if summary.exists():
        for line in summary.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) >= 5 and not (out / "xml" / f"{fields[1]}.xml").exists():
                lost.append(f"{fields[1]} ({fields[4]}, exit status {fields[2]})")
    return results, lost


def tally(results, binary):
    counts = {PASSED: 0, FAILED: 0, SKIPPED: 0}
    for (b, _), (result, _) in results.items():
        if b == binary:
            counts[result] += 1
    return counts


def cell(counts, present):
    if not present:
        return "not run"
    return f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[SKIPPED]} skipped"


def print_binaries(host, vm):
    binaries = sorted({b for b, _ in host} | {b for b, _ in vm})
    width = max([len(b) for b in binaries] + [6])
    print(f"  {'binary':<{width}}  {'host':<36}  VM")
    for b in binaries:
        on_host = any(k[0] == b for k in host)
        in_vm = any(k[0] == b for k in vm)
        print(f"  {b:<{width}}  {cell(tally(host, b), on_host):<36}  {cell(tally(vm, b), in_vm)}")


def print_skips(host, vm):
    keys = sorted(set(host) | set(vm))
    skipped = [k for k in keys if host.get(k, ("",))[0] == SKIPPED or vm.get(k, ("",))[0] == SKIPPED]
    rescued = [k for k in skipped if vm.get(k, ("",))[0] == PASSED]
    nowhere = [k for k in skipped if k not in rescued and host.get(k, ("",))[0] != PASSED]
    print(f"\nSkipped on the host, ran and passed in the VM: {len(rescued)}")
    for b, t in rescued:
        print(f"  {b}: {t}\n      host skip: {host[(b, t)][1]}")
    print(f"\nSkipped everywhere they were tried (ran nowhere): {len(nowhere)}")
    for b, t in nowhere:
        where = []
        for label, results in (("host", host), ("VM", vm)):
            if (b, t) in results:
                result, reason = results[(b, t)]
                where.append(f"{label}: {reason}" if result == SKIPPED else f"{label}: {result}")
        print(f"  {b}: {t}\n      " + "\n      ".join(where))


def write_table(build, host, vm):
    lines = ["binary\ttest\thost\thost_reason\tvm\tvm_reason"]
    for b, t in sorted(set(host) | set(vm)):
        h, v = host.get((b, t), ("not run", "")), vm.get((b, t), ("not run", ""))
        lines.append(f"{b}\t{t}\t{h[0]}\t{h[1]}\t{v[0]}\t{v[1]}")
    path = build / "test-reports" / "merged.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def main():
    build = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build").resolve()
    host = read_host(build)
    vm, lost = read_vm(build)
    print("\n=== Test report: host and VM (tests/vm/report.py) ===")
    if not host:
        print("  (no host results: run `make test-host` first; it writes build/test-reports/host-*.xml)")
    if not vm and not lost:
        print("  (no VM results: run `make test-vm`)")
    print_binaries(host, vm)
    for entry in lost:
        print(f"  VM: {entry}: no gtest XML came back")
    print_skips(host, vm)
    print(f"\nEvery test, both places: {write_table(build, host, vm)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
