"""Where the Model info tab finds a model's training curves, and how it shows its card."""

from mnistgan.serve.ui.model_info import metric_rows, strip_front_matter, training_curves
from mnistgan.train.rundir import RunDir


def model_folder(path):
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    return path


def test_the_model_folders_own_curves_come_first(tmp_path):
    run = RunDir(tmp_path / "run")
    model = model_folder(run.model_dir)
    run.curves_path.write_bytes(b"the run's")
    (model / "losses.png").write_bytes(b"the model's")
    assert training_curves(model) == model / "losses.png"


def test_a_runs_model_folder_falls_back_to_the_runs_curves(tmp_path):
    run = RunDir(tmp_path / "run")
    model = model_folder(run.best_dir)
    run.curves_path.write_bytes(b"png")
    assert training_curves(model) == run.curves_path


def test_a_registered_copy_without_curves_has_none(tmp_path):
    model = model_folder(tmp_path / "models" / "tiny" / "v1")
    (model / "info.json").write_text('{"command": "mnistgan train --out /elsewhere"}')
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "losses.png").write_bytes(b"png")  # never found through the command line
    assert training_curves(model) is None


def test_the_card_loses_its_yaml_header_and_metrics_sit_beside_the_floor():
    assert strip_front_matter("---\nlicense: mit\n---\n\n# tiny\ntext") == "# tiny\ntext"
    assert strip_front_matter("# no header") == "# no header"
    info = {"metrics": {"model": {"fid": 287.5, "kid": 0.3125}, "floor": {"fid": 0.75}}}
    assert metric_rows(info) == [["fid", "287.5", "0.75"], ["kid", "0.3125", "n/a"]]
    assert metric_rows({}) == []
