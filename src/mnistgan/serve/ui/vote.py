"""The A/B vote under a comparison: two buttons, one vote per comparison, and the running score."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from mnistgan.serve.ui.controls import PRIVATE, refusal
from mnistgan.votes import VoteStore, WINNERS

VOTE_COLUMNS = ["Model A", "Model B", "A wins", "B wins", "Votes", "A win rate"]


@dataclass
class VotePanel:
    left: gr.Button
    right: gr.Button
    status: gr.Markdown
    table: gr.Dataframe


def score_rows(votes: VoteStore) -> list[list]:
    return [[p.a, p.b, p.wins_a, p.wins_b, p.votes, f"{p.win_rate_a:.0%}"] for p in votes.win_rates()]


def record_vote(votes: VoteStore, shown: dict | None, winner: str):
    """Store the vote for what is on screen (`shown`: the two models, digit and seed), then lock the buttons."""
    if not shown:
        raise refusal("Generate a comparison first, then vote.")
    votes.record(shown["a"], shown["b"], winner, shown["digit"], shown["seed"])
    best, other = (shown["a"], shown["b"]) if winner == "left" else (shown["b"], shown["a"])
    off = gr.update(interactive=False)
    return (None, f"Vote recorded: **{best}** beat {other}. Shuffle the seed and compare again to vote once more.",
            score_rows(votes), off, off)


def vote_panel(votes: VoteStore, shown: gr.State) -> VotePanel:
    """The buttons (disabled until a comparison is shown), the status line and the score table, wired."""
    with gr.Row():
        left = gr.Button("◀ Left is better", interactive=False, elem_id="vote-left")
        right = gr.Button("Right is better ▶", interactive=False, elem_id="vote-right")
    status = gr.Markdown(elem_id="cmp-status")
    table = gr.Dataframe(value=score_rows(votes), headers=VOTE_COLUMNS, label="Win rates (A is first by name)",
                         interactive=False, elem_id="vote-table", wrap=True)
    outputs = [shown, status, table, left, right]
    for button, winner in zip((left, right), WINNERS):
        button.click(_voter(votes, winner), shown, outputs, **PRIVATE)
    return VotePanel(left, right, status, table)


def _voter(votes: VoteStore, winner: str):
    def vote(shown):
        return record_vote(votes, shown, winner)
    return vote
