"""Export the embedding model to ONNX, keeping it only if it makes the vectors sentence-transformers makes.

    manage.py export_onnx_model [--force] [--output-dir DIR]

Writes EMBEDDING_ONNX_DIR/<model name>/ (model.onnx, the tokenizer and the pooling configs the ONNX encoder reads,
export.json). Running it again does nothing while the model folder is unchanged, so it can run on every start.
"""

import hashlib
import inspect
import json
import os
import shutil
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from content.embedding import ONNX_GRAPH, OnnxEncoder, UnsupportedModel, check_mean_pooling, onnx_export_dir

MANIFEST = "export.json"
# Stored vectors from either backend must be interchangeable; 0.999 is far below what a faithful export gives
# (~0.99999) and far above what a wrong one does.
MIN_COSINE = 0.999
# The TorchScript exporter in torch 2.13 writes opset 17 with LayerNormalization as one node; ONNX Runtime runs it.
OPSET = 17
_LONG_REEF = (
    "Coral reefs cover less than one percent of the ocean floor yet shelter about a quarter of all marine species. "
    "This book follows a year on a reef off the coast of Sulawesi, from the mass spawning that turns the water pink "
    "under a full moon to the slow recovery after a bleaching event. The author, a marine biologist who has dived "
    "there for two decades, explains how corals live in partnership with the algae in their tissues, why a rise of "
    "one degree in sea temperature can break that partnership, and how parrotfish, sea urchins and sponges keep the "
    "balance between coral and seaweed. Chapters on fishing communities describe blast fishing, cyanide collection "
    "for the aquarium trade and the marine protected areas that villages now patrol themselves. The last part looks "
    "at coral gardening, assisted evolution of heat-tolerant strains and the economics of reef tourism, and asks "
    "whether any of it can keep pace with warming seas. Maps, underwater photographs and a glossary of reef species "
    "make it a companion for divers as well as readers who have never seen a reef. Includes notes, a reading list, "
    "an index, and an afterword on what changed during the global bleaching of the most recent El Nino years. "
    "Readers' guides for book clubs and classroom exercises for secondary schools are available from the publisher."
)
_LONG_COURSE = " ".join(
    f"Week {week}: {topic}, with a problem set, a reading from the textbook and a short quiz on the lecture."
    for week, topic in enumerate(
        [
            "vectors and matrices",
            "solving linear systems by elimination",
            "vector spaces and subspaces",
            "orthogonality and least squares",
            "determinants",
            "eigenvalues and eigenvectors",
            "symmetric matrices and positive definiteness",
            "the singular value decomposition",
            "linear transformations",
            "applications to graphs, networks and Markov chains",
            "numerical linear algebra on a computer",
            "review and final exam",
        ],
        start=1,
    )
)
# Titles, descriptions near and far over the 256-token limit, other languages and scripts, and nearly empty text.
FIDELITY_TEXTS = [
    "Dune",
    "The Lord of the Rings: The Fellowship of the Ring",
    "Intro to Linear Algebra (MIT 18.06)",
    "WORLD WAR II: 1939-1945 IN 100 PHOTOS",
    "Sourdough baking at home: feed a wild yeast starter, shape the loaf and bake a crusty bread.",
    "A weekly podcast where two former chess champions replay famous games move by move, argue about the "
    "turning points and answer listeners' questions about openings, endgames and preparing for tournaments.",
    _LONG_REEF,
    _LONG_COURSE,
    "Une histoire de la Révolution française, de la prise de la Bastille à Thermidor.",
    "Straßenbahnfahrer erzählen Geschichten aus dem Berliner Nachtverkehr.",
    "Cocina mexicana tradicional: moles, tamales y salsas hechas en casa.",
    "Война и мир — роман-эпопея Льва Толстого.",
    "東京の下町で育った少年の成長物語",
    "🔥🔥 best jazz 🎷 playlist!!!",
    "https://example.com/items/42?ref=home: C++17 templates & SFINAE tricks",
    "  leading and trailing spaces  ",
    "a",
    "?",
    " ",
    "",
]


