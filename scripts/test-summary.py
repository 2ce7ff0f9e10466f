#!/usr/bin/env python3
"""Counts what scripts/test.sh ran: tests run, passed, failed and skipped.

    scripts/test-summary.py LOGDIR [--require SUITE]... [--stopped STATUS]

LOGDIR holds, for each `swift test` invocation N, its console output (N.log), the command
(N.command) and the JUnit XML Swift Testing wrote (N-swift-testing.xml, from --xunit-output
N.xml); for each lab, LAB.log and LAB.status (its exit status; 77 is a skip), LAB starting
with "lab".

Counts come from the console lines Swift Testing prints:
    ✔ Test "name" passed after 0.1 seconds.        (also "with 2 test cases passed")
    ✘ Test "name" failed after 0.1 seconds with 1 issue.
    ➜ Test "name" skipped: "missing nft (...)"
    ✘ Test "name" recorded an issue ...            (no result line follows when a trait
                                                    failed it before it started: counted failed)
The console names suites by display name only, so `--require` (a suite's type name, as
`NamespaceLossTests`) is checked in the JUnit XML, whose classnames are Module.Type.

Exits 1 when a test failed, when a required suite ran no test (all skipped or absent), or,
under CI=true, when anything was skipped: there every prerequisite is installed, so a skip
means a broken setup. `--stopped STATUS` says test.sh stopped early with that status: the
counts are printed, and the required suites are not checked (later groups never ran).
XCTest's lines ("Executed 0 tests") are ignored: the suites are Swift Testing's.
"""

import argparse
import glob
import os
import re
import sys
import xml.etree.ElementTree as ElementTree

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# A test's name as Swift Testing prints it: a quoted display name or a function name.
NAME = r'(?P<name>"(?:[^"\\]|\\.)*"|[^\s"]+\(.*?\))'
RESULT = re.compile(r"^\S+ Test " + NAME + r" (?:with \d+ test cases? )?(?P<verb>passed|failed|skipped)(?P<rest>.*)$")
STARTED = re.compile(r"^\S+ Test " + NAME + r" started\.$")
ISSUE = re.compile(r"^\S+ Test " + NAME + r" recorded an issue(?P<rest>.*)$")


def is_ci():
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


class Counts:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []  # (name, why)
        self.skips = []  # (name, reason)

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.failures += other.failures
        self.skips += other.skips

    @property
    def run(self):
        return self.passed + self.failed

    def line(self):
        return f"{self.run} run: {self.passed} passed, {self.failed} failed; {self.skipped} skipped"


def console_counts(path):
    counts = Counts()
    running = {}  # name -> tests of that name started and not yet finished
    completed = False
    with open(path, encoding="utf-8", errors="replace") as log:
        for raw in log:
            line = ANSI.sub("", raw.rstrip("\n"))
            body = line.split(" ", 1)[1] if " " in line else ""
            if body.startswith("Test run with "):
                completed = True
            if body.startswith(("Test case ", "Test run ")):
                continue
            if match := STARTED.match(line):
                running[match["name"]] = running.get(match["name"], 0) + 1
            elif match := RESULT.match(line):
                name, verb = match["name"], match["verb"]
                if verb != "skipped":
                    running[name] = max(0, running.get(name, 0) - 1)
                if verb == "passed":
                    counts.passed += 1
                elif verb == "failed":
                    counts.failed += 1
                    counts.failures.append((name, match["rest"].strip()))
                else:
                    counts.skipped += 1
                    counts.skips.append((name, match["rest"].lstrip(":. ").strip()))
            elif (match := ISSUE.match(line)) and running.get(match["name"], 0) == 0:
                # An issue for a test that is not running: a trait (`.requires` under CI)
                # stopped it before it started, and no result line will follow.
                counts.failed += 1
                counts.failures.append((match["name"], match["rest"].lstrip(": ").strip()))
    return counts, completed


def suites_that_ran(directory):
    """Type name -> tests that ran (not skipped), from every JUnit file in `directory`."""
    ran = {}
    for path in glob.glob(os.path.join(directory, "*.xml")):
        try:
            root = ElementTree.parse(path).getroot()
        except ElementTree.ParseError:
            continue
        for case in root.iter("testcase"):
            if case.find("skipped") is not None:
                continue
            # Module.Type, or Module.Outer/Inner for a nested suite: every type counts.
            for part in re.split(r"[./]", case.get("classname", ""))[1:]:
                ran[part] = ran.get(part, 0) + 1
    return ran


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("logs")
    parser.add_argument("--require", action="append", default=[], metavar="SUITE")
    parser.add_argument("--stopped", type=int, default=0, metavar="STATUS")
    arguments = parser.parse_args()

    total = Counts()
    problems = []
    print(f"\nTest summary ({arguments.logs}):")
    for path in sorted(glob.glob(os.path.join(arguments.logs, "*.log"))):
        group = os.path.basename(path)[: -len(".log")]
        if group.startswith("lab"):
            continue
        command = group
        if os.path.exists(os.path.join(arguments.logs, group + ".command")):
            command = open(os.path.join(arguments.logs, group + ".command"), encoding="utf-8").read().strip()
        counts, completed = console_counts(path)
        total.add(counts)
        print(f"  {command}: {counts.line()}" + ("" if completed else " (no end of run: stopped or crashed)"))
        if not completed:
            problems.append(f"{command} did not finish its run")

    for lab_status_path in sorted(glob.glob(os.path.join(arguments.logs, "lab*.status"))):
        lab = os.path.basename(lab_status_path)[: -len(".status")]
        status = int(open(lab_status_path).read().strip() or 1)
        log = os.path.join(arguments.logs, lab + ".log")
        lines = open(log, encoding="utf-8", errors="replace").read().splitlines() if os.path.exists(log) else []
        skipped = [line[len("skipped:") :].strip() for line in lines if line.startswith("skipped:")]
        if status == 77 or (status == 0 and skipped):
            total.skipped += 1
            total.skips.append((f"the {lab} (Tests/Lab)", skipped[0] if skipped else "exit status 77"))
            verdict = f"skipped: {skipped[0] if skipped else 'exit status 77'}"
        elif status != 0:
            total.failed += 1
            total.failures.append((f"the {lab} (Tests/Lab)", f"exit status {status}"))
            verdict = f"failed (exit status {status})"
        else:
            total.passed += 1
            verdict = "passed"
        print(f"  {lab}, one suite: {verdict}")

    print(f"  total: {total.line()}")
    for name, why in total.failures:
        print(f"  failed: {name} {why}".rstrip())
    for name, reason in total.skips:
        print(f"  skipped: {name}: {reason}")

    if total.failed:
        problems.append(f"{total.failed} failed")
    if arguments.stopped:
        print(f"  stopped early (exit status {arguments.stopped}): required suites not checked")
    else:
        ran = suites_that_ran(arguments.logs)
        for suite in arguments.require:
            if ran.get(suite, 0) == 0:
                problems.append(f"{suite} must run and ran no test")
            else:
                print(f"  required: {suite} ran {ran[suite]}")
    if total.skipped and is_ci():
        problems.append(f"{total.skipped} skipped under CI=true, where every prerequisite must be installed")

    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
