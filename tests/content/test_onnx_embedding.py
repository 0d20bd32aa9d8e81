"""The ONNX Runtime encoder: the vectors sentence-transformers makes, without torch, from an export that checks itself."""

import json
import logging
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from content import demo, embedding
from content.embedding import (
    OnnxEncoder,
    SentenceTransformerEncoder,
    check_mean_pooling,
    get_encoder,
    load_encoder,
    onnx_export_dir,
)
from content.management.commands import export_onnx_model
from content.models import Item


@pytest.fixture(scope="session")
def onnx_root(tmp_path_factory) -> Path:
    """One export of the real model for the whole run (a few seconds)."""
    root = tmp_path_factory.mktemp("onnx-models")
    call_command("export_onnx_model", output_dir=str(root), stdout=StringIO())
    return root


@pytest.fixture(scope="session")
def onnx_encoder(onnx_root) -> OnnxEncoder:
    return OnnxEncoder(onnx_export_dir(onnx_root), model_name=settings.EMBEDDING_MODEL_NAME, batch_size=16, threads=1)


@pytest.fixture(scope="session")
def torch_encoder() -> SentenceTransformerEncoder:
    encoder = get_encoder()
    if encoder.backend == "torch":
        return encoder
    return SentenceTransformerEncoder(settings.EMBEDDING_MODEL, settings.EMBEDDING_MODEL_NAME, "cpu", 16)


class FakeTorchEncoder:
    """Stands in for sentence-transformers where a test only checks which backend was chosen."""

    backend = "torch"

    def __init__(self, model_path, model_name, device, batch_size):
        self.model_name = model_name
        self.dimensions = settings.EMBEDDING_DIMENSIONS


@pytest.fixture
def fake_torch(monkeypatch):
    monkeypatch.setattr(embedding, "SentenceTransformerEncoder", FakeTorchEncoder)


def write_model_configs(folder: Path, modules: list[str], pooling: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "modules.json").write_text(
        json.dumps(
            [
                {
                    "idx": index,
                    "name": str(index),
                    "path": "" if kind == "Transformer" else f"{index}_{kind}",
                    "type": f"sentence_transformers.models.{kind}",
                }
                for index, kind in enumerate(modules)
            ]
        )  # fmt: skip
    )
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 384, **pooling}))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 256, "do_lower_case": False}))


def real_texts() -> list[str]:
    """Every fifth demo item as the worker embeds it, the demo bios, and queries people type."""
    items = demo.read_jsonl("items.jsonl")[::5]
    texts = [
        Item(title=row["title"], description=row.get("description", ""), tags=row.get("tags", [])).text_for_embedding
        for row in items
    ]
    texts += [person["bio"] for person in demo.read_jsonl("users.jsonl") if person.get("bio")]
    return texts + ["something about the ocean", "books like Dune", "learn python fast", "jazz", ""]


def test_onnx_vectors_match_sentence_transformers_on_real_texts(onnx_encoder, torch_encoder):
    texts = real_texts()

    onnx_vectors = onnx_encoder.encode(texts)
    torch_vectors = torch_encoder.encode(texts)

    assert onnx_vectors.shape == (len(texts), settings.EMBEDDING_DIMENSIONS)
    assert onnx_vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    assert (onnx_vectors * torch_vectors).sum(axis=1).min() >= 0.999


def test_onnx_encoder_keeps_input_order_across_batches(onnx_encoder):
    texts = [f"{'long ' * (index % 7)}text number {index}" for index in range(40)]

    together = onnx_encoder.encode(texts)

    assert np.allclose(together, np.stack([onnx_encoder.encode_one(text) for text in texts]), atol=1e-5)
    assert onnx_encoder.encode([]).shape == (0, settings.EMBEDDING_DIMENSIONS)


def test_onnx_encoder_runs_without_torch_or_transformers(onnx_root):
    script = (
        "import json, sys, django; django.setup()\n"
        "from content.embedding import get_encoder\n"
        "encoder = get_encoder()\n"
        "vector = encoder.encode_one('underwater marine life')\n"
        "heavy = [name for name in ('torch', 'transformers', 'sentence_transformers') if name in sys.modules]\n"
        "print(json.dumps({'backend': encoder.backend, 'heavy': heavy, 'size': len(vector)}))\n"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "platform_site.settings.test",
        "EMBEDDING_BACKEND": "onnx",
        "EMBEDDING_ONNX_DIR": str(onnx_root),
    }

    finished = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    report = json.loads(finished.stdout.strip().splitlines()[-1])
    assert report == {"backend": "onnx", "heavy": [], "size": settings.EMBEDDING_DIMENSIONS}


