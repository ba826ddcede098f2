"""`mnistgan zoo`: two tiny presets x two seeds on a few seconds each write the table, the JSON and the
page, count what collapsed, and a second run resumes instead of retraining."""

import json

import pytest

from mnistgan.cli import main
from mnistgan.errors import MnistganError
from mnistgan.zoo.report import mean_std, summarize
from mnistgan.zoo.runner import ZooSettings, run_dir, run_zoo

TINY = (("g_width", 8), ("d_width", 8), ("latent_dim", 16), ("precision", "fp32"), ("device", "cpu"),
        ("train_subset", 640))


def settings(tmp_path, **kw):
    base = dict(presets=("mlp-gan", "cdcgan"), images=640, seeds=2, eval_samples=300, curve_points=2,
                curve_samples=200, overrides=TINY, out=tmp_path / "zoo")
    return ZooSettings(**{**base, **kw})


def test_zoo_trains_scores_and_resumes(tmp_path):
    s = settings(tmp_path)
    results = run_zoo(s, log=lambda m: None)
    assert [(r["preset"], r["seed"]) for r in results] == [("mlp-gan", 0), ("mlp-gan", 1), ("cdcgan", 0), ("cdcgan", 1)]
    for r in results:
        assert r["status"] in ("ok", "collapsed") and r["fid"] > 0 and 0 <= r["recall"] <= 1
        assert len(r["curve"]) == 2 and r["curve"][0]["steps"] <= r["curve"][1]["steps"] == r["steps"]
        assert r["images_per_s"] > 0
    assert "cond_acc" in results[2] and "cond_acc" not in results[0]
    # A second run with the same settings reads the results back instead of training again.
    (run_dir(s, "cdcgan", 1).root / "result.json").unlink()  # as if interrupted before scoring
    stamps = {r: (run_dir(s, *r).root / "result.json").stat().st_mtime_ns
              for r in [("mlp-gan", 0), ("mlp-gan", 1), ("cdcgan", 0)]}
    again = run_zoo(s, log=lambda m: None)
    assert [r["fid"] for r in again[:3]] == [r["fid"] for r in results[:3]]
    assert all((run_dir(s, *r).root / "result.json").stat().st_mtime_ns == t for r, t in stamps.items())
    assert again[3]["fid"] == pytest.approx(results[3]["fid"])  # re-scored from the finished run, not retrained


def test_cli_writes_the_page_table_and_json_and_refuses_other_settings(tmp_path, capsys):
    out = tmp_path / "zoo"
    args = ["zoo", "--preset", "mlp-gan", "--preset", "dcgan", "--images", "1024", "--seeds", "2",
            "--eval-samples", "300", "--curve-points", "2", "--curve-samples", "200", "--out", str(out), "--device", "cpu"]
    main(args)
    printed = capsys.readouterr().out
    assert "| preset |" in printed and "mlp-gan" in printed and "± " in printed
    page = (out / "index.html").read_text()
    assert page.count("<img") >= 3 and "FID against training time" in page and "data:image/png;base64," in page
    data = json.loads((out / "results.json").read_text())
    assert {row["preset"] for row in data["summary"]} == {"mlp-gan", "dcgan"} and len(data["runs"]) == 4
    assert (out / "table.md").read_text().startswith("| preset |") and (out / "fid_vs_time.png").stat().st_size > 0
    with pytest.raises(SystemExit) as e:
        main([*args[:5], "--images", "2048", *args[7:]])
    assert e.value.code == 1 and "other settings" in capsys.readouterr().err


def test_summary_counts_collapsed_and_diverged_runs_and_never_drops_them():
    results = [{"preset": "a", "seed": 0, "status": "ok", "fid": 1.0, "curve": []},
               {"preset": "a", "seed": 1, "status": "collapsed", "fid": 30.0, "curve": []},
               {"preset": "a", "seed": 2, "status": "diverged", "curve": []}]
    (row,) = summarize(results)
    assert row["runs"] == 3 and row["collapsed"] == 1 and row["diverged"] == 1
    assert row["fid"] == mean_std([1.0, 30.0])


@pytest.mark.bad_input("cli")
def test_a_budget_is_required_and_only_one(tmp_path):
    with pytest.raises(MnistganError, match="--seconds or --images"):
        ZooSettings(out=tmp_path)
    with pytest.raises(MnistganError, match="--seconds or --images"):
        ZooSettings(seconds=10, images=100, out=tmp_path)
    with pytest.raises(MnistganError, match="unknown preset"):
        ZooSettings(presets=("nope",), seconds=1, out=tmp_path)
