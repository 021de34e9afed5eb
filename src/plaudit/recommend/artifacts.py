"""A trained recommender on disk: `DATA_DIR/recommend/`, swapped in atomically.

Layout (written by `plaudit strategy train`, read lazily by the API):

    recommend/current              symlink to models/<id>, replaced atomically (rename)
    recommend/models/<id>/manifest.json   format, id, training time, counts, parameters
    recommend/models/<id>/*.npy           factors, ids, creators, like counts, seen likes

A new model is written in full under its own id before `current` is switched to it with one
rename, so a reader sees the old model or the new one, never half of one. Older models are
removed after the switch; a process that still has one memory-mapped keeps reading it (POSIX
unlink semantics) until it notices the switch and loads the new one.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from plaudit.recommend.ease import EaseWeights
from plaudit.recommend.engine import Engine, EngineParams

__all__ = ["FORMAT_VERSION", "TrainedModel", "current_id", "model_root"]

FORMAT_VERSION = 1
log = logging.getLogger(__name__)
_MAPPED = {"user_factors", "seen_indptr", "seen_indices", "ease_weights"}


def model_root(data_path: Path) -> Path:
    return data_path / "recommend"


def current_id(data_path: Path) -> str | None:
    """The id of the model in use, or None when none has been trained."""
    try:
        return Path(os.readlink(model_root(data_path) / "current")).name
    except (FileNotFoundError, OSError):
        return None


@dataclass(frozen=True)
class TrainedModel:
    """Everything a recommendation request needs, indexed by dense account and video rows."""

    engine: Engine
    account_ids: NDArray[np.int64]
    video_ids: NDArray[np.int64]
    creators: NDArray[np.int64]
    like_counts: NDArray[np.float32]
    seen: sp.csr_matrix
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.meta.get("id", ""))

    def user_of(self, account_id: int) -> int | None:
        """The row of `account_id`, or None when the model has never seen it."""
        at = int(np.searchsorted(self.account_ids, account_id))
        if at < len(self.account_ids) and self.account_ids[at] == account_id:
            return at
        return None

    def columns_of(self, video_ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """Columns of those `video_ids` the model knows (others are dropped)."""
        at = np.searchsorted(self.video_ids, video_ids)
        at = np.clip(at, 0, max(len(self.video_ids) - 1, 0))
        known = (len(self.video_ids) > 0) & (self.video_ids[at] == video_ids)
        columns: NDArray[np.int64] = at[known].astype(np.int64)
        return columns

    def _arrays(self) -> dict[str, NDArray[Any]]:
        engine = self.engine
        arrays: dict[str, NDArray[Any]] = {
            "user_factors": engine.user_factors,
            "item_factors": engine.item_factors,
            "popularity": engine.popularity,
            "account_ids": self.account_ids,
            "video_ids": self.video_ids,
            "creators": self.creators,
            "like_counts": self.like_counts,
            "seen_indptr": self.seen.indptr.astype(np.int64),
            "seen_indices": self.seen.indices.astype(np.int32),
        }
        if engine.item_category is not None and engine.category_share is not None:
            arrays["item_category"] = engine.item_category
            arrays["category_share"] = engine.category_share
        if engine.trend is not None:
            arrays["trend"] = engine.trend
        if engine.ease is not None:
            arrays["ease_items"] = engine.ease.items
            arrays["ease_weights"] = engine.ease.weights
        return arrays

    def save(self, data_path: Path) -> str:
        """Write the model under a new id and make it current; returns the id."""
        root = model_root(data_path)
        model_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)
        folder = root / "models" / model_id
        folder.mkdir(parents=True)
        for name, array in self._arrays().items():
            np.save(folder / f"{name}.npy", np.ascontiguousarray(array))
        manifest = {
            **self.meta,
            "format": FORMAT_VERSION,
            "id": model_id,
            "params": asdict(self.engine.params),
            "shape": [len(self.account_ids), len(self.video_ids)],
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        _point_current(root, model_id)
        return model_id

    @classmethod
    def load(cls, data_path: Path) -> TrainedModel | None:
        """The current model, or None when none has been trained yet (or it was written by
        another format version: train again)."""
        for _attempt in range(3):
            model_id = current_id(data_path)
            if model_id is None:
                return None
            try:
                return cls._load_folder(model_root(data_path) / "models" / model_id)
            except FileNotFoundError:
                continue  # a new model was swapped in and this one removed: read `current` again
        return None

    @classmethod
    def _load_folder(cls, folder: Path) -> TrainedModel | None:
        manifest = json.loads((folder / "manifest.json").read_text())
        if manifest.get("format") != FORMAT_VERSION:
            log.warning(
                "recommender model %s has format %s, this version reads %s; run "
                "`plaudit strategy train`",
                folder.name,
                manifest.get("format"),
                FORMAT_VERSION,
            )
            return None
        arrays = {
            path.stem: np.load(path, mmap_mode="r" if path.stem in _MAPPED else None)
            for path in folder.glob("*.npy")
        }
        return cls._from_arrays(arrays, manifest)

    @classmethod
    def _from_arrays(
        cls, arrays: dict[str, NDArray[Any]], manifest: dict[str, Any]
    ) -> TrainedModel:
        shape = tuple(manifest["shape"])
        engine = Engine(
            EngineParams(**manifest["params"]),
            arrays["user_factors"],
            arrays["item_factors"],
            arrays["popularity"],
            arrays.get("item_category"),
            arrays.get("category_share"),
            arrays.get("trend"),
            EaseWeights(arrays["ease_items"], arrays["ease_weights"])
            if "ease_items" in arrays
            else None,
        )
        seen = sp.csr_matrix(
            (
                np.ones(len(arrays["seen_indices"]), dtype=np.float32),
                arrays["seen_indices"],
                arrays["seen_indptr"],
            ),
            shape=shape,
        )
        return cls(
            engine,
            arrays["account_ids"],
            arrays["video_ids"],
            arrays["creators"],
            arrays["like_counts"],
            seen,
            manifest,
        )


def _point_current(root: Path, model_id: str) -> None:
    """Switch `current` to the model with one rename, then remove the other models."""
    staging = root / f"current.{model_id}"
    staging.symlink_to(Path("models") / model_id)
    os.replace(staging, root / "current")
    for folder in (root / "models").iterdir():
        if folder.name != model_id:
            shutil.rmtree(folder, ignore_errors=True)
