"""The serving modules' layering: the API and the page each stand on the service, never on each other."""

import subprocess
import sys

import pytest


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return set(r.stdout.split())


def test_the_api_works_without_the_page():
    loaded = loaded_after("import mnistgan.serve.api")
    assert "gradio" not in loaded
    assert not [m for m in loaded if m.startswith("mnistgan.serve.ui")]


@pytest.mark.parametrize("module", ["page", "generate", "interpolate", "mix", "compare", "vote", "model_info", "endpoints"])
def test_the_page_does_not_import_the_api(module):
    loaded = loaded_after(f"import mnistgan.serve.ui.{module}")
    assert "mnistgan.serve.api" not in loaded and "mnistgan.serve.server" not in loaded
    assert "mnistgan.serve.service" in loaded
