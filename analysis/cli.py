"""The ``framing`` command: run the workbook's stages, list them, show table schemas and the last run's status."""
from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
from pathlib import Path

from analysis import profiles, runner, stages

# failures and tables (pandas, pyarrow) are imported where used: `framing run` starts its kernel sooner without.

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
    except (stages.ParameterError, profiles.ProfileError, FileExistsError, KeyError) as err:
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
    _sample_parser(sub)
    _agreement_parser(sub)
    _lessons_parser(sub)
    story = sub.add_parser("new-story", help="build a starter story profile from a corpus (actors, phrase families, "
                           "KWIC queries, hostile terms), each entry with its counts and two example sentences")
    story.add_argument("name", help="the profile's name (lower-case letters, digits, - and _)")
    story.add_argument("--corpus", nargs="+", required=True, metavar="PATH", help="files or folders of the story")
    story.add_argument("--out", metavar="DIR", help="the profile folder (default: analysis/data/profiles/NAME)")
    story.add_argument("--model", default="en_core_web_sm", help="spaCy pipeline for tagging the corpus")
    story.add_argument("--limit", type=int, metavar="N", help="use only the first N English articles")
    story.add_argument("--n-process", type=int, default=0, metavar="N",
                       help="processes for tagging (default 0: one per core, as framing run chooses)")
    story.add_argument("--force", action="store_true", help="overwrite a profile already in the folder")
    story.set_defaults(func=_new_story)
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
    run.add_argument("--story", metavar="NAME|PATH", help="story profile: a name under analysis/data/profiles "
                     f"({', '.join(profiles.names())}) or a profile folder; '' for none (default: the profile "
                     "written for the corpus, asian-nato for seeds/, else none; with --stages and no --corpus, the "
                     "profile the run's tables were made with)")
    run.add_argument("--strict", action="store_true",
                     help=f"exit with status {EXIT_FAILED_ARTICLES} when any article failed (the run still completes "
                          f"and publishes; the failures table lists them)")
    run.add_argument("--wait", action="store_true",
                     help="when another run is writing to the same --out, wait for it instead of refusing")
    run.add_argument("--force", action="store_true",
                     help="execute every selected stage, even those whose results in OUT are up to date (by default "
                          "a stage whose tables, parameters, files, notebook, code and package versions are unchanged "
                          "since the run that computed its results is reused). The stages a run executes share one "
                          "kernel, reset between stages; set FRAMING_FRESH_KERNEL=1 to give each its own")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help=f"a Dask scheduler address (tcp://host:8786): sets the notebook parameter "
                          f"{runner.SCHEDULER!r} of every selected stage that declares one")
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
    assignments = stages.parse_assignments(args.param)
    if args.story is not None:
        assignments["story"] = args.story
    plan = runner.plan(corpus=args.corpus, out=args.out, profile=args.profile, assignments=assignments,
                       stage_names=names, force=args.force, scheduler=args.scheduler)
    index = runner.execute(plan, wait=args.wait)
    log.info("reports: %s", index)
    from analysis import failures

    failed = failures.summary(plan.out / "data")
    for row in failed.itertuples(index=False):
        log.warning("%s: %d article(s) failed and were left out of later stages (%s)", row.stage, row.failed,
                    row.errors)
    if len(failed):
        log.warning("the failures table (%s) lists each one with its error", plan.out / "data" / "failures.parquet")
    return EXIT_FAILED_ARTICLES if args.strict and len(failed) else 0


def _program() -> str:
    """``framing`` as the user typed it (``.venv/bin/framing``), or ``framing`` when run some other way."""
    typed = sys.argv[0] if sys.argv else ""
    return shlex.quote(typed) if Path(typed).name == "framing" else "framing"


def _new_story(args) -> int:
    from analysis import starter

    if not profiles.NAME.match(args.name) or args.name == profiles.AUTO:
        raise profiles.ProfileError(f"profile name {args.name!r}: use lower-case letters, digits, - and _ (and not "
                                    f"{profiles.AUTO!r}, which the notebooks read as the run's own profile)")
    folder = starter.make(args.name, corpus=args.corpus, folder=Path(args.out or profiles.root() / args.name),
                          model=args.model, force=args.force, limit=args.limit, n_process=args.n_process)
    # The command as the user invoked it (.venv/bin/framing unless the environment is active), and a run folder of
    # the story's own: without --out, `framing run` writes over the project's data/ and reports/.
    log.info("starter profile written to %s: read it, prune it, then run `%s run --story %s --corpus %s --out %s`",
             folder, _program(), folder if args.out else args.name,
             " ".join(shlex.quote(str(p)) for p in args.corpus), shlex.quote(f"{args.name}-run/"))
    return 0


def _stages(args) -> int:
    sys.stdout.write(_stage_list(with_params=True) + "\n")
    return 0


def _schema(args) -> int:
    from analysis import tables

    names = args.tables or list(tables.schemas())
    sys.stdout.write("\n\n".join(tables.markdown(n) for n in names) + "\n")
    return 0


