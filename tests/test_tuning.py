"""mnistgan tune: FID-scored Optuna sweeps on SQLite (interrupted, resumed) and shared by two workers in PostgreSQL."""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import optuna
import pytest
from optuna.trial import TrialState

from mnistgan import tuning
from mnistgan.cli import main
from mnistgan.config import resolve
from mnistgan.search_spaces import SEARCH_SPACES, Space

REPO = Path(__file__).resolve().parents[1]
TINY = ["--epochs-per-trial", "2", "--train-subset", "256", "--eval-samples", "200", "--g-width", "8",
        "--d-width", "8", "--latent-dim", "16", "--device", "cpu", "--precision", "fp32"]


def load(url: str, name: str):
    return optuna.load_study(study_name=name, storage=url)


def test_sweep_on_sqlite_survives_an_interrupt_and_resumes(tmp_path, monkeypatch, capsys):
    """3 tiny hinge-sn trials: the 2nd is interrupted, the rerun finishes the study; best config trains."""
    from mnistgan.train.loop import Trainer

    out = tmp_path / "sweep"
    args = ["tune", "--preset", "hinge-sn", "--trials", "3", "--out", str(out), *TINY]
    fit, calls = Trainer.fit, []

    def fit_interrupted_on_the_second_trial(self):
        calls.append(self.run)
        if len(calls) == 2:
            raise KeyboardInterrupt  # what Ctrl-C does to a trial in flight
        return fit(self)

    monkeypatch.setattr(Trainer, "fit", fit_interrupted_on_the_second_trial)
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 130
    url = f"sqlite:///{out / 'study.db'}"
    states = [t.state for t in load(url, "hinge-sn").trials]
    assert states == [TrialState.COMPLETE, TrialState.FAIL]  # the finished trial is kept
    assert "run the same command again" in capsys.readouterr().err

    monkeypatch.setattr(Trainer, "fit", fit)
    main(args)  # the same command resumes: 2 more trials
    study = load(url, "hinge-sn")
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(complete) == 3 and [t.number for t in complete] == [0, 2, 3]
    assert complete[0].user_attrs["baseline"] and complete[0].params == dict(  # trial 0: the recipe as published
        lr_g=1e-3, lr_d=1e-3, beta1=0.5, beta2=0.999, batch_size=64, n_critic=1)
    for t in complete:  # conditional preset: the documented combination of FID and accuracy
        fid, acc = t.user_attrs["fid"], t.user_attrs["cond_acc"]
        assert t.value == pytest.approx(fid * (1 + 10 * (1 - acc)))
        assert sorted(t.intermediate_values) == [1, 2] and t.intermediate_values[2] == pytest.approx(t.value)
        assert set(t.params) == {"lr_g", "lr_d", "beta1", "beta2", "batch_size", "n_critic"}  # latent_dim was fixed
        assert (Path(t.user_attrs["run_dir"]) / "model" / "model.safetensors").exists()
    printed = capsys.readouterr().out
    assert "study hinge-sn" in printed and "3 complete, 1 fail" in printed

    best = min(complete, key=lambda t: t.value)
    config_file = out / "best_config.json"
    saved = json.loads(config_file.read_text())
    assert saved["preset"] == "hinge-sn" and "train_subset" not in saved and "device" not in saved
    cfg = resolve(config_file=config_file)  # what `mnistgan train --config FILE` does
    assert (cfg.lr_g, cfg.batch_size, cfg.latent_dim, cfg.g_width) == (best.params["lr_g"], best.params["batch_size"], 16, 8)
    record = json.loads((out / "best_trial.json").read_text())
    assert record["trial"] == best.number and "--config" in record["reproduce"]
    for plot in ("optimization_history.png", "param_importances.png"):
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    main(args)  # all 3 finished: nothing runs
    assert len(load(url, "hinge-sn").trials) == 4
    assert "already has 3 finished trials" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # other settings cannot join the study
        main([*args, "--eval-samples", "300"])
    assert exit_info.value.code == 1 and "other settings" in capsys.readouterr().err


def test_trial_reporter_reports_each_epoch_and_prunes():
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=100.0))
    fids = {1: 50.0, 2: 150.0, 3: 500.0}
    trainer = SimpleNamespace(rank=0, progress=SimpleNamespace(epoch=1), cfg=SimpleNamespace(epochs=3))
    trial = study.ask()
    reporter = tuning.TrialReporter(trial)

    def measured(epoch):
        return {"eval": {"model": {"fid": fids[epoch], "cond_acc": None}}}

    reporter.on_epoch_end(trainer, measured(1))
    trainer.progress.epoch = 2
    with pytest.raises(optuna.TrialPruned):
        reporter.on_epoch_end(trainer, measured(2))
    trainer.progress.epoch = 3  # the last epoch: reported, never pruned
    reporter.on_epoch_end(trainer, measured(3))
    reporter.on_epoch_end(trainer, {})  # an epoch without an evaluation reports nothing
    assert study._storage.get_trial(trial._trial_id).intermediate_values == {1: 50.0, 2: 150.0, 3: 500.0}


