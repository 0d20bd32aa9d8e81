"""The offline evaluation command and its splits, on a small dataset in the documented generic layout."""

import json

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from recommendations import splits
from recommendations.evaluation import data

TOPICS = {
    "ocean": "coral reefs, whales, sharks and the deep sea",
    "chess": "chess openings, endgames and grandmaster tactics",
    "baking": "sourdough bread, pastry and cakes",
}
DOMAINS = ("books", "podcasts")
METHODS = {"popularity", "item-knn", "ease", "rp3beta", "als", "bm25", "semantic only", "platform"}


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
            kind, value = ("rating", 5) if step % 3 == 0 else ("like", "")
            rows.append(f"u{user},{topic}-{domain}-{number},{kind},{value},{1_700_000_000 + step * 3600 + user}")
    (tmp_path / "interactions.csv").write_text("\n".join(rows))
    bios = [{"user": f"u{user}", "bio": f"I love {TOPICS[list(TOPICS)[user % 3]]}."} for user in range(24)]
    bios.append({"user": "newcomer", "bio": f"Tell me about {TOPICS['chess']}."})
    (tmp_path / "users.jsonl").write_text("\n".join(json.dumps(row) for row in bios))
    return tmp_path


def test_generic_layout_loads_items_interactions_and_bios_of_people_without_history(dataset_dir):
    dataset, report = data.load(dataset_dir)

    assert dataset.n_items == 36 and dataset.n_users == 25
    assert len(dataset.users) == 24 * 12
    assert set(dataset.item_domains) == set(DOMAINS)
    assert dataset.bios[dataset.user_keys.index("newcomer")].startswith("Tell me about chess")
    assert report.skipped == []


def test_unknown_items_are_skipped_with_their_row_numbers(dataset_dir):
    with (dataset_dir / "interactions.csv").open("a") as fh:
        fh.write("\nu1,no-such-item,like,,1700000000\nu2,also-missing,like,,1700000000")

    dataset, report = data.load(dataset_dir)

    assert len(dataset.users) == 24 * 12
    assert report.skipped == ["interactions.csv: 2 rows skipped (unknown item): rows 290, 291"]


def test_a_missing_column_names_the_file_and_row(dataset_dir):
    (dataset_dir / "interactions.csv").write_text("user,kind\nu1,like\n")

    with pytest.raises(data.DatasetError, match=r"interactions.csv: row 2 has no item"):
        data.load(dataset_dir)


def test_movielens_genres_can_act_as_domains(tmp_path):
    (tmp_path / "ml.item").write_text(
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
        "1\tToy Story\t1995\tAnimation Children's Comedy\n2\tHeat\t1995\tAction Crime Thriller\n"
    )
    (tmp_path / "ml.inter").write_text(
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t1\t5\t881250949\n1\t2\t2\t881250950\n"
    )

    dataset, _ = data.load(tmp_path, domains="genre")

    assert list(dataset.item_domains) == ["animation", "action"]
    # The usual MovieLens protocol: every rating counts as a like.
    assert set(dataset.kinds) == {"like"}


def test_words_only_split_holds_people_out_wholesale(dataset_dir):
    dataset, _ = data.load(dataset_dir)

    folds = [splits.words_only(dataset, fold=fold) for fold in range(5)]

    tested = [user for split in folds for user in split.test]
    assert len(tested) == len(set(tested)) == 24, "every person with a bio and likes is tested exactly once"
    for split in folds:
        for user in split.test:
            assert not np.any(split.train.users == user)
            assert user in split.train.bios


def test_new_domain_split_hides_one_domain_and_asks_for_it_there(dataset_dir):
    dataset, _ = data.load(dataset_dir)
    split = splits.new_domain(dataset, user_share=1.0)

    for user, wanted in split.test.items():
        hidden = {dataset.item_domains[item] for item in wanted}
        assert hidden == {split.scope(user).domain}
        trained = split.train.items[split.train.users == user]
        assert split.scope(user).domain not in set(dataset.item_domains[trained])


def test_new_domain_split_explains_why_a_single_domain_cannot_run(tmp_path, dataset_dir):
    dataset, _ = data.load(dataset_dir)
    dataset.item_domains[:] = "books"

    with pytest.raises(splits.SplitSkipped, match="at least two domains"):
        splits.new_domain(dataset)


