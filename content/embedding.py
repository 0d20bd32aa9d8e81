"""The one place that turns text into vectors."""

import functools
import hashlib
import logging
import os
import threading

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)


class EmbeddingDimensionMismatch(RuntimeError):
    pass


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Encoder:
    def __init__(self, model_path: str, model_name: str, device: str, batch_size: int):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(model_path, device=device)
        self.model_name = model_name
        self.batch_size = batch_size
        self.dimensions = self.model.get_embedding_dimension()
        # Torch's encode is not safe to call from several threads at once.
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32, copy=False)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@functools.cache
def get_encoder() -> Encoder:
    """Load the model once per process."""
    encoder = Encoder(
        model_path=settings.EMBEDDING_MODEL,
        model_name=settings.EMBEDDING_MODEL_NAME,
        device=settings.EMBEDDING_DEVICE,
        batch_size=settings.EMBEDDING_BATCH_SIZE,
    )
    if encoder.dimensions != settings.EMBEDDING_DIMENSIONS:
        raise EmbeddingDimensionMismatch(
            f"{settings.EMBEDDING_MODEL_NAME} makes {encoder.dimensions}-dimensional vectors but the database "
            f"stores {settings.EMBEDDING_DIMENSIONS}; set EMBEDDING_DIMENSIONS and migrate."
        )
    logger.info("loaded embedding model %s (%d dims)", encoder.model_name, encoder.dimensions)
    return encoder


def to_array(value) -> np.ndarray:
    """A stored vector (list, pgvector HalfVector/Vector or array) as float32."""
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value, dtype=np.float32)
