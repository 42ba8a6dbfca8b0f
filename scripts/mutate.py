"""`make mutate`: mutation testing of the safety core with mutmut, and a report per module.

mutmut expects the code under ``./``, ``src/`` or ``source/``; the function lives in ``lambda/``. So
this builds a workspace (``.mutants-work/``, git-ignored) holding ``src/cert_cleanup`` (a copy),
the tests and the emulator, runs ``mutmut run`` there, and reads the outcome of every mutant.

A surviving mutant that only changes a string literal, or sits in a function that only formats
text, cannot change which certificates are deleted: it is reported as equivalent with that reason.
Any other survivor is unexplained, and makes the command exit 1.

The tests run with the emulator's IAM safety net off (its default: ``FakeSettings.refuse_bound_deletes``), so a
mutant that makes the usage search miss a user is killed by the search's own tests, never by IAM refusing the
delete; the script refuses to run if that default is on.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutants-work"
MUTMUT = str(Path(sys.executable).parent / "mutmut")

# The modules that decide what is deleted. Every mutant of them runs against the tests marked ``safety`` (fast
# ones: in-process moto, no server) that cover the mutated function.
SAFETY_CORE = (
    "decide.py",
    "usage/elb_classic.py",
    "usage/elbv2.py",
    "usage/cloudfront.py",
    "usage/appsync.py",
    "usage/search.py",
    "aws/inventory.py",
    "aws/clients.py",
    "run.py",
    "job.py",
)
TESTS = ["-m", "safety", "tests/unit"]
# In these modules only the fail-closed paths are mutated (the rest formats, logs, counts or configures).
ONLY_FUNCTIONS = {
    "run.py": ["x_cleanup", "x__read_tags", "x__delete", "x__searched"],
    "job.py": ["x_handle"],
    "aws/clients.py": ["x_every", "x_lookup"],
}
# Functions that only build text for people (reasons, labels): no mutant there changes a decision.
TEXT_ONLY_FUNCTIONS = {"decide.x__days"}
# Functions whose every string literal is a reason for people (decide's outcomes are enum members).
# Elsewhere a string can decide (an exemption value, an ARN prefix), so a string-only survivor there
# is not explained by this script: a person must look at it.
REASON_STRINGS_ONLY = {"decide.x_decide"}
CLOSING = {")", "),", "]", "],", "}", "},"}
STRING = re.compile(r"""(["'])(?:\\.|(?!\1).)*\1""")


@dataclass(frozen=True)
class Equivalent:
    """Mutants of one line that cannot change what is deleted, and why (checked by a person)."""

    function: str
    line: str  # the original line contains this
    reason: str
    mutated: str = ""  # and, if set, the mutated line contains this


EQUIVALENT = [
    Equivalent("*", "logger.", "changes only what is logged"),
    Equivalent(
        "run.x_cleanup",
        "strict=True",
        "both sides have one item per certificate by construction; strict only guards that",
    ),
    Equivalent(
        "run.x_cleanup",
        "ThreadPoolExecutor(max_workers=1) as background",
        "the pool is only ever given one task (the usage search, started once)",
    ),
    Equivalent(
        "run.x_cleanup",
        "usage = Usage(complete=False, used_by=usage.used_by, left_out=usage.left_out)",
        "None is as false as False: `complete` is only read as a truth value (decide: `if not usage.complete`)",
        "Usage(complete=None,",
    ),
    Equivalent(
        "job.x_handle",
        "uuid.uuid4().hex, now or datetime.now(UTC), None))",
        "RunOptions.create makes a run id when given none",
        "None, now or",
    ),
    Equivalent(
        "job.x_handle",
        "finished: Finished | None = None",
        "read only as a truth value (job.release: `if finished`), and only when the run raised before setting it",
        '""',
    ),
    Equivalent(
        "job.x_handle",
        "if deadline.remaining() < FOLLOW_UP_MIN_SECONDS:",
        "< and <= differ only at exactly FOLLOW_UP_MIN_SECONDS left, a moment no clock reading repeats",
        "<=",
    ),
    Equivalent(
        "job.x_handle",
        "deployed_at = None",
        "deployed_at is read only for a scheduled run (when.reasons_to_tell); this value is set for the others",
        'deployed_at = ""',
    ),
    Equivalent(
        "run.x__delete",
        "during the run; the next run decides about the new one",
        "changes only the text of the reason a replaced certificate is kept (the action is the enum member above)",
    ),
    Equivalent(
        "aws.clients.x_every",
        'config = {"PageSize": page_size} if page_size else {}',
        "botocore's paginator reads PageSize None as no page size (paginate.py: `if page_size is not None`)",
        "(page_size) or True",
    ),
    Equivalent(
        "aws.inventory.x_current_id",
        'return lookup(SERVICE, GLOBAL, "GetServerCertificate", fetch)',
        "the labels of the check's failure: run._delete reads only its code and message (tested)",
    ),
    Equivalent(
        "usage.elbv2.x__listener_uses",
        'listener.get("Certificates", [])',
        "DescribeListenerCertificates lists the default certificate too (API reference); the default "
        "read from DescribeListeners is a second source of the same ARN",
    ),
    Equivalent(
        "usage.appsync.x__domain_arn",
        'config.get("domainNameArn")',
        "the ARN built from the documented format is the domainNameArn AWS returns",
    ),
    *(
        Equivalent(
            "usage.search.xǁSearchOutcomeǁusage",
            "if self.index else Usage(complete=False)",
            "the search returns no index only with a failure (search_account), so the outcome is incomplete either way",
            f"else Usage(complete={value})",
        )
        for value in ("True", "None")
    ),
    Equivalent(
        "usage.search.x__name_key", "name.lower()", "folding names to upper case matches the same names", "name.upper()"
    ),
    *(
        Equivalent(
            "usage.search.x__name_key",
            'parts[5].rsplit("/", 1)[-1]',
            "still the last path segment: an IAM server certificate ARN has a '/' after server-certificate",
            mutated,
        )
        for mutated in ('rsplit("/", 2)[-1]', 'rsplit("/", )[-1]', 'rsplit("/", 1)[+1]')
    ),
    Equivalent(
        "usage.search.xǁUsageIndexǁusage",
        '_name_key(cert.arn) or ""',
        "no key is ever that string (every key starts with id: or arn:), so a non-IAM ARN matches nothing either way",
        '"XXXX"',
    ),
    Equivalent(
        "usage.search.x_search_usage",
        'partition=clients.partition_of(region) or partition or "aws"',
        "differs only for a region botocore does not know, where it labels the user's ARN; any use keeps "
        "its certificate, whatever its user's ARN says",
    ),
    Equivalent(
        "usage.search.x__plan",
        "offered = clients.service_regions(consumer.SERVICE, partition) if partition else frozenset()",
        "without a partition no region is known, so nothing is skipped whatever `offered` holds",
        "(partition) or True",
    ),
    Equivalent(
        "usage.search.x__plan",
        'known_regions = clients.service_regions("ec2", partition) if partition else frozenset()',
        "without a partition botocore lists no region for it either: nothing is known, nothing skipped",
        "(partition) or True",
    ),
    Equivalent(
        "aws.inventory.x__utc",
        "return value.astimezone(UTC)",
        "astimezone keeps the instant: every comparison of the run gives the same answer in any zone",
        "astimezone(None)",
    ),
]


def require_safety_net_off() -> None:
    """Every mutant must be caught by what the search proves, not by the emulator refusing a bound delete."""
    sys.path.insert(0, str(ROOT))
    from emulator.aws_fakes import FakeSettings

    if FakeSettings().refuse_bound_deletes:
        raise SystemExit("emulator/aws_fakes.py: refuse_bound_deletes must default to False for make mutate")


def build_workspace(modules: list[str]) -> None:
    if WORK.exists():
        shutil.rmtree(WORK)
    (WORK / "src").mkdir(parents=True)
    shutil.copytree(ROOT / "lambda" / "cert_cleanup", WORK / "src" / "cert_cleanup")
    for folder in ("tests", "emulator", "cli"):
        shutil.copytree(ROOT / folder, WORK / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "cdk.json", WORK / "cdk.json")  # tests/conftest.py reads the CDK's feature flags from it
    pyproject = (ROOT / "pyproject.toml").read_text()
    pythonpath = 'pythonpath = ["lambda", "cli", "."]'
    if pythonpath not in pyproject:
        raise SystemExit(f"pyproject.toml: expected {pythonpath}, to point it at the workspace's src/")
    pyproject = pyproject.replace(pythonpath, 'pythonpath = ["src", "cli", "."]')
    pyproject += (
        "\n[tool.mutmut]\n"
        'source_paths = ["src/"]\n'
        f"only_mutate = {json.dumps([f'src/cert_cleanup/{module}' for module in modules])}\n"
        'also_copy = ["emulator/", "cdk.json"]\n'  # tests/conftest.py reads the CDK's feature flags from cdk.json
        f"pytest_add_cli_args_test_selection = {json.dumps(TESTS)}\n"
    )
    (WORK / "pyproject.toml").write_text(pyproject)


def outcomes() -> dict[str, str]:
    """``{mutant name: status}`` from ``mutmut results --all true``."""
    completed = subprocess.run(  # noqa: S603 (the venv's own mutmut)
        [MUTMUT, "results", "--all", "true"], cwd=WORK, capture_output=True, text=True, check=True
    )
    found = {}
    for line in completed.stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            found[name] = status
    return found


def diff_of(name: str) -> list[str]:
    completed = subprocess.run(  # noqa: S603
        [MUTMUT, "show", name], cwd=WORK, capture_output=True, text=True, check=False
    )
    return [line for line in completed.stdout.splitlines() if line[:2] in {"- ", "+ "}]


def equivalent_reason(name: str) -> str | None:
    """Why a survivor cannot change which certificates are deleted, or None."""
    function = name.removeprefix("cert_cleanup.").split("__mutmut_")[0]
    if function in TEXT_ONLY_FUNCTIONS:
        return "in a function that only formats a reason for people"
    changed = diff_of(name)
    removed = [line[2:] for line in changed if line.startswith("- ")]
    added = [line[2:] for line in changed if line.startswith("+ ")]
    # A mutant that deletes an argument also moves the call's closing bracket: that line is not a change.
    changed_lines = [line for line in removed if line.strip() not in CLOSING]
    for known in EQUIVALENT:
        if (
            fnmatch(function, known.function)
            and len(changed_lines) == 1
            and known.line in changed_lines[0]
            and all(known.mutated in line for line in added)
        ):
            return known.reason
    if function not in REASON_STRINGS_ONLY:
        return None
    if len(removed) == len(added) == 1 and STRING.sub('""', removed[0]) == STRING.sub('""', added[0]):
        return "changes only the text of a reason"
    return None


def mutant_patterns(modules: list[str]) -> list[str]:
    """mutmut name patterns: every mutant of a module, or of its fail-closed functions only."""
    patterns = []
    for module in modules:
        dotted = "cert_cleanup." + module.removesuffix(".py").replace("/", ".")
        functions = ONLY_FUNCTIONS.get(module)
        patterns += [f"{dotted}.{function}__mutmut_*" for function in functions] if functions else [f"{dotted}.*"]
    return patterns


def module_of(name: str) -> str:
    dotted = name.removeprefix("cert_cleanup.").split(".x")[0]
    return dotted.replace(".", "/") + ".py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(SAFETY_CORE), help="modules under lambda/cert_cleanup")
    parser.add_argument(
        "--report-only", action="store_true", help="classify the outcomes of the last run again, without running"
    )
    args = parser.parse_args(argv)
    unknown = [module for module in args.modules if module not in SAFETY_CORE]
    if unknown:
        parser.error(f"not in the safety core: {', '.join(unknown)}")
    patterns = mutant_patterns(args.modules)
    if not args.report_only:
        require_safety_net_off()
        build_workspace(args.modules)
        subprocess.run([MUTMUT, "run", *patterns], cwd=WORK, check=False, stdout=subprocess.DEVNULL)  # noqa: S603

    counts: dict[str, Counter[str]] = defaultdict(Counter)
    unexplained: list[str] = []
    equivalent: list[tuple[str, str]] = []
    for name, status in sorted(outcomes().items()):
        if not any(fnmatch(name, pattern) for pattern in patterns):
            continue
        module = module_of(name)
        if status == "survived":
            reason = equivalent_reason(name)
            if reason:
                counts[module]["equivalent"] += 1
                equivalent.append((name, reason))
                continue
            unexplained.append(name)
        counts[module][status] += 1

    print("| module | mutants | killed | equivalent | survived (unexplained) | other |")
    print("|---|---:|---:|---:|---:|---:|")
    for module, tally in sorted(counts.items()):
        other = sum(n for status, n in tally.items() if status not in {"killed", "equivalent", "survived"})
        print(
            f"| {module} | {sum(tally.values())} | {tally['killed']} | {tally['equivalent']} | "
            f"{tally['survived']} | {other} |"
        )
    for name, reason in equivalent:
        print(f"equivalent: {name}: {reason}")
    for name in unexplained:
        print(f"UNEXPLAINED SURVIVOR: {name}")
        for line in diff_of(name):
            print(f"    {line}")
    unjudged = sum(n for tally in counts.values() for status, n in tally.items() if status not in JUDGED)
    if unjudged:
        print(f"{unjudged} mutants were not judged (not checked, suspicious...): the run proves nothing of them")
    return 1 if unexplained or unjudged else 0


# A timeout is a mutant the tests stopped (an endless loop): caught. Anything else (not checked, a test run that
# could not start) judged nothing, and fails the command: a run that checked no mutant must not look clean.
JUDGED = frozenset({"killed", "equivalent", "survived", "timeout"})


if __name__ == "__main__":
    raise SystemExit(main())
