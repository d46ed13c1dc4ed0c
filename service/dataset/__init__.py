"""Dataset tools: what turns de-identified reports and their DICOM images into a release.

- `rows`: reading records (raw input or `radprep process` output) without the raw-input validation,
  and the patient key a record belongs to.
- `split`: patient-level train / validation / test splits.
- `stats` and `plots`: Table 1 (studies, images, patients, section lengths) and Table 2 (age, sex).
- `dicom` (read a file: pixels and the metadata header fields), `pixels` (normalise, downscale, PNG),
  `ocr` (burned-in text), `convert` (a folder of DICOM files to pseudonymous PNGs and an index).
- `command`: the `split`, `stats` and `dicom` subcommands of `radprep`.
"""
