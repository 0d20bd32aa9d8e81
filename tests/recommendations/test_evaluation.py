"""The offline evaluation command on a small dataset in the documented generic layout."""

import json

import pytest
from django.core.management import call_command

from recommendations.evaluation import data, splits

TOPICS = {
    "ocean": "coral reefs, whales, sharks and the deep sea",
    "chess": "chess openings, endgames and grandmaster tactics",
    "baking": "sourdough bread, pastry and cakes",
}
DOMAINS = ("books", "podcasts")


@pytest.fixture
def dataset_dir(tmp_path):
    items = []
    for topic, words in TOPICS.items():
        for domain in DOMAINS:
            for number in range(6):
                items.append(
                    {
                        "id": f"{topic}-{domain}-{number}",
                        "domain": domain,
                        "title": f"{topic} {domain} {number}",
                        "description": f"About {words}, part {number}.",
                        "tags": [topic],
                    }
                )
    (tmp_path / "items.jsonl").write_text("\n".join(json.dumps(item) for item in items))
    rows = ["user,item,kind,value,timestamp"]
    for user in range(24):
        topic = list(TOPICS)[user % 3]
        for step, (domain, number) in enumerate((d, n) for n in range(6) for d in DOMAINS):
            rows.append(
                f"u{user},{topic}-{domain}-{number},{'rating' if step % 3 == 0 else 'like'},{5 if step % 3 == 0 else ''},{1_700_000_000 + step * 3600 + user}"
            )
    (tmp_path / "interactions.csv").write_text("\n".join(rows))
    (tmp_path / "users.jsonl").write_text(json.dumps({"user": "u0", "bio": f"I love {TOPICS['ocean']}."}))
    return tmp_path


def test_generic_layout_loads_items_interactions_and_bios(dataset_dir):
    dataset = data.load(dataset_dir)

    assert dataset.n_items == 36 and dataset.n_users == 24
    assert len(dataset.users) == 24 * 12
    assert set(dataset.item_domains) == set(DOMAINS)
    assert dataset.bios == {0: f"I love {TOPICS['ocean']}."}


def test_cross_domain_split_hides_one_domain_and_asks_for_it(dataset_dir):
    dataset = data.load(dataset_dir)
    split = splits.cross_domain(dataset, user_share=1.0)

    for user, wanted in split.test.items():
        hidden = {dataset.item_domains[item] for item in wanted}
        assert len(hidden) == 1
        trained = set(split.train.items[split.train.users == user].tolist())
        assert not trained & set(split.user_candidates[user].tolist())


@pytest.mark.django_db
def test_evaluate_command_reports_every_method_on_every_split(dataset_dir, tmp_path, capsys):
    out = tmp_path / "report.json"

    call_command(
        "evaluate_recommender", "--dataset", str(dataset_dir), "--json", str(out), "--plot", str(tmp_path / "plot.png")
    )

    report = json.loads(out.read_text())
    assert set(report["splits"]) == {"temporal", "cold_items", "few_shot", "cross_domain"}
    for rows in report["splits"].values():
        assert set(rows) == {"popularity", "item-knn", "als (implicit)", "semantic only", "platform"}
        for row in rows.values():
            assert 0.0 <= row["recall@10"] <= 1.0 and 0.0 <= row["coverage"] <= 1.0
    # Topics are clean here: the platform must find held-out items of a user's topic in the other domain.
    assert (
        report["splits"]["cross_domain"]["platform"]["recall@10"]
        > report["splits"]["cross_domain"]["popularity"]["recall@10"]
    )
    assert (tmp_path / "plot.png").stat().st_size > 0
    assert "recall@10" in capsys.readouterr().out


@pytest.mark.django_db
def test_evaluate_command_rejects_a_missing_dataset(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a directory"):
        call_command("evaluate_recommender", "--dataset", str(tmp_path / "nope"))