@pytest.mark.django_db
def test_evaluate_command_reports_every_method_for_every_situation(dataset_dir, tmp_path, capsys):
    out = tmp_path / "report.json"

    call_command(
        "evaluate_recommender",
        "--dataset",
        str(dataset_dir),
        "--seeds",
        "2",
        "--json",
        str(out),
        "--plot",
        str(tmp_path / "plot.png"),
    )

    report = json.loads(out.read_text())
    assert set(report["summary"]) == {"temporal", "few_shot", "words_only", "new_domain", "cold_items"}
    for rows in report["summary"].values():
        assert set(rows) == METHODS
        for row in rows.values():
            assert 0.0 <= row["recall@10"]["min"] <= row["recall@10"]["mean"] <= row["recall@10"]["max"] <= 1.0
    assert report["seeds"] == [0, 1]
    # Topics are clean here: the platform must find a hidden domain's items of the person's topic, and serve
    # people from their words alone better than popularity can.
    summary = report["summary"]
    for situation in ("new_domain", "words_only"):
        assert (
            summary[situation]["platform"]["recall@10"]["mean"] > summary[situation]["popularity"]["recall@10"]["mean"]
        )
    fits = report["runs"]["temporal"]["0"]["platform"]["fits"][0]
    assert set(fits["weights"]) == {
        "long_history",
        "short_history",
        "words_only",
        "new_domain",
        "new_item",
        "similar_items",
    }
    assert (tmp_path / "plot.png").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "Recall@10 / NDCG@10" in printed and "paired 95% interval" in printed
    for name, entry in report["comparisons"].items():
        low, high = entry["recall@10"]["ratio_interval"]
        assert low <= entry["recall@10"]["ratio"] <= high, name


def test_evaluate_command_compares_similar_items_with_item_knn_and_meaning_alone(dataset_dir, tmp_path, capsys):
    out = tmp_path / "report.json"

    call_command("evaluate_recommender", "--dataset", str(dataset_dir), "--split", "similar_items", "--json", str(out))

    summary = json.loads(out.read_text())["summary"]
    assert set(summary) == {"similar_items"}
    assert set(summary["similar_items"]) == {"item-knn", "meaning only", "platform priors", "platform"}
    # Topics are clean here: from an item page of the person's topic, the platform finds what they went on to like.
    assert summary["similar_items"]["platform"]["recall@10"]["mean"] > 0.5
    assert "similar_items" in capsys.readouterr().out


@pytest.mark.django_db
def test_holdout_file_runs_an_external_protocol_with_a_domain_limit(dataset_dir, tmp_path):
    holdout = tmp_path / "holdout.csv"
    holdout.write_text("user,item,domain\nu0,ocean-podcasts-5,podcasts\nnewcomer,chess-books-1,\n")
    out = tmp_path / "report.json"

    call_command("evaluate_recommender", "--dataset", str(dataset_dir), "--holdout", str(holdout), "--json", str(out))

    rows = json.loads(out.read_text())["summary"]["holdout"]
    assert rows["platform"]["recall@10"]["mean"] > 0
    assert set(rows) == METHODS


@pytest.mark.django_db
def test_holdout_naming_an_unknown_item_is_a_clear_error(dataset_dir, tmp_path):
    holdout = tmp_path / "holdout.csv"
    holdout.write_text("user,item\nu0,ocean-books-1\nu1,nothing-like-this\n")

    with pytest.raises(CommandError, match=r"holdout.csv: row 3 names item 'nothing-like-this'"):
        call_command("evaluate_recommender", "--dataset", str(dataset_dir), "--holdout", str(holdout))


@pytest.mark.django_db
def test_evaluate_command_rejects_a_missing_dataset(tmp_path):
    with pytest.raises(CommandError, match="not a directory"):
        call_command("evaluate_recommender", "--dataset", str(tmp_path / "nope"))


@pytest.mark.django_db
def test_evaluate_command_names_a_directory_without_the_expected_files(tmp_path):
    with pytest.raises(CommandError, match="expected items.jsonl"):
        call_command("evaluate_recommender", "--dataset", str(tmp_path))


