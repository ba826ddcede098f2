"""The command line starts fast: building it, and any `--help`, never imports torch (issue 17).

Command modules import the library inside their commands; these checks run in a fresh interpreter,
since this test process has long imported torch.
"""

import subprocess
import sys

import pytest

PROBE = """
import sys
import mnistgan.cli
try:
    mnistgan.cli.main(sys.argv[1:])
except SystemExit as e:
    if e.code not in (0, None):
        raise
print("torch" in sys.modules)
"""

HELPS = [
    ["--help"],
    ["data", "--help"],
    ["data", "fetch", "--help"],
    ["train", "--help"],
    ["evaluate", "--help"],
    ["generate", "--help"],
    ["grid", "--help"],
    ["report", "--help"],
    ["run", "--help"],
    ["serve", "--help"],
    ["models", "add", "--help"],
]


def probe(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)


def test_importing_the_command_line_does_not_import_torch():
    r = subprocess.run([sys.executable, "-c", "import sys, mnistgan.cli; print('torch' in sys.modules)"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "False"


@pytest.mark.parametrize("argv", HELPS, ids=" ".join)
def test_help_does_not_import_torch(argv):
    r = probe(*argv)
    assert r.returncode == 0, r.stderr[-2000:]
    *help_text, torch_imported = r.stdout.strip().splitlines()
    assert help_text[0].startswith("Usage: ")
    assert torch_imported == "False", f"mnistgan {' '.join(argv)} imported torch"


def test_the_cli_copies_of_constants_match_the_library():
    """Copied because their modules import torch or numpy: `--help` shows them without importing those."""
    from mnistgan import presets, sampling
    from mnistgan.cli import run, serve

    assert run.DEFAULT_PRESET == presets.DEFAULT_PRESET
    assert serve.SERVE_BACKEND_ENV == sampling.SERVE_BACKEND_ENV
