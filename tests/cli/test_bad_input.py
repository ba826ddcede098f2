"""Bad command-line input, command by command: one `error:` line, a non-zero exit, no traceback.

BAD_INPUTS is the whole list, run in-process through `mnistgan.cli.main` (the entry point
`mnistgan` calls). READ_ONLY_OUTS are the commands' outputs aimed at a directory that really is
read-only: as root (where chmod stops nothing) they run as an unprivileged user
(tests/unprivileged.py), in one subprocess for all of them.

Placeholders: {tmp} a fresh directory, {blocker} a plain file where a directory should be,
{run} a directory that looks like a run (a config.json, no samples), {ro} a read-only directory.
The bundled models `cdcgan` (conditional) and `dcgan` (unconditional) stand in for trained ones.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from mnistgan.cli import main
from tests import unprivileged
from tests.conftest import REPO

COND, UNCOND = "cdcgan", "dcgan"
BUNDLED_DIR = str(REPO / "src" / "mnistgan" / "pretrained" / UNCOND)

BAD_INPUTS = [
    # train
    (["train", "--epochs", "-1"], "--epochs must be at least 1, got -1"),
    (["train", "--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["train", "--reg-every", "0"], "--reg-every must be at least 1, got 0"),
    (["train", "--max-steps", "-3"], "--max-steps must be at least 1"),
    (["train", "--batch-size", "0"], "--batch-size must be at least 1"),
    (["train", "--lr", "5"], "--lr-g must be in (0, 1)"),
    (["train", "--preset", "nope"], "unknown preset 'nope'"),
    (["train", "--out", "{blocker}/run"], "cannot create run directory {blocker}/run"),
    (["train", "--out", "{blocker}"], "run directory {blocker} is not a directory"),
    (["train", "--resume", "{tmp}/nowhere"], "no checkpoints to resume from"),
    (["train", "--config", "{tmp}/nope.json"], "no such config file"),
    (["train", "--digit", "3"], "No such option: --digit"),  # train has no digits to choose
    (["train", "--precision", "fp8"], "--precision must be auto, fp32, tf32, bf16 or fp16, not 'fp8'"),
    (["train", "--device", "cpu", "--precision", "tf32", "--out", "{tmp}/run"], "--precision tf32 needs a CUDA device"),
    # run (the main job)
    (["run", "--epochs", "-1"], "Invalid value for '--epochs'"),
    (["run", "--preset", "nope", "--out", "{tmp}/main"], "unknown preset 'nope'"),
    (["run", "--out", "{blocker}/main"], "cannot create run directory {blocker}/main"),  # once a traceback
    (["run", "--out", "{blocker}"], "run directory {blocker} is not a directory"),  # once a traceback
    (["run", "--max-steps", "-1", "--out", "{tmp}/main"], "--max-steps must be at least 1"),
    # tune
    (["tune", "--preset", "nope", "--trials", "1"], "unknown preset 'nope'"),
    (["tune", "--preset", "mlp-gan", "--trials", "1", "--epochs-per-trial", "-1"], "Invalid value for '--epochs-per-trial'"),
    (["tune", "--preset", "mlp-gan", "--trials", "0"], "Invalid value for '--trials'"),
    (["tune", "--preset", "mlp-gan", "--trials", "1", "--pruner", "nope"], "--pruner must be one of"),
    (["tune", "--preset", "mlp-gan", "--trials", "1", "--out", "{blocker}/sweep"], "cannot create sweep directory"),  # once a traceback
    # generate
    (["generate", "--model", COND, "--digit", "12", "--out", "{tmp}/a.png"], "digit must be an integer 0-9, got 12"),
    (["generate", "--model", COND, "--digit", "-1", "--out", "{tmp}/a.png"], "digit must be an integer 0-9, got -1"),
    (["generate", "--model", UNCOND, "--digit", "3", "--out", "{tmp}/a.png"], "is unconditional"),
    (["generate", "--model", UNCOND, "--digit", "12", "--out", "{tmp}/a.png"], "is unconditional"),
    (["generate", "--model", COND, "--out", "{blocker}/a.png"], "output directory {blocker} is not a directory"),
    (["generate", "--model", COND, "--out", "{tmp}/a.txt"], "output must end in .png or .npz"),
    (["generate", "--model", COND, "--num", "0", "--out", "{tmp}/a.png"], "Invalid value for '--num'"),
    (["generate", "--model", COND, "--num", "-5", "--out", "{tmp}/a.png"], "Invalid value for '--num'"),
    (["generate", "--model", COND, "--num", "1000001", "--out", "{tmp}/a.png"], "Invalid value for '--num'"),
    (["generate", "--model", COND, "--seed", "-1", "--out", "{tmp}/a.png"], "Invalid value for '--seed'"),
    (["generate", "--model", "nope", "--out", "{tmp}/a.png"], "unknown model 'nope'"),
    (["generate", "--model", "../../etc/passwd", "--out", "{tmp}/a.png"], "no such model folder"),
    (["generate", "--model", f"{COND}@9", "--out", "{tmp}/a.png"], "has no version 9"),
    (["generate", "--model", f"{COND}@²", "--out", "{tmp}/a.png"], "invalid model name"),  # once a traceback
    # interpolate, compare, grid, progress, report
    (["interpolate", "--model", COND, "--from-digit", "12", "--out", "{tmp}/a.png"], "Invalid value for '--from-digit'"),
    (["interpolate", "--model", COND, "--to-digit", "-1", "--out", "{tmp}/a.png"], "Invalid value for '--to-digit'"),
    (["interpolate", "--model", UNCOND, "--from-digit", "3", "--out", "{tmp}/a.png"], "is unconditional"),
    (["interpolate", "--model", COND, "--out", "{blocker}/a.png"], "output directory {blocker} is not a directory"),
    (["interpolate", "--model", COND, "--out", "{tmp}/a.jpg"], "output must end in .png or .gif"),
    (["interpolate", "--model", COND, "--steps", "1", "--out", "{tmp}/a.png"], "Invalid value for '--steps'"),
    (["compare", "--model", COND, "--out", "{blocker}/a.png"], "output directory {blocker} is not a directory"),
    (["compare", "--model", COND, "--per-class", "0", "--out", "{tmp}/a.png"], "Invalid value for '--per-class'"),
    (["compare", "--model", "nope", "--out", "{tmp}/a.png"], "unknown model 'nope'"),
    (["grid", "--model", COND, "--out", "{blocker}/a.png"], "output directory {blocker} is not a directory"),
    (["grid", "--model", COND, "--per-class", "101", "--out", "{tmp}/a.png"], "Invalid value for '--per-class'"),
    (["progress", "{tmp}/nowhere", "--out", "{tmp}/p.png"], "no such run directory"),
    (["progress", "{run}", "--out", "{blocker}/p.png"], "output directory {blocker} is not a directory"),
    (["progress", "{run}", "--out", "{tmp}/p.png"], "no samples"),
    (["report", "{tmp}/nowhere"], "no such run directory"),
    (["report", "{run}", "--out", "{blocker}/r.html"], "output directory {blocker} is not a directory"),
    (["report", "{run}", "--out", "{tmp}/r.txt"], "output must end in .html"),
    # evaluate
    (["evaluate"], "give either --model or --samples"),
    (["evaluate", "--model", COND, "--num", "1"], "Invalid value for '--num'"),
    (["evaluate", "--model", COND, "--json", "{blocker}/m.json"], "output directory {blocker} is not a directory"),  # once after minutes of scoring
    (["evaluate", "--model", COND, "--pairs", "{blocker}/p.png"], "output directory {blocker} is not a directory"),  # once after minutes of scoring
    (["evaluate", "--model", COND, "--pairs", "{tmp}/p.jpg"], "--pairs must end in .png"),
    (["evaluate", "--samples", "{tmp}/nowhere.npz"], "no such file"),
    (["evaluate", "--model", UNCOND, "--digit", "3"], "No such option: --digit"),
    # models
    (["models", "add", "{tmp}/nowhere", "--name", "x"], "no such run or model folder"),
    (["models", "add", BUNDLED_DIR, "--name", "../../etc"], "invalid model name"),
    (["models", "add", BUNDLED_DIR, "--name", "Bad Name"], "invalid model name"),
    # serve (each fails before the server starts)
    (["serve", "--port", "70000"], "Invalid value for '--port'"),
    (["serve", "--workers", "0"], "Invalid value for '--workers'"),
    (["serve", "--votes-db", "{blocker}/votes.sqlite"], "cannot open the vote database"),
    # data
    (["data", "fetch", "--bogus"], "No such option: --bogus"),
]

# Outputs aimed at a really read-only directory {ro}, each one command.
READ_ONLY_OUTS = [
    (["train", "--out", "{ro}/run"], "cannot create run directory {ro}/run (Permission denied)"),
    (["run", "--out", "{ro}/main"], "cannot create run directory {ro}/main (Permission denied)"),
    (["tune", "--preset", "mlp-gan", "--trials", "1", "--out", "{ro}/sweep"], "cannot create sweep directory"),
    (["generate", "--model", COND, "--out", "{ro}/a.png"], "output directory {ro} is not writable"),
    (["interpolate", "--model", COND, "--out", "{ro}/a.gif"], "output directory {ro} is not writable"),
    (["compare", "--model", COND, "--out", "{ro}/a.png"], "output directory {ro} is not writable"),
    (["grid", "--model", COND, "--out", "{ro}/a.png"], "output directory {ro} is not writable"),
    (["report", "{run}", "--out", "{ro}/r.html"], "output directory {ro} is not writable"),
    (["evaluate", "--model", COND, "--json", "{ro}/m.json"], "output directory {ro} is not writable"),
    (["models", "add", "{model}", "--name", "mine"], "cannot create registry folder"),  # MNISTGAN_HOME is {ro}
    (["serve", "--votes-db", "{ro}/votes.sqlite"], "cannot open the vote database"),
]


def test_the_census():
    print(f"\n{len(BAD_INPUTS)} bad command lines, {len(READ_ONLY_OUTS)} outputs into a read-only directory, "
          f"over {len({a[0] for a, _ in BAD_INPUTS + READ_ONLY_OUTS})} commands")
    # every command where the list applies is covered
    for command, fragment in [("train", "--epochs must be at least 1"), ("run", "--epochs"), ("train", "unknown preset"),
                              ("run", "unknown preset"), ("tune", "unknown preset"), ("generate", "got 12"),
                              ("interpolate", "--from-digit"), ("generate", "is unconditional"),
                              ("interpolate", "is unconditional")]:
        assert any(a[0] == command and fragment in m for a, m in BAD_INPUTS), (command, fragment)
    writers = {"train", "run", "tune", "generate", "interpolate", "compare", "grid", "report", "evaluate", "models", "serve"}
    assert writers <= {a[0] for a, _ in READ_ONLY_OUTS}


@pytest.fixture
def places(tmp_path, monkeypatch):
    (tmp_path / "blocker").write_text("")
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"config": {"preset": "cdcgan"}}))
    monkeypatch.setenv("MNISTGAN_HOME", str(tmp_path / "home"))
    return {"tmp": str(tmp_path), "blocker": str(tmp_path / "blocker"), "run": str(run)}


def fill(text: str, places: dict) -> str:
    return text.format(**places)


@pytest.mark.bad_input("cli")
@pytest.mark.timeout(120)  # a case that failed to fail would start real work; never a server forever
@pytest.mark.parametrize("args, fragment", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_error_line(args, fragment, places, capsys):
    with pytest.raises(SystemExit) as e:
        main([fill(a, places) for a in args])
    err = capsys.readouterr().err.strip()
    assert e.value.code in (1, 2), err  # 2: the command line itself (unknown option, out of range)
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and err.splitlines()[-1] == errors[0], err
    assert fill(fragment, places) in errors[0], err
    print(errors[0])


DRIVER = """
import contextlib, io, json, sys
from mnistgan.cli import main

