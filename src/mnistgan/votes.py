"""A/B votes between two models, kept in SQLite so they survive restarts.

    store = VoteStore(path)              # default: $MNISTGAN_HOME/votes.sqlite
    store.record("hinge-sn@1", "dcgan@2", winner="left", digit=7, seed=0)
    store.win_rates()                    # one row per pair of models

The database runs in WAL mode and every write is its own short IMMEDIATE
transaction with a generous busy timeout, so several server processes (or a
server and a script) can vote into the same file at once without losing a vote.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from mnistgan.errors import MnistganError
from mnistgan.registry import home

WINNERS = ("left", "right")
BUSY_TIMEOUT_S = 30.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
    id      INTEGER PRIMARY KEY,
    created REAL    NOT NULL,
    left    TEXT    NOT NULL,
    right   TEXT    NOT NULL,
    winner  TEXT    NOT NULL CHECK (winner IN ('left', 'right')),
    digit   INTEGER,
    seed    INTEGER
)
"""


def default_path() -> Path:
    return home() / "votes.sqlite"


@dataclass(frozen=True)
class PairStats:
    """Votes between models `a` and `b` (a < b), whichever side each was shown on."""

    a: str
    b: str
    wins_a: int
    wins_b: int

    @property
    def votes(self) -> int:
        return self.wins_a + self.wins_b

    @property
    def win_rate_a(self) -> float:
        return self.wins_a / self.votes if self.votes else 0.0


class VoteStore:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise MnistganError(f"{self.path}: cannot open the vote database ({e})") from None

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN ourselves, so a write takes the lock up front.
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        return db

    def record(self, left: str, right: str, winner: str, digit: int | None = None, seed: int | None = None) -> None:
        if winner not in WINNERS:
            raise MnistganError(f"winner must be 'left' or 'right', got {winner!r}")
        if not left or not right or left == right:
            raise MnistganError("a vote needs two different models")
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("INSERT INTO votes (created, left, right, winner, digit, seed) VALUES (?, ?, ?, ?, ?, ?)",
                           (time.time(), left, right, winner, digit, seed))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def count(self) -> int:
        with closing(self._connect()) as db:
            return db.execute("SELECT COUNT(*) FROM votes").fetchone()[0]

    def win_rates(self) -> list[PairStats]:
        """One row per unordered pair of models, most-voted first."""
        with closing(self._connect()) as db:
            rows = db.execute("""
                SELECT MIN(left, right) AS a, MAX(left, right) AS b,
                       SUM((CASE winner WHEN 'left' THEN left ELSE right END) = MIN(left, right)) AS wins_a,
                       COUNT(*) AS n
                FROM votes GROUP BY a, b ORDER BY n DESC, a, b
            """).fetchall()
        return [PairStats(a, b, wins_a, n - wins_a) for a, b, wins_a, n in rows]