def test_objective_and_search_spaces():
    assert tuning.objective_value(20.0, None) == 20.0
    assert tuning.objective_value(20.0, 0.9) == pytest.approx(40.0)  # 90% accuracy doubles the FID
    from mnistgan.presets import PRESETS

    for preset in PRESETS.values():
        space = Space(optuna.create_study().ask(), fixed={"batch_size": 64})
        SEARCH_SPACES[preset.name](space)
        assert {"lr_g", "lr_d", "beta1", "beta2"} <= set(space.values) and "batch_size" not in space.values
        resolve(preset.name, **space.values)  # every suggestion is a valid TrainConfig
        # The preset's defaults lie inside its space, so the baseline trial really runs them.
        defaults = tuning.preset_defaults(tuning.SweepSettings(preset=preset.name, trials=1, out=Path("x")))
        study = optuna.create_study()
        study.enqueue_trial(defaults)
        space = Space(study.ask())
        SEARCH_SPACES[preset.name](space)
        assert space.values == defaults and defaults["lr_g"] == preset.defaults["lr_g"]
    with pytest.raises(Exception, match="unknown training option"):
        tuning.SweepSettings(preset="dcgan", trials=1, out=Path("x"), fixed={"lr": 1})


# ---------------------------------------------------------------- PostgreSQL, two workers


def _postgres_bin() -> Path | None:
    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(found) / "initdb").exists() and (Path(found) / "pg_ctl").exists():
            return Path(found)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL cluster on a free loopback port (Debian's `postgresql` package)."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql; make test installs it "
                    "when it can), so the two-worker study test cannot run")
    as_user: list[str] = []
    root = tempfile.mkdtemp(prefix="mnistgan-pg-")
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
        os.chown(root, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = Path(root) / "data", _free_port()

    def pg(*args: str) -> None:
        r = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)
        log = Path(root) / "log"
        assert r.returncode == 0, f"{args[0]} failed: {r.stdout}{r.stderr}{log.read_text() if log.exists() else ''}"

    try:
        pg(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-l", f"{root}/log", "-w", "-t", "60", "-o",
           f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c shared_buffers=16MB "
           "-c dynamic_shared_memory_type=mmap -c max_connections=40", "start")
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE optuna")
        conn.close()
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/optuna"
    finally:
        if data.exists():
            subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_two_workers_share_one_study_in_postgresql(postgres_url, tmp_path):
    """The README's recipe: the same command on two workers; the study gets every trial of both, once."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = []
    for name in ("a", "b"):
        command = [sys.executable, "-m", "mnistgan", "tune", "--preset", "dcgan", "--trials", "4", "--study", "shared",
                   "--storage", postgres_url, "--out", str(tmp_path / name), "--pruner", "none", *TINY,
                   "--epochs-per-trial", "1"]
        workers.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True))
        time.sleep(0.5)
    outputs = [w.communicate(timeout=300) for w in workers]
    for w, (stdout, stderr) in zip(workers, outputs):
        assert w.returncode == 0, stdout[-2000:] + stderr[-2000:]

    study = load(postgres_url, "shared")
    trials = study.trials
    assert [t.number for t in trials] == list(range(len(trials)))  # no number lost or repeated
    assert all(t.state == TrialState.COMPLETE for t in trials) and 4 <= len(trials) <= 5  # a worker may finish one in flight
    by_worker: dict[str, list] = {}
    for t in trials:
        by_worker.setdefault(t.user_attrs["worker"], []).append(t)
    assert len(by_worker) == 2, by_worker.keys()  # both workers ran trials
    for name in ("a", "b"):  # each trial's run lives with the worker that ran it, and nowhere else
        ran_here = {Path(p.name) for p in (tmp_path / name / "trials").iterdir()}
        mine = [t for t in trials if Path(t.user_attrs["run_dir"]).parent.parent == (tmp_path / name).resolve()]
        assert ran_here == {Path(Path(t.user_attrs["run_dir"]).name) for t in mine} and mine
        assert json.loads((tmp_path / name / "best_config.json").read_text())["preset"] == "dcgan"
    assert "postgresql+psycopg2://postgres@127.0.0.1" in outputs[0][1]  # where the study lives, said up front