results = []
for args in json.loads(sys.argv[1]):
    err = io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(args)
        except SystemExit as e:
            code = e.code
        except BaseException as e:  # a traceback the CLI let through: reported, not hidden
            code = "uncaught " + type(e).__name__ + ": " + str(e)
    results.append({"code": code, "err": err.getvalue()})
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def read_only_results():
    """Every READ_ONLY_OUTS command, run as an unprivileged user in one process, after a control
    command that writes beside {ro} (so a refusal is the read-only bit's doing, nothing else's)."""
    with unprivileged.workspace() as root:
        ro, rw, run, home = root / "ro", root / "rw", root / "run", root / "home"
        for d in (ro, rw, run, home):
            d.mkdir()
        (run / "config.json").write_text(json.dumps({"config": {"preset": "cdcgan"}}))
        # A copy the unprivileged user may read: the checkout itself can sit in a 0700 directory
        # (mktemp -d), where the CLI's readability check (access(2), blind to capabilities) says no.
        shutil.copytree(BUNDLED_DIR, root / "model")
        unprivileged.give(root)
        unprivileged.read_only(ro)
        places = {"ro": str(ro), "run": str(run), "model": str(root / "model")}
        control = ["generate", "--model", COND, "--num", "1", "--out", str(rw / "ok.png")]
        argvs = [control] + [[fill(a, places) for a in args] for args, _ in READ_ONLY_OUTS]
        env = unprivileged.environment(home, MNISTGAN_HOME=str(ro))
        r = subprocess.run(unprivileged.command([sys.executable, "-c", DRIVER, json.dumps(argvs)]), cwd=REPO,
                           env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        control_result, *results = json.loads(r.stdout.strip().splitlines()[-1])
        assert control_result["code"] == 0 and (rw / "ok.png").stat().st_size > 0, control_result
        assert list(ro.iterdir()) == []  # nothing got in
        yield results, places


@pytest.mark.bad_input("cli")
@pytest.mark.parametrize("index", range(len(READ_ONLY_OUTS)), ids=[" ".join(a) for a, _ in READ_ONLY_OUTS])
def test_an_output_into_a_read_only_directory_is_one_error_line(index, read_only_results):
    results, places = read_only_results
    result, fragment = results[index], READ_ONLY_OUTS[index][1]
    err = result["err"].strip()
    assert result["code"] == 1, result
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and err.splitlines()[-1] == errors[0] and "Traceback" not in err, err
    assert fill(fragment, places) in errors[0], err
    print(errors[0])