def test_auto_backend_uses_the_export_when_there_is_one(settings, onnx_root):
    settings.EMBEDDING_BACKEND = "auto"
    settings.EMBEDDING_ONNX_DIR = str(onnx_root)

    assert isinstance(load_encoder(), OnnxEncoder)


def test_torch_backend_ignores_the_export(settings, onnx_root, fake_torch):
    settings.EMBEDDING_BACKEND = "torch"
    settings.EMBEDDING_ONNX_DIR = str(onnx_root)

    assert load_encoder().backend == "torch"


def test_auto_backend_without_an_export_uses_sentence_transformers(settings, tmp_path, fake_torch, caplog):
    settings.EMBEDDING_BACKEND = "auto"
    settings.EMBEDDING_ONNX_DIR = str(tmp_path)

    with caplog.at_level(logging.INFO, logger="content.embedding"):
        assert load_encoder().backend == "torch"

    assert any("no ONNX export" in record.getMessage() for record in caplog.records)


def test_onnx_backend_without_an_export_refuses_to_start(settings, tmp_path):
    settings.EMBEDDING_BACKEND = "onnx"
    settings.EMBEDDING_ONNX_DIR = str(tmp_path)

    with pytest.raises(ImproperlyConfigured, match="export_onnx_model"):
        load_encoder()


def test_unknown_backend_is_a_configuration_error(settings):
    settings.EMBEDDING_BACKEND = "tensorflow"

    with pytest.raises(ImproperlyConfigured, match="EMBEDDING_BACKEND"):
        load_encoder()


def test_the_bundled_model_is_mean_pooled_and_normalized():
    assert check_mean_pooling(Path(settings.EMBEDDING_MODEL)) == 256


@pytest.mark.parametrize(
    ("modules", "pooling", "reason"),
    [
        (["Transformer", "Pooling", "Normalize"], {"pooling_mode_cls_token": True}, "cls"),
        (["Transformer", "Pooling", "Normalize"], {"pooling_mode": "max"}, "max"),
        (["Transformer", "Pooling"], {"pooling_mode_mean_tokens": True}, "Normalize"),
        (["Transformer", "Pooling", "Dense", "Normalize"], {"pooling_mode_mean_tokens": True}, "Dense"),
    ],
)
def test_model_that_is_not_mean_pooled_and_normalized_falls_back_with_one_log_line(
    settings, tmp_path, fake_torch, caplog, modules, pooling, reason
):
    settings.EMBEDDING_BACKEND = "auto"
    settings.EMBEDDING_ONNX_DIR = str(tmp_path)
    export_dir = onnx_export_dir(tmp_path)
    write_model_configs(export_dir, modules, pooling)
    (export_dir / "model.onnx").write_bytes(b"never read")

    with caplog.at_level(logging.INFO, logger="content.embedding"):
        assert load_encoder().backend == "torch"

    fallbacks = [record for record in caplog.records if "not used" in record.getMessage()]
    assert len(fallbacks) == 1
    assert reason in fallbacks[0].getMessage()


def test_export_refuses_a_model_that_is_not_mean_pooled(settings, tmp_path):
    model_dir = tmp_path / "cls-model"
    write_model_configs(model_dir, ["Transformer", "Pooling", "Normalize"], {"pooling_mode_cls_token": True})
    settings.EMBEDDING_MODEL = str(model_dir)

    with pytest.raises(CommandError, match="cls"):
        call_command("export_onnx_model", output_dir=str(tmp_path / "out"))

    assert not (tmp_path / "out").exists()


def test_export_refuses_and_deletes_a_graph_that_changes_the_vectors(tmp_path, monkeypatch):
    import torch

    faithful_export = export_onnx_model.export_graph

    def export_with_damaged_weights(transformer, path):
        generator = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for parameter in transformer.encoder.parameters():
                parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.02)
        faithful_export(transformer, path)

    monkeypatch.setattr(export_onnx_model, "export_graph", export_with_damaged_weights)

    with pytest.raises(CommandError, match="refused: cosine to sentence-transformers min"):
        call_command("export_onnx_model", output_dir=str(tmp_path), stdout=StringIO())

    assert list(tmp_path.iterdir()) == []


def test_export_again_is_a_no_op_while_the_model_is_unchanged(onnx_root):
    output = StringIO()

    call_command("export_onnx_model", output_dir=str(onnx_root), stdout=output)

    assert "up to date" in output.getvalue()
    manifest = json.loads((onnx_export_dir(onnx_root) / "export.json").read_text())
    assert manifest["model_name"] == settings.EMBEDDING_MODEL_NAME
    assert manifest["min_cosine"] >= 0.999