def model_fingerprint(model_dir: Path) -> str:
    """A hash of every file in the model folder: a new model under the same name is exported again."""
    digest = hashlib.sha256()
    for path in sorted(model_dir.rglob("*")):
        relative = path.relative_to(model_dir)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        digest.update(str(relative).encode() + b"\0")
        with path.open("rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def export_graph(transformer, path: Path) -> None:
    """The Hugging Face transformer as an ONNX graph: token ids and mask in, token vectors out, any batch and length."""
    import torch

    accepts_token_types = "token_type_ids" in inspect.signature(transformer.forward).parameters
    input_names = ["input_ids", "attention_mask"] + (["token_type_ids"] if accepts_token_types else [])

    class TokenVectors(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs):
            return self.transformer(**dict(zip(input_names, inputs, strict=True))).last_hidden_state

    # SDPA attention decides what to do from the mask's values, which a trace would freeze; eager attention does not.
    transformer.set_attn_implementation("eager")
    # A padded row, so the trace keeps the mask in every attention layer.
    input_ids = torch.tensor([[5, 6, 7, 8, 9, 10], [5, 6, 7, 0, 0, 0]])
    attention_mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    example = (input_ids, attention_mask, torch.zeros_like(input_ids))[: len(input_names)]
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenVectors().eval(),
            example,
            str(path),
            dynamo=False,
            input_names=input_names,
            output_names=["token_vectors"],
            dynamic_axes={name: {0: "batch", 1: "sequence"} for name in [*input_names, "token_vectors"]},
            opset_version=OPSET,
            do_constant_folding=True,
        )


def _copy_configs(model_dir: Path, export_dir: Path) -> None:
    """What the ONNX encoder reads besides the graph, so an export works without the model folder."""
    modules = json.loads((model_dir / "modules.json").read_text())
    pooling = Path(modules[1]["path"]) / "config.json"
    for relative in [Path("tokenizer.json"), Path("modules.json"), Path("sentence_bert_config.json"), pooling]:
        if not (model_dir / relative).exists():
            raise CommandError(f"{model_dir} has no {relative}, which the ONNX encoder needs")
        (export_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(model_dir / relative, export_dir / relative)


def export_and_compare(model_dir: Path, export_dir: Path) -> np.ndarray:
    """Export into export_dir and return the cosine of each ONNX vector (batched and alone) to sentence-transformers'."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")
    expected = model.encode(
        FIDELITY_TEXTS,
        batch_size=settings.EMBEDDING_BATCH_SIZE,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    export_graph(model[0].auto_model, export_dir / ONNX_GRAPH)
    _copy_configs(model_dir, export_dir)
    encoder = OnnxEncoder(
        export_dir,
        model_name=settings.EMBEDDING_MODEL_NAME,
        batch_size=settings.EMBEDDING_BATCH_SIZE,
        threads=settings.EMBEDDING_ONNX_THREADS,
    )
    # Batched, texts are padded to their neighbours' length; alone, they are not: both must match.
    batched = encoder.encode(FIDELITY_TEXTS)
    alone = np.stack([encoder.encode_one(text) for text in FIDELITY_TEXTS])
    return np.concatenate([(batched * expected).sum(axis=1), (alone * expected).sum(axis=1)])


def _swap_in(staging: Path, target: Path) -> None:
    previous = target.with_name(f".{target.name}-previous-{os.getpid()}")
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)


def _is_current(target: Path, fingerprint: str) -> bool:
    try:
        manifest = json.loads((target / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return (target / ONNX_GRAPH).exists() and manifest.get("fingerprint") == fingerprint


class Command(BaseCommand):
    help = "Export the embedding model to ONNX for the torch-free encoder; refuse an export that changes the vectors."

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", help="folder holding one export per model (default EMBEDDING_ONNX_DIR)")
        parser.add_argument("--force", action="store_true", help="export again even if the export is up to date")

    def handle(self, *args, output_dir=None, force=False, **options):
        model_dir = Path(settings.EMBEDDING_MODEL)
        name = settings.EMBEDDING_MODEL_NAME
        if not model_dir.is_dir():
            raise CommandError(f"EMBEDDING_MODEL must be a model folder on disk to export it, not {model_dir}")
        target = onnx_export_dir(output_dir, name)
        fingerprint = model_fingerprint(model_dir)
        if not force and _is_current(target, fingerprint):
            self.stdout.write(f"ONNX export of {name} is up to date: {target / ONNX_GRAPH}")
            return
        try:
            check_mean_pooling(model_dir)
        except UnsupportedModel as error:
            raise CommandError(f"{name} cannot run on ONNX ({error}); it stays on sentence-transformers") from error

        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        staging.chmod(0o755)
        try:
            cosines = export_and_compare(model_dir, staging)
            if cosines.min() < MIN_COSINE:
                raise CommandError(
                    f"ONNX export of {name} refused: cosine to sentence-transformers min {cosines.min():.6f} "
                    f"mean {cosines.mean():.6f}, below {MIN_COSINE}"
                )
            manifest = {
                "model_name": name,
                "model_dir": str(model_dir),
                "fingerprint": fingerprint,
                "opset": OPSET,
                "texts_compared": len(FIDELITY_TEXTS),
                "min_cosine": float(cosines.min()),
                "mean_cosine": float(cosines.mean()),
                "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
            _swap_in(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.stdout.write(
            f"Exported {name} to {target / ONNX_GRAPH}: cosine to sentence-transformers over "
            f"{len(FIDELITY_TEXTS)} texts min {cosines.min():.8f} mean {cosines.mean():.8f}"
        )
