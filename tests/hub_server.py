"""A Hugging Face Hub on a loopback port, for tests: the endpoints huggingface_hub 2.4 really calls.

    with FakeHub() as hub:            # hub.url goes in HF_ENDPOINT, hub.token in HF_TOKEN
        ...                           # `mnistgan models push`, `generate --model hf:...` in subprocesses
        hub.files("alice/digits")     # {path: bytes} of the newest commit

The endpoints, as the client code calls them (hf_api.py, _commit_api.py, _upload_pipeline.py,
_snapshot_download.py, file_download.py in huggingface_hub):

    POST /api/repos/create                     create_repo; 409 when the repo exists (exist_ok accepts that)
    POST /api/validate-yaml                    upload_folder has README.md's front matter checked first
    POST /api/models/{repo}/preupload/{rev}    every file answers "regular": the client then sends it base64
                                               inside the commit, and no LFS or Xet server is needed
    POST /api/models/{repo}/commit/{rev}       ndjson: a header line, then one line per file
    GET  /api/models/{repo}[/revision/{rev}]   repo info: the commit hash and the files (siblings)
    GET  /api/models/{repo}/tree/{rev}         the file list snapshot_download fetches (always recursive)
    GET  /api/agent-harnesses                  the client's once-a-day telemetry look-up: none known here
    HEAD|GET /{repo}/resolve/{rev}/{path}      ETag (the git blob id), X-Repo-Commit, then the bytes

Repos live in memory as lists of commits; `main` is the newest, and every commit answers to its full
hash. Writes need `Authorization: Bearer <token>`; reads are open, as for a public repo. Errors carry
the X-Error-Code headers huggingface_hub turns into its exceptions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import yaml

REPO = r"(?P<repo>[^/]+/[^/]+)"
INITIAL_FILES = {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"}  # what a new Hub repo holds


def git_blob_id(data: bytes) -> str:
    """Git's object id of a file: what the Hub reports as a regular file's oid and ETag."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class Commit:
    sha: str
    files: dict[str, bytes]


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, commit: str | None = None):
        super().__init__(message)
        self.status, self.message = status, message
        self.headers = {"X-Error-Message": message, **({"X-Error-Code": code} if code else {}),
                        **({"X-Repo-Commit": commit} if commit else {})}


