"""The HTTP service (`radprep serve`): FastAPI around the same pipeline as `radprep process`."""