def test_a_split_by_time_never_lets_the_order_of_tied_rows_decide(dataset_dir):
    dataset, _ = data.load(dataset_dir)
    tied = dataset.subset(np.lexsort((dataset.items, dataset.users)))
    tied.timestamps = np.zeros(len(tied.users))

    split = splits.temporal(tied, seed=0)
    reversed_rows = splits.temporal(tied.subset(np.arange(len(tied.users))[::-1]), seed=0)

    assert not splits.time_is_usable(tied)
    assert "random share" in split.notes[0]
    # Held out at random: not each person's last items by id, and the same whatever order the file had.
    last_by_id = {int(u): set(tied.items[tied.users == u][-2:].tolist()) for u in np.unique(tied.users)}
    assert any(split.test[user] != last_by_id[user] for user in split.test)
    assert split.test == reversed_rows.test


def test_a_split_by_time_follows_time_where_time_is_given(dataset_dir):
    dataset, _ = data.load(dataset_dir)

    split = splits.temporal(dataset, seed=0)

    assert splits.time_is_usable(dataset) and not split.notes
    for user, found in split.test.items():
        kept = split.train.timestamps[split.train.users == user]
        held = dataset.timestamps[(dataset.users == user) & np.isin(dataset.items, list(found))]
        assert held.min() >= kept.max()


def test_rp3beta_and_bm25_peers_find_what_their_evidence_points_to(dataset_dir):
    from recommendations.evaluation.recommenders import BM25, RP3Beta

    dataset, _ = data.load(dataset_dir)
    split = splits.words_only(dataset, seed=0)
    user = next(iter(split.test))
    topic = dataset.bios[user].split("I love ")[1].split(",")[0]
    everything = np.ones(dataset.n_items, dtype=bool)

    by_words = BM25().fit(split, seed=0).recommend(user, everything)
    assert all(dataset.item_titles[item].startswith(topic.split()[0]) for item in by_words[:5])

    walk = RP3Beta().fit(splits.temporal(dataset, seed=0), seed=0)
    reader = int(dataset.users[0])
    first_topic = dataset.item_titles[int(dataset.items[dataset.users == reader][0])].split()[0]
    found = walk.recommend(reader, everything)
    assert all(dataset.item_titles[item].split()[0] == first_topic for item in found[:5])


def test_paired_interval_covers_the_mean_difference_and_excludes_zero_for_a_clear_gain():
    from recommendations.evaluation import metrics

    rng = np.random.default_rng(0)
    theirs = rng.random(500)
    mean, low, high = metrics.paired_interval(theirs + 0.05 + rng.normal(0, 0.02, 500), theirs)

    assert low < mean < high and low > 0
    assert metrics.paired_interval(theirs, theirs)[1:] == (0.0, 0.0)


def test_the_suite_variant_without_time_keeps_every_event_and_holds_out_a_fifth_of_each_person(dataset_dir):
    from recommendations.evaluation import suite

    dataset, _ = data.load(dataset_dir)
    stripped = suite.without_time(dataset)
    pairs = suite.random_holdout(stripped, share=0.2, seed=0)

    assert len(stripped.users) == len(dataset.users) and not stripped.timestamps.any()
    per_person = {user: sum(1 for u, _, _ in pairs if u == user) for user in np.unique(stripped.users)}
    assert set(per_person.values()) == {2}  # 12 liked items each


def test_suite_names_a_missing_dataset_folder(tmp_path):
    with pytest.raises(CommandError, match="lacks"):
        call_command("evaluate_recommender", "--suite", "--quick", "--data-dir", str(tmp_path))


def test_a_brief_words_only_split_keeps_the_leading_phrases_of_each_held_out_bio(dataset_dir):
    dataset, _ = data.load(dataset_dir)
    vector = np.ones(3, dtype=np.float32) / np.sqrt(3)
    for user, bio in dataset.bios.items():
        dataset.bio_phrases[user] = [(f"{bio} part {part}", vector) for part in range(4)]
        dataset.bio_vectors[user] = vector

    split = splits.words_only(dataset, seed=0, brief=True)

    kept = [len(split.train.bio_phrases[user]) for user in split.test]
    assert min(kept) >= 1 and max(kept) <= 4 and len(set(kept)) > 1
    for user in split.test:
        phrases = split.train.bio_phrases[user]
        assert phrases == dataset.bio_phrases[user][: len(phrases)]
    untouched = next(user for user in dataset.bio_phrases if user not in split.test)
    assert split.train.bio_phrases[untouched] == dataset.bio_phrases[untouched]
