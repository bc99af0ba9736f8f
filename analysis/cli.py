"""The ``framing`` command: run the workbook's stages, list them, show table schemas and the last run's status."""
from __future__ import annotations

import argparse
import json
import os
import logging
import sys

from analysis import failures, runner, stages, tables

log = logging.getLogger("analysis.cli")

# Exit statuses: 0 success, 1 a stage failed, 2 bad parameters, 3 (with --strict) the run completed but some
# articles failed, 4 another run holds the output folder, 5 the output folder cannot be written, 130 interrupted.
EXIT_FAILED_ARTICLES, EXIT_BUSY, EXIT_OUTPUT = 3, 4, 5


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``framing`` console command; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if not args.quiet else logging.WARNING, format="%(message)s")
    try:
        return args.func(args)
    except (stages.ParameterError, KeyError) as err:
        log.error("framing: %s", err.args[0] if err.args else err)
        return 2
    except runner.StageFailed as err:
        log.error("framing: %s", err)
        return 1
    except runner.RunBusy as err:
        log.error("framing: %s", err)
        return EXIT_BUSY
    except OSError as err:  # runner.OutputError and any other file-system error: name the path
        log.error("framing: %s", err.strerror if isinstance(err, runner.OutputError) else err)
        return EXIT_OUTPUT
    except KeyboardInterrupt as err:
        log.error("framing: interrupted (%s); the previous complete output is unchanged", err)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="framing", description=__doc__ + "\n\n" + _stage_list(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-q", "--quiet", action="store_true", help="show warnings and errors only")
    sub = parser.add_subparsers(dest="command", required=True)
    _run_parser(sub)
    sub.add_parser("stages", help="list the stages, their notebooks, tables and parameters").set_defaults(func=_stages)
    schema = sub.add_parser("schema", help="print the schema of the tables (Markdown)")
    schema.add_argument("tables", nargs="*", help="table names (default: all)")
    schema.set_defaults(func=_schema)
    status = sub.add_parser("status", help="the status of the last run in a folder")
    status.add_argument("--out", default=str(stages.ROOT), help="the run's folder (default: the project root)")
    status.set_defaults(func=_status)
    return parser


def _run_parser(sub) -> None:
    run = sub.add_parser("run", help="run the stage notebooks and write tables and HTML reports",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Execute the stage notebooks in order with papermill, then publish the tables "
                                     "(OUT/data/*.parquet), the HTML reports (OUT/reports/*.html, index.html) and the "
                                     "executed notebooks (OUT/reports/notebooks/) together, only when every stage "
                                     "succeeded.\n\n" + _stage_list(with_params=True))
    run.add_argument("--corpus", nargs="+", metavar="PATH", help="files or folders to ingest (default: seeds/)")
    run.add_argument("--out", metavar="DIR", help="where data/ and reports/ are written (default: the project root)")
    run.add_argument("--profile", default="default", help=f"parameter profile from pipeline.yaml "
                     f"({', '.join(stages.declaration().get('profiles', {}))})")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="set a notebook parameter (repeatable); see the list below")
    run.add_argument("--stages", metavar="A,B", help="run only these stages (their inputs must exist in OUT/data)")
    run.add_argument("--strict", action="store_true",
                     help=f"exit with status {EXIT_FAILED_ARTICLES} when any article failed (the run still completes "
                          f"and publishes; the failures table lists them)")
    run.add_argument("--wait", action="store_true",
                     help="when another run is writing to the same --out, wait for it instead of refusing")
    run.set_defaults(func=_run)


def _stage_list(*, with_params: bool = False) -> str:
    lines = ["stages (from pipeline.yaml):"]
    for s in stages.all_stages():
        lines.append(f"  {s.name:<9} {os.path.relpath(s.notebook)}  -> {', '.join(s.outputs) or 'reports'}")
        for name, spec in s.parameters.items() if with_params else ():
            lines.append(f"      {name} ({spec['inferred_type_name']}, default {spec['default']}): {spec['help']}")
    return "\n".join(lines)


def _run(args) -> int:
    names = [n.strip() for n in args.stages.split(",")] if args.stages else None
    plan = runner.plan(corpus=args.corpus, out=args.out, profile=args.profile,
                       assignments=stages.parse_assignments(args.param), stage_names=names)
    index = runner.execute(plan, wait=args.wait)
    log.info("reports: %s", index)
    failed = failures.summary(plan.out / "data")
    for row in failed.itertuples(index=False):
        log.warning("%s: %d article(s) failed and were left out of later stages (%s)", row.stage, row.failed,
                    row.errors)
    if len(failed):
        log.warning("the failures table (%s) lists each one with its error", plan.out / "data" / "failures.parquet")
    return EXIT_FAILED_ARTICLES if args.strict and len(failed) else 0


def _stages(args) -> int:
    sys.stdout.write(_stage_list(with_params=True) + "\n")
    return 0


def _schema(args) -> int:
    names = args.tables or list(tables.schemas())
    sys.stdout.write("\n\n".join(tables.markdown(n) for n in names) + "\n")
    return 0


def _status(args) -> int:
    state = runner.last_run(args.out)
    sys.stdout.write(json.dumps(state, indent=2) + "\n")
    return 0 if state["status"] in ("complete", "none") else 1


if __name__ == "__main__":
    sys.exit(main())
