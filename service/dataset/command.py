"""`radprep split`, `radprep stats` and `radprep dicom`.

Only argparse here at import time: numpy, pydicom, matplotlib and the name lists load in the run
functions, so `radprep --help` stays fast. Exit status: 0 done, 1 some records or files were bad
(listed in the errors file), 2 the run failed (raised as a `RadprepError`, printed by the CLI).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from service.options import EXIT_OK, EXIT_RECORD_ERRORS, add_weak_secret_option

log = logging.getLogger("radprep")



def add_parser(commands: Any) -> None:
    split = commands.add_parser(
        "split",
        help="patient-level train / validation / test split of a JSONL, CSV or Parquet file",
        description="Split the records of INPUT (raw input or `radprep process` output) into DIR/train, "
        "DIR/validation and DIR/test, in INPUT's format, each record copied unchanged. All records of a "
        "patient (patient_id, else metadata PatientID, else the record's id; IDs compared ignoring case "
        "and spaces) go to one split. The same seed gives the same split, whatever the order of INPUT. "
        "DIR/summary.json has the counts; bad records go to the errors file.",
    )
    split.add_argument("input", type=Path, metavar="INPUT", help="input file: .jsonl, .csv or .parquet")
    split.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="output folder")
    split.add_argument("--sizes", help="records per split as counts (140000,10000,10000) or fractions "
                       "(0.875,0.0625,0.0625); default: the proportions 140k / 10k / 10k of ReXGradient-160K")
    split.add_argument("--seed", type=int, default=0, help="seed of the patient order (default 0)")
    split.add_argument("--errors", type=Path, help="errors JSONL file (default: DIR.errors.jsonl beside DIR)")
    split.set_defaults(run=run_split)

    stats = commands.add_parser(
        "stats",
        help="Table 1 (studies, images, patients, section lengths) and Table 2 (age, sex) of processed output",
        description="Read `radprep process` output (a folder with train/validation/test .jsonl, .csv or .parquet, "
        "or one file) "
        "and print Table 1 (per split: studies, images, patients, mean tokens per section) and Table 2 "
        "(age bins and sex in %) as Markdown.",
    )
    stats.add_argument("input", type=Path, metavar="INPUT",
                       help="a folder of split files, or one processed file (.jsonl, .csv or .parquet)")
    stats.add_argument("--images", type=Path, help="the images.jsonl index of `radprep dicom`, to count images")
    stats.add_argument("--plots", type=Path, help="write age.png, sex.png and section_lengths.png into this folder")
    stats.add_argument("--json", type=Path, help="also write the figures as JSON")
    stats.set_defaults(run=run_stats)

    dicom = commands.add_parser(
        "dicom",
        help="DICOM → de-identified 16-bit PNG, linked to the reports by the same pseudonyms",
        description="Convert every DICOM file under INPUT_DIR to a 16-bit PNG (MONOCHROME1 inverted, "
        "min-max normalised to 0..65535, downscaled with bicubic interpolation and anti-aliasing) at "
        "OUTPUT_DIR/<patient pseudonym>/<study pseudonym>/, and write OUTPUT_DIR/images.jsonl with the "
        "de-identified header fields. Pseudonyms and date shifts come from RADPREP_SECRET as in "
        "`radprep process`. Files that cannot be converted go to the errors file; the others go on.",
    )
    dicom.add_argument("input", type=Path, metavar="INPUT_DIR", help="folder of DICOM files (searched recursively)")
    dicom.add_argument("-o", "--output", type=Path, required=True, metavar="OUTPUT_DIR", help="output folder")
    dicom.add_argument("--scale", type=float, default=0.25, help="output size as a share of the input (default 0.25)")
    dicom.add_argument("--detect-text", action="store_true",
                       help="find burned-in text with tesseract and black it out (apt-get install tesseract-ocr)")
    dicom.add_argument("--text-min-confidence", type=float, default=60.0,
                       help="tesseract word confidence (0-100) that counts as text (default 60)")
    dicom.add_argument("--workers", type=int, default=1, help="processes converting files in parallel (default 1)")
    dicom.add_argument("--errors", type=Path,
                       help="errors JSONL file (default: OUTPUT_DIR.errors.jsonl beside OUTPUT_DIR, not in it: "
                       "it names input files)")
    dicom.add_argument("--ephemeral-key", action="store_true",
                       help="run without RADPREP_SECRET using a random key: pseudonyms will match no other run")
    add_weak_secret_option(dicom)
    dicom.set_defaults(run=run_dicom)


def _errors_path(args: argparse.Namespace) -> Path:
    out: Path = args.output
    return args.errors or out.with_name(out.name + ".errors.jsonl")


def _finish(errors_path: Path, bad: int, what: str) -> int:
    if bad:
        log.warning("%d %s; see %s", bad, what, errors_path)
        return EXIT_RECORD_ERRORS
    errors_path.unlink(missing_ok=True)
    return EXIT_OK


def run_split(args: argparse.Namespace) -> int:
    from service.dataset.split import Sizes, default_sizes, split_file

    sizes = Sizes.parse(args.sizes) if args.sizes else default_sizes()
    errors_path = _errors_path(args)
    errors_path.parent.mkdir(parents=True, exist_ok=True)
    with errors_path.open("w", encoding="utf-8") as errors:
        result = split_file(args.input, args.output, sizes, args.seed, errors)
    summary = result.summary(args.input.name, args.seed, args.sizes or "default")
    (args.output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(result.markdown())
    return _finish(errors_path, result.errors, "invalid records skipped")


def run_stats(args: argparse.Namespace) -> int:
    from service.dataset.stats import as_json, collect, markdown, read_image_counts

    images = read_image_counts(args.images) if args.images else None
    per_split, errors = collect(args.input, images)
    for exc in errors[:20]:
        log.warning("%s", exc)
    print(markdown(per_split, images is not None))
    if args.json:
        args.json.write_text(json.dumps(as_json(per_split), indent=2) + "\n", encoding="utf-8")
    if args.plots:
        from service.dataset.plots import write_plots

        for path in write_plots(per_split, args.plots):
            log.info("wrote %s", path)
    if errors:
        log.warning("%d records could not be counted%s", len(errors), " (first 20 above)" if len(errors) > 20 else "")
        return EXIT_RECORD_ERRORS
    return EXIT_OK


def run_dicom(args: argparse.Namespace) -> int:
    from service.dataset.convert import INDEX_NAME, ConvertOptions, convert_folder
    from service.dataset.ocr import require_tesseract
    from service.errors import InputError
    from service.settings import load_settings, resolve_secret

    if not args.input.is_dir():
        raise InputError(f"input folder not found: {args.input}")
    if not 0 < args.scale <= 1:
        raise InputError("--scale must be in (0, 1]")
    if args.workers < 1:
        raise InputError("--workers must be at least 1")
    if args.detect_text:
        require_tesseract()
    secret = resolve_secret(load_settings(**({"allow_weak_secret": True} if args.allow_weak_secret else {})),
                            args.ephemeral_key)
    options = ConvertOptions(args.scale, args.detect_text, args.text_min_confidence)
    errors_path = _errors_path(args)
    errors_path.parent.mkdir(parents=True, exist_ok=True)
    with errors_path.open("w", encoding="utf-8") as errors:
        summary = convert_folder(args.input, args.output, secret, options, errors, args.workers)
    if summary.files == 0:
        errors_path.unlink(missing_ok=True)
        raise InputError(f"no DICOM files under {args.input} ({summary.skipped} other files skipped)")
    rate = summary.images / summary.seconds if summary.seconds > 0 else 0.0
    log.info("%d DICOM files: %d images written to %s (%.1f images/s), %d errors, %d other files skipped",
             summary.files, summary.images, args.output, rate, summary.errors, summary.skipped)
    if args.detect_text:
        log.info("burned-in text found and blacked out in %d of %d images", summary.with_text, summary.images)
    log.info("index: %s", args.output / INDEX_NAME)
    return _finish(errors_path, summary.errors, "files could not be converted")
