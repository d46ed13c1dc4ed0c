"""What importing a package loads: de-identification and the settings stand alone."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["service.deid", "service.settings", "service.errors", "service.options"])
def test_a_leaf_loads_neither_the_sectioner_nor_a_backend(module: str) -> None:
    code = (f"import sys, {module}; "
            "print(sorted(m for m in sys.modules if m.startswith(('service.sections', 'service.backends'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
