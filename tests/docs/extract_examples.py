#!/usr/bin/env python3
"""Prints, as one shell script, every curl example of the given Markdown files, in order.

An example is a command in a ```bash / ```sh / ```shell block that starts with `curl` (with its
backslash continuation lines), plus the variable assignments (`KEY=$(...)`) those blocks make,
which later curls use. Other commands (starting daemons, docker) are left out: the test runs
the examples against a stack it started itself. A block right after the comment
`<!-- docs-test: skip REASON -->` is left out whole; the reason is printed to stderr.

Usage: extract_examples.py FILE.md... > examples.sh
"""
import re
import shlex
import sys

fence = re.compile(r"^```(\w*)\s*$")
skip_marker = re.compile(r"<!--\s*docs-test:\s*skip\s*(.*?)\s*-->")
assignment = re.compile(r"^(export\s+)?[A-Z_][A-Z0-9_]*=")


def complete(command):
    """Whether the shell would see the command as finished (no quote left open)."""
    try:
        shlex.split(command, comments=True)
        return True
    except ValueError:
        return False


def commands(lines):
    """Joins backslash continuations and quoted multi-line strings into logical commands."""
    current = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        if not complete(current):
            current += "\n"
            continue
        yield current.strip()
        current = ""
    if current.strip():
        yield current.strip()


def examples(path):
    text = open(path, encoding="utf-8").read().splitlines()
    in_block, language, block, skip_reason, pending_skip = False, "", [], None, None
    for number, line in enumerate(text, 1):
        if not in_block:
            marker = skip_marker.search(line)
            if marker:
                pending_skip = marker.group(1) or "no reason given"
                continue
            match = fence.match(line)
            if match:
                in_block, language, block, start = True, match.group(1), [], number
                skip_reason, pending_skip = pending_skip, None
            elif line.strip():
                pending_skip = None
            continue
        if fence.match(line):
            in_block = False
            if language not in ("bash", "sh", "shell"):
                continue
            found = [c for c in commands(block) if c.startswith("curl ")]
            if skip_reason is not None:
                if found:
                    print(f"skip {path}:{start}: {len(found)} curl example(s): {skip_reason}",
                          file=sys.stderr)
                continue
            for command in commands(block):
                if command.startswith("curl "):
                    yield path, start, command
                elif assignment.match(command):
                    yield path, start, command
            continue
        block.append(line)


def main():
    count = 0
    print("set -euo pipefail")
    for path in sys.argv[1:]:
        for source, line, command in examples(path):
            if command.startswith("curl "):
                count += 1
                print(f"echo '--- {source}:{line}: example {count}' >&2")
            print(command)
    print(f"echo 'docs examples: {count} curl command(s) ran' >&2")
    print(f"{count} curl example(s) extracted", file=sys.stderr)


if __name__ == "__main__":
    main()