def _status(args) -> int:
    from analysis import cache

    state = runner.last_run(args.out)
    published = cache.read(Path(args.out) / "data")  # when each published stage's results were computed
    if published:  # in pipeline order (the records are stored sorted by name), then any stage no longer declared
        order = [s.name for s in stages.all_stages() if s.name in published]
        order += sorted(set(published) - set(order))
        state["stages"] = {name: {k: published[name].get(k, "") for k in ("computed", "reused", "seconds", "failures")}
                           for name in order}
    sys.stdout.write(json.dumps(state, indent=2) + "\n")
    return 0 if state["status"] in ("complete", "none") else 1


class _Choices:
    """The allowed values of an option, read from their module (``coding.UNITS``) only when argparse checks a
    value: building the parser of every command must not import coding (and spaCy) or lessons. The option gets a
    ``metavar`` and names its values in its help, since argparse would otherwise list them when it is built."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def _values(self) -> tuple:
        import importlib

        return tuple(getattr(importlib.import_module(f"analysis.{self.module}"), self.name))

    def __contains__(self, value) -> bool:
        return value in self._values()

    def __iter__(self):
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


def _sample_parser(sub) -> None:
    sample = sub.add_parser("sample", help="write a coding sheet: a reproducible stratified sample of a run's units",
                            description="Draw a random, reproducible sample of a run's sentences, phrase hits or quotes, "
                                        "stratified by outlet and the workbook's own code, and write it as a coding "
                                        "sheet (CSV or XLSX) with blank code columns and a codebook beside it "
                                        "(<sheet>.codebook.md).")
    sample.add_argument("--out", required=True, metavar="SHEET", help="the sheet to write (.csv or .xlsx)")
    sample.add_argument("--n", type=int, default=40, help="units to sample (default 40)")
    sample.add_argument("--seed", type=int, default=1, help="random seed: the same run, unit, n and seed give the "
                                                            "same sheet (default 1)")
    sample.add_argument("--unit", choices=_Choices("coding", "UNITS"), default="sentence", metavar="UNIT",
                        help="what one row is: sentence, hit or quote (default sentence)")
    sample.add_argument("--data", default=str(stages.ROOT / "data"), metavar="DIR",
                        help="the run's tables (default: the project's data/)")
    sample.set_defaults(func=_sample)


def _sample(args) -> int:
    from analysis import coding

    try:
        if os.path.splitext(args.out)[1].lower() not in coding.FORMATS:
            raise ValueError(f"{args.out}: write a coding sheet as .csv or .xlsx")
        sheet = coding.sample(args.data, unit=args.unit, n=args.n, seed=args.seed)
        sheet_path, book = coding.write_sheet(sheet, args.out)
    except (ValueError, FileNotFoundError) as err:
        log.error("framing sample: %s", err)
        return 2
    log.info("coding sheet: %s (%d %s units); codebook: %s", sheet_path, len(sheet), args.unit, book)
    return 0


def _agreement_parser(sub) -> None:
    agreement = sub.add_parser("agreement", help="Krippendorff's alpha of coded sheets, among coders and against the "
                                                 "workbook, as an HTML report",
                               description="Read coded sheets of one sample (written by `framing sample`), check them "
                                           "against the run's sample, and write Krippendorff's alpha per variable "
                                           "with bootstrap intervals, confusion tables and the units where codes "
                                           "differ.")
    agreement.add_argument("sheets", nargs="+", metavar="SHEET", help="coded sheets (.csv or .xlsx), one per coder")
    agreement.add_argument("--against-tagger", action="store_true", help="also compare each coder with the workbook")
    agreement.add_argument("--data", default=str(stages.ROOT / "data"), metavar="DIR",
                           help="the run's tables the sample was drawn from (default: the project's data/)")
    agreement.add_argument("--out", default="agreement.html", metavar="HTML", help="the report (default agreement.html)")
    agreement.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for the intervals")
    agreement.set_defaults(func=_agreement)


def _agreement(args) -> int:
    from analysis import agreement, coding

    try:
        sheets, known = agreement.load(args.sheets, data_dir=args.data)
        result = agreement.compare(sheets, workbook=known if args.against_tagger else None, n_boot=args.n_boot)
    except (coding.SheetError, ValueError, FileNotFoundError) as err:
        log.error("framing agreement: %s", err)
        return 2
    sys.stdout.write(result.alphas.to_string(index=False, float_format=lambda x: f"{x:.3f}") + "\n")
    log.info("report: %s", agreement.report(result, args.out))
    return 0


def _lessons_parser(sub) -> None:
    parser = sub.add_parser("lessons", help="run the lessons headless and render them as HTML",
                            description="Run the lesson notebooks (notebooks/lessons/) with papermill on a run's "
                                        "tables (running the workbook on seeds/ into DIR first when DIR/data has no "
                                        "tables) and render each as HTML: the student edition hides the answers, the "
                                        "teacher edition shows them.")
    parser.add_argument("--out", required=True, metavar="DIR", help="where the lessons (DIR/lessons/) are written")
    parser.add_argument("--edition", choices=_Choices("lessons", "EDITIONS"), default="student", metavar="EDITION",
                        help="student or teacher (default student)")
    parser.add_argument("--only", metavar="A,B", help="run only these lessons (file stems or numbers)")
    parser.set_defaults(func=_lessons)


def _lessons(args) -> int:
    from analysis import lessons

    only = [n.strip() for n in args.only.split(",")] if args.only else None
    index = lessons.build(args.out, edition=args.edition, only=only)
    log.info("lessons: %s", index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
