"""The one place that turns text into vectors.

Two backends make the same vectors. sentence-transformers (torch) loads the model as it is shipped; ONNX Runtime
runs a graph that `manage.py export_onnx_model` exported from it and checked against it, and never imports torch,
so a web process that embeds queries stays a few hundred MB smaller. EMBEDDING_BACKEND picks: "auto" uses the
export when there is one, "onnx" insists on it, "torch" never uses it.
"""

import functools
import hashlib
import json
import logging
import os
import re
import threading
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

ONNX_GRAPH = "model.onnx"
BACKENDS = ("auto", "onnx", "torch")


class EmbeddingDimensionMismatch(RuntimeError):
    pass


class UnsupportedModel(ValueError):
    """The model does something after the transformer that the ONNX encoder does not reproduce."""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SentenceTransformerEncoder:
    backend = "torch"

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


def _module_kind(module: dict) -> str:
    return module.get("type", "").rsplit(".", 1)[-1]


def _pooling_modes(config: dict) -> tuple[str, ...]:
    """The pooling modes a sentence-transformers Pooling config turns on, old boolean keys or new `pooling_mode`."""
    if "pooling_mode" in config:
        mode = config["pooling_mode"]
        return (mode,) if isinstance(mode, str) else tuple(mode)
    legacy = {
        "pooling_mode_cls_token": "cls",
        "pooling_mode_max_tokens": "max",
        "pooling_mode_mean_tokens": "mean",
        "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
        "pooling_mode_weightedmean_tokens": "weightedmean",
        "pooling_mode_lasttoken": "lasttoken",
    }
    # sentence-transformers treats a config with every mode off as mean pooling.
    return tuple(mode for key, mode in legacy.items() if config.get(key)) or ("mean",)


def check_mean_pooling(model_dir: Path) -> int:
    """The model's max_seq_length, if it is transformer -> mean pooling -> Normalize and nothing else."""
    modules = json.loads((model_dir / "modules.json").read_text())
    kinds = [_module_kind(module) for module in modules]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise UnsupportedModel(f"modules are {kinds}, not Transformer, Pooling, Normalize")
    pooling_config = json.loads((model_dir / modules[1]["path"] / "config.json").read_text())
    modes = _pooling_modes(pooling_config)
    if modes != ("mean",):
        raise UnsupportedModel(f"pooling is {'+'.join(modes)}, not mean")
    transformer_config = json.loads((model_dir / "sentence_bert_config.json").read_text())
    if transformer_config.get("do_lower_case"):
        # Lower-casing before the tokenizer is one more step to reproduce; no model we run needs it.
        raise UnsupportedModel("sentence_bert_config.json asks for do_lower_case")
    return int(transformer_config["max_seq_length"])


class OnnxEncoder:
    """all-MiniLM-style models on ONNX Runtime: tokenize, run the transformer, mean-pool over the mask, normalize."""

    backend = "onnx"

    def __init__(self, export_dir: Path, model_name: str, batch_size: int, threads: int):
        # Tokenizers' own thread pool would compete with ONNX Runtime's and break in forked workers.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import onnxruntime
        from tokenizers import Tokenizer

        self.export_dir = Path(export_dir)
        self.model_name = model_name
        self.batch_size = batch_size
        max_seq_length = check_mean_pooling(self.export_dir)

        self.tokenizer = Tokenizer.from_file(str(self.export_dir / "tokenizer.json"))
        # tokenizer.json often carries a fixed padding and a shorter truncation; the model's own limit wins, and
        # padding is done here per batch of similar lengths.
        padding = self.tokenizer.padding or {}
        self.pad_id = padding.get("pad_id", 0)
        self.pad_type_id = padding.get("pad_type_id", 0)
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_seq_length)

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Without the arena and the per-shape memory plans, ONNX Runtime frees what a worker's long batch needed
        # instead of keeping it for the next one, for a few percent of speed.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        # Idle threads that spin take CPU from the other processes on a small machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            str(self.export_dir / ONNX_GRAPH), options, providers=["CPUExecutionProvider"]
        )
        self.input_names = {graph_input.name for graph_input in self.session.get_inputs()}
        self.dimensions = int(self.session.get_outputs()[0].shape[-1])

    def _run(self, encodings) -> np.ndarray:
        width = max(len(encoding.ids) for encoding in encodings)
        input_ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        token_type_ids = np.full((len(encodings), width), self.pad_type_id, dtype=np.int64)
        attention_mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            length = len(encoding.ids)
            input_ids[row, :length] = encoding.ids
            token_type_ids[row, :length] = encoding.type_ids
            attention_mask[row, :length] = 1
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        (token_vectors,) = self.session.run(None, {name: feeds[name] for name in self.input_names})
        mask = attention_mask[:, :, None].astype(np.float32)
        pooled = (token_vectors * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return vectors
        encodings = self.tokenizer.encode_batch(texts)
        # Each batch is padded to its longest text: batching texts of similar length wastes the least work.
        order = np.argsort([-len(encoding.ids) for encoding in encodings], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            vectors[rows] = self._run([encodings[row] for row in rows])
        return vectors

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def onnx_export_dir(root: str | Path | None = None, model_name: str | None = None) -> Path:
    """Where the ONNX export of a model lives: one folder per model name under EMBEDDING_ONNX_DIR."""
    name = model_name or settings.EMBEDDING_MODEL_NAME
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"
    return Path(root or settings.EMBEDDING_ONNX_DIR) / slug


def load_encoder() -> SentenceTransformerEncoder | OnnxEncoder:
    """A new encoder for the configured model and backend; get_encoder() keeps one per process."""
    backend = settings.EMBEDDING_BACKEND
    if backend not in BACKENDS:
        raise ImproperlyConfigured(f"EMBEDDING_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}.")
    export_dir = onnx_export_dir()
    encoder = None
    if backend != "torch":
        encoder = _onnx_encoder_or_none(export_dir, required=backend == "onnx")
    if encoder is None:
        encoder = SentenceTransformerEncoder(
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
    logger.info("loaded embedding model %s (%d dims) on %s", encoder.model_name, encoder.dimensions, encoder.backend)
    return encoder


def _onnx_encoder_or_none(export_dir: Path, *, required: bool) -> OnnxEncoder | None:
    if not (export_dir / ONNX_GRAPH).exists():
        if required:
            raise ImproperlyConfigured(
                f"EMBEDDING_BACKEND is onnx but {export_dir / ONNX_GRAPH} does not exist; "
                "run `manage.py export_onnx_model`."
            )
        logger.info("no ONNX export at %s; embedding with sentence-transformers", export_dir)
        return None
    try:
        return OnnxEncoder(
            export_dir,
            model_name=settings.EMBEDDING_MODEL_NAME,
            batch_size=settings.EMBEDDING_BATCH_SIZE,
            threads=settings.EMBEDDING_ONNX_THREADS,
        )
    except UnsupportedModel as error:
        if required:
            raise ImproperlyConfigured(f"EMBEDDING_BACKEND is onnx but {export_dir} cannot be used: {error}") from error
        logger.warning("ONNX export at %s not used (%s); embedding with sentence-transformers", export_dir, error)
        return None


@functools.cache
def get_encoder() -> SentenceTransformerEncoder | OnnxEncoder:
    """Load the model once per process."""
    return load_encoder()


def to_array(value) -> np.ndarray:
    """A stored vector (list, pgvector HalfVector/Vector or array) as float32."""
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value, dtype=np.float32)
