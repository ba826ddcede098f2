"""Models on the Hugging Face Hub: `hf:USER/REPO[@REVISION]` specs, downloads, and pushes.

A pushed repo is the model folder as it is (config.json, model.safetensors, info.json, the card,
its figures), so a downloaded one loads through the same `nets.load_generator` as a local folder:
safetensors and JSON, nothing unpickled. Downloads go through `snapshot_download` into
huggingface_hub's own cache (HF_HOME, HF_HUB_CACHE), which is what lets HF_HUB_OFFLINE=1 work from
it later. Every failure a user can fix (a bad spec, a missing repo or revision, no network, no login)
becomes one MnistganError line. huggingface_hub is imported inside the functions: it is only paid for
by commands that reach the Hub.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mnistgan.errors import MnistganError, ModelFileError

PREFIX = "hf:"
# What a model folder holds. A repo may carry anything else (pickles too); none of it is fetched.
MODEL_FILES = ["*.json", "*.safetensors", "*.md", "*.png"]
REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,254}\Z")  # a branch, tag or commit hash


@dataclass(frozen=True)
class HubRef:
    repo_id: str
    revision: str | None = None

    def __str__(self) -> str:
        return PREFIX + self.repo_id + (f"@{self.revision}" if self.revision else "")


@dataclass(frozen=True)
class Pushed:
    url: str
    commit: str


def is_hub_spec(spec) -> bool:
    return isinstance(spec, str) and spec.startswith(PREFIX)


def parse_repo_id(repo_id: str) -> str:
    """USER/REPO, checked by huggingface_hub's own rules; a bare REPO (the Hub's legacy form) is refused."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    invalid = MnistganError(f"invalid Hub repo {repo_id!r}: use USER/REPO "
                            "(letters, digits, - _ . in each part; no -- or ..)")
    if repo_id.count("/") != 1:
        raise invalid
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        raise invalid from None
    return repo_id


def parse_spec(spec: str) -> HubRef:
    repo_id, at, revision = spec.removeprefix(PREFIX).partition("@")
    if not repo_id:
        raise MnistganError(f"{spec!r} names no repo: use hf:USER/REPO or hf:USER/REPO@REVISION")
    parse_repo_id(repo_id)
    if at and (not REVISION.match(revision) or ".." in revision):
        raise MnistganError(f"invalid revision {revision!r} in {spec!r}: use a branch, a tag or a commit hash")
    return HubRef(repo_id, revision or None)


@contextmanager
def hub_errors(what: str):
    """huggingface_hub's exceptions (OSErrors with multi-line messages) as one line each."""
    import httpx2  # huggingface_hub 2.x's HTTP client: its transport errors are what "no network" raises
    from huggingface_hub import constants
    from huggingface_hub.errors import (HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled,
                                        RepositoryNotFoundError, RevisionNotFoundError)

    unreachable = ("HF_HUB_OFFLINE=1 is set" if constants.HF_HUB_OFFLINE
                   else f"the Hub at {constants.ENDPOINT} cannot be reached")
    try:
        yield
    except RevisionNotFoundError:
        raise MnistganError(f"{what}: the repo has no such revision (use a branch, tag or commit it has)") from None
    except RepositoryNotFoundError:  # gated and private repos included: the Hub does not tell them apart
        raise MnistganError(f"{what}: no such model repo on the Hub at {constants.ENDPOINT} "
                            "(or it is private: log in with `hf auth login`)") from None
    except LocalEntryNotFoundError:
        raise MnistganError(f"{what} is not in the local Hub cache, and {unreachable}") from None
    except (OfflineModeIsEnabled, httpx2.TransportError):
        raise MnistganError(f"{what}: {unreachable}") from None
    except HfHubHTTPError as e:
        detail = e.server_message or str(e).splitlines()[0]
        raise MnistganError(f"{what}: the Hub answered {e.response.status_code}: {detail}") from None


def download(spec: str) -> Path:
    """The model folder `spec` names, from huggingface_hub's cache (fetched into it when online)."""
    from huggingface_hub import snapshot_download

    ref = parse_spec(spec)
    with hub_errors(str(ref)):
        folder = Path(snapshot_download(ref.repo_id, revision=ref.revision, allow_patterns=MODEL_FILES))
    if not ((folder / "config.json").is_file() and (folder / "model.safetensors").is_file()):
        raise ModelFileError(f"{ref}: not an mnistgan model repo (it has no config.json and model.safetensors)")
    return folder


def push(folder: Path, repo_id: str, message: str, private: bool = False) -> Pushed:
    """Upload every file of a model folder to the model repo `repo_id`, creating the repo if needed."""
    from huggingface_hub import HfApi, get_token

    what = PREFIX + parse_repo_id(repo_id)
    if get_token() is None:  # checked first: without a token the Hub's answers read like "no such repo"
        raise MnistganError("not logged in to the Hugging Face Hub: run `hf auth login` or set HF_TOKEN")
    api = HfApi()
    with hub_errors(what):
        try:
            api.create_repo(repo_id, exist_ok=True, private=private)
            commit = api.upload_folder(repo_id=repo_id, folder_path=folder, commit_message=message)
        except ValueError as e:  # what huggingface_hub raises for a card whose metadata the Hub rejects
            raise MnistganError(f"{what}: {str(e).splitlines()[0]}") from None
    return Pushed(url=str(commit.repo_url), commit=commit.oid)