class FakeHub:
    def __init__(self, token: str = "hf_fake_token_for_tests"):
        self.token = token
        self.repos: dict[str, list[Commit]] = {}
        self.calls: list[str] = []  # "METHOD /path" of every request, in order
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.hub = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FakeHub":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------ the repos

    def create(self, repo_id: str) -> bool:
        """A new repo with the Hub's first commit; False if it already exists."""
        with self._lock:
            if repo_id in self.repos:
                return False
            self.repos[repo_id] = []
        self.commit(repo_id, dict(INITIAL_FILES), "initial commit")
        return True

    def commit(self, repo_id: str, changes: dict[str, bytes | None], summary: str) -> Commit:
        """A new head for `main`: the old files with `changes` applied (None deletes)."""
        with self._lock:
            history = self.repos[repo_id]
            files = dict(history[-1].files) if history else {}
            for path, data in changes.items():
                if data is None:
                    files.pop(path, None)
                else:
                    files[path] = data
            parent = history[-1].sha if history else ""
            listing = json.dumps([parent, summary, sorted((p, git_blob_id(d)) for p, d in files.items())])
            history.append(Commit(hashlib.sha1(listing.encode()).hexdigest(), files))
            return history[-1]

    def at(self, repo_id: str, revision: str = "main") -> Commit:
        history = self.repos.get(repo_id)
        if history is None:
            raise HubError(404, "Repository not found", "RepoNotFound")
        if revision == "main":
            return history[-1]
        for commit in history:
            if commit.sha == revision:
                return commit
        raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        return self.at(repo_id, revision).files

    # ------------------------------------------------------------ the endpoints

    def _check_token(self, headers) -> None:
        if headers.get("Authorization") != f"Bearer {self.token}":
            raise HubError(401, "Invalid credentials in Authorization header")

    def _on_main(self, repo: str, rev: str) -> Commit:
        if rev != "main":  # this Hub has one branch
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return self.at(repo)

    def create_repo(self, request):
        self._check_token(request.headers)
        body = json.loads(request.body)
        if body.get("type") not in (None, "model") or not body.get("organization"):
            raise HubError(400, "this Hub makes model repos named ORGANIZATION/NAME only")
        repo_id = f"{body['organization']}/{body['name']}"
        if not self.create(repo_id):
            return 409, {"error": "You already created this model repo", "url": f"{self.url}/{repo_id}"}
        return 200, {"url": f"{self.url}/{repo_id}", "name": repo_id}

    def validate_yaml(self, request):
        content = json.loads(request.body)["content"]
        front = re.match(r"---\n(.*?)\n---\n", content, re.S)
        try:
            yaml.safe_load(front.group(1)) if front else None
        except yaml.YAMLError as e:
            return 400, {"errors": [{"message": f"invalid YAML: {e}"}], "warnings": []}
        return 200, {"errors": [], "warnings": []}

    def preupload(self, request, repo: str, rev: str):
        self._check_token(request.headers)
        head = self._on_main(repo, rev).files
        return 200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                                "oid": git_blob_id(head[f["path"]]) if f["path"] in head else None}
                               for f in json.loads(request.body)["files"]]}

    def commit_files(self, request, repo: str, rev: str):
        self._check_token(request.headers)
        self._on_main(repo, rev)
        lines = [json.loads(line) for line in request.body.splitlines() if line.strip()]
        header, changes = lines[0]["value"], {}
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            if key == "file" and value.get("encoding") == "base64":
                changes[value["path"]] = base64.b64decode(value["content"])
            elif key == "deletedFile":
                changes[value["path"]] = None
            else:  # lfsFile above all: preupload never asks for LFS, so one here is a client bug
                raise HubError(400, f"this Hub takes base64 files and deletions only, not {key!r}")
        commit = self.commit(repo, changes, header["summary"])
        return 200, {"commitUrl": f"{self.url}/{repo}/commit/{commit.sha}", "commitOid": commit.sha,
                     "pullRequestUrl": None}

    def repo_info(self, request, repo: str, rev: str = "main"):
        commit = self.at(repo, rev)
        return 200, {"id": repo, "modelId": repo, "sha": commit.sha, "private": False,
                     "siblings": [{"rfilename": path} for path in sorted(commit.files)]}

    def tree(self, request, repo: str, rev: str):
        commit = self.at(repo, rev)
        return 200, [{"type": "file", "path": path, "size": len(data), "oid": git_blob_id(data)}
                     for path, data in sorted(commit.files.items())]

    def agent_harnesses(self, request):
        return 200, {"standardEnvVars": [], "harnesses": {}}

    def resolve(self, request, repo: str, rev: str, path: str):
        commit = self.at(repo, rev)
        if path not in commit.files:
            raise HubError(404, "Entry not found", "EntryNotFound", commit=commit.sha)
        data = commit.files[path]
        return 200, data, {"ETag": f'"{git_blob_id(data)}"', "X-Repo-Commit": commit.sha}


ROUTES = [
    ("POST", r"/api/repos/create", FakeHub.create_repo),
    ("POST", r"/api/validate-yaml", FakeHub.validate_yaml),
    ("POST", rf"/api/models/{REPO}/preupload/(?P<rev>[^/]+)", FakeHub.preupload),
    ("POST", rf"/api/models/{REPO}/commit/(?P<rev>[^/]+)", FakeHub.commit_files),
    ("GET", rf"/api/models/{REPO}/tree/(?P<rev>[^/]+)", FakeHub.tree),
    ("GET", rf"/api/models/{REPO}(?:/revision/(?P<rev>[^/]+))?", FakeHub.repo_info),
    ("GET", r"/api/agent-harnesses", FakeHub.agent_harnesses),
    ("GET", rf"/{REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", FakeHub.resolve),
    ("HEAD", rf"/{REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", FakeHub.resolve),
]


@dataclass(frozen=True)
class Request:
    headers: dict
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self._answer("GET")

    def do_HEAD(self):
        self._answer("HEAD")

    def do_POST(self):
        self._answer("POST")

    def _answer(self, method: str) -> None:
        hub: FakeHub = self.server.hub
        url = urlsplit(self.path)
        hub.calls.append(f"{method} {url.path}")
        request = Request(self.headers, self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        status, payload, headers = 404, {"error": f"no endpoint {method} {url.path}"}, {}
        for verb, pattern, endpoint in ROUTES:
            match = re.fullmatch(pattern, url.path)
            if verb == method and match:
                args = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                try:
                    status, payload, *extra = endpoint(hub, request, **args)
                    headers = extra[0] if extra else {}
                except HubError as e:
                    status, payload, headers = e.status, {"error": e.message}, e.headers
                break
        is_file = isinstance(payload, bytes)
        body = payload if is_file else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream" if is_file else "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):  # the calls are in hub.calls; keep test output clean
        pass
