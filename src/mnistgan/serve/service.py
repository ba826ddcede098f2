"""The models the server offers: registry look-ups by name, loaded Samplers (cached) and their descriptions.

Shared by the REST API and the web page; it knows nothing of HTTP or Gradio.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict

from mnistgan import registry
from mnistgan.errors import MnistganError
from mnistgan.model_folder import read_info
from mnistgan.sampling import SERVE_BACKEND_ENV, Sampler

TRAINING_FIELDS = ("epochs", "steps", "batch_size", "seed", "wall_time_s", "hardware", "precision", "command")


class ModelNotFound(MnistganError):
    """A well-formed model name that the registry does not know."""


class ModelService:
    """Registry look-ups plus a small LRU cache of loaded Samplers, on the torch or the onnx backend
    (by default $MNISTGAN_SERVE_BACKEND's, which `mnistgan serve --backend` sets, else torch)."""

    def __init__(self, cache_size: int = 8, backend: str | None = None):
        self.cache_size = cache_size
        self.backend = backend or os.environ.get(SERVE_BACKEND_ENV) or "torch"
        self._cache: OrderedDict[tuple[str, str], Sampler] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def find(spec: str) -> registry.ModelRef:
        registry.parse_name(spec)  # a malformed name is the client's typo (422), not an unknown model (404)
        try:
            return registry.lookup(spec)
        except MnistganError as e:
            raise ModelNotFound(str(e)) from None

    def sampler(self, spec: str) -> Sampler:
        ref = self.find(spec)
        key = (ref.id, str(ref.path))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        # Loaded outside the lock so one slow load does not hold up requests for cached models.
        sampler = Sampler.from_folder(ref.path, ref.id, backend=self.backend)
        with self._lock:
            self._cache[key] = sampler
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return sampler

    def style_sampler(self, spec: str) -> Sampler:
        """The sampler of a model that can mix styles; else a MnistganError saying why not (a 422, like a digit
        asked of an unconditional model), after the look-up, so an unknown model is still a 404."""
        if self.backend != "torch":
            self.find(spec)
            raise MnistganError(f"style mixing runs on the torch backend only, and this server runs its models on "
                                f"{self.backend} (start it with --backend torch)")
        sampler = self.sampler(spec)
        if not getattr(sampler.backend, "has_styles", False):
            raise MnistganError(f"{sampler.name} has no style layers to mix: style mixing needs a style-based "
                                "model (preset stylegan)")
        return sampler

    def why_not_mix(self, spec: str) -> str | None:
        """None when the model can mix styles, else why not, in one line (for the page's note)."""
        try:
            self.style_sampler(spec)
        except MnistganError as e:
            return str(e)
        return None

    def is_conditional(self, spec: str) -> bool:
        """Whether the model draws chosen digits; False for one that cannot be loaded."""
        try:
            return self.sampler(spec).conditional
        except MnistganError:
            return False

    @staticmethod
    def all() -> list[registry.ModelRef]:
        return registry.all_models()

    def describe(self, ref: registry.ModelRef, latest: bool = True) -> dict:
        """What a client needs to pick a model; a broken folder is described, not raised."""
        out = {"id": ref.id, "name": ref.name, "version": ref.version, "bundled": ref.bundled, "latest": latest}
        try:
            config = json.loads((ref.path / "config.json").read_text())
            info = read_info(ref.path)
            out.update(conditional=int(config.get("num_classes") or 0) > 0, arch=config.get("arch"),
                       latent_dim=config.get("latent_dim"), preset=info.get("preset"),
                       objective=info.get("objective"), metrics=info.get("metrics") or {})
        except (OSError, ValueError, TypeError, AttributeError, MnistganError) as e:
            out["error"] = f"cannot read this model: {e}"
        return out

    def listing(self) -> list[dict]:
        refs = self.all()
        newest = {r.name: r.version for r in refs}  # all_models() is sorted by version within a name
        return [self.describe(r, latest=newest[r.name] == r.version) for r in refs]

    def details(self, spec: str) -> dict:
        ref = self.find(spec)
        versions = registry.versions(ref.name)
        out = self.describe(ref, latest=ref.version == versions[-1].version)
        info = read_info(ref.path)
        out["versions"] = [r.id for r in versions]
        out["training"] = {k: info[k] for k in TRAINING_FIELDS if k in info}
        card = ref.path / "README.md"
        out["card"] = card.read_text() if card.is_file() else None
        return out
