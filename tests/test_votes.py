import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mnistgan.errors import MnistganError
from mnistgan.votes import PairStats, VoteStore


def test_win_rates_count_each_pair_whichever_side_it_was_shown_on(tmp_path):
    store = VoteStore(tmp_path / "votes.sqlite")
    store.record("b@1", "a@1", "left", digit=7, seed=3)   # b wins, shown on the left
    store.record("a@1", "b@1", "left")                    # a wins
    store.record("a@1", "b@1", "right")                   # b wins
    store.record("a@1", "c@1", "right")                   # c wins
    assert store.win_rates() == [PairStats("a@1", "b@1", 1, 2), PairStats("a@1", "c@1", 0, 1)]
    pair = store.win_rates()[0]
    assert pair.votes == 3 and pair.win_rate_a == pytest.approx(1 / 3)
    assert store.count() == 4


def test_votes_survive_a_restart_and_the_file_is_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "votes.sqlite"
    VoteStore(path).record("a@1", "b@1", "right")
    assert VoteStore(path).win_rates() == [PairStats("a@1", "b@1", 0, 1)]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.bad_input("api")
@pytest.mark.parametrize("left, right, winner, message", [
    ("a@1", "b@1", "middle", "winner must be"),
    ("a@1", "a@1", "left", "two different models"),
    ("", "b@1", "left", "two different models"),
])
def test_bad_votes_are_refused(tmp_path, left, right, winner, message):
    store = VoteStore(tmp_path / "v.sqlite")
    with pytest.raises(MnistganError, match=message):
        store.record(left, right, winner)
    assert store.count() == 0


def test_default_path_is_under_mnistgan_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MNISTGAN_HOME", str(tmp_path / "home"))
    store = VoteStore()
    assert store.path == tmp_path / "home" / "votes.sqlite" and store.path.is_file()


@pytest.mark.bad_input("file")
def test_an_unusable_path_is_one_clear_error(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(MnistganError, match="cannot open the vote database"):
        VoteStore(tmp_path / "file" / "votes.sqlite")


WRITER = """
import sys
from mnistgan.votes import VoteStore
store = VoteStore(sys.argv[1])
for i in range(int(sys.argv[2])):
    store.record("a@1", "b@1", "left" if i % 2 else "right", seed=i)
"""


def test_two_processes_voting_at_once_lose_nothing(tmp_path):
    path = tmp_path / "votes.sqlite"
    VoteStore(path)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), "150"], stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert VoteStore(path).win_rates() == [PairStats("a@1", "b@1", 150, 150)]
    assert not list(Path(tmp_path).glob("*.sqlite-journal"))
