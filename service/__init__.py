"""radprep: de-identify raw chest X-ray reports and split them into sections."""

__version__ = "0.1.0"
