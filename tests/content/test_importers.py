"""Importers keep good rows and report bad ones with a reason and a row number."""

import csv
import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from content.importers import import_interactions, import_items, read_rows
from content.models import DESCRIPTION_MAX_LENGTH, Interaction, Item
from tests import factories

pytestmark = pytest.mark.django_db

ITEM_COLUMNS = ["external_id", "domain", "title", "description", "tags"]


def write_csv(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path, lines):
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n", encoding="utf-8"
    )
    return path


def reasons(report) -> dict[int, str]:
    return dict(report.rejected)


@pytest.fixture
def item_csv(tmp_path, books):
    return write_csv(
        tmp_path / "items.csv",
        ITEM_COLUMNS,
        [
            ["b-1", "books", "The Sea Around Us", "Ocean currents and tides.", "ocean; science"],
            ["b-2", "spaceships", "Rocket Manual", "", ""],
            ["b-3", "books", "", "A book without a title.", ""],
            ["b-4", "books", "Too long", "x" * (DESCRIPTION_MAX_LENGTH + 1), ""],
            ["b-5", "Books", "Chess Openings", "By domain name, any case.", "chess"],
        ],
    )


def test_csv_import_keeps_good_rows_and_reports_bad_ones(item_csv):
    report, saved_ids = import_items(read_rows(item_csv))

    assert report.created == 2
    assert sorted(Item.objects.values_list("external_id", flat=True)) == ["b-1", "b-5"]
    assert sorted(saved_ids) == sorted(Item.objects.values_list("pk", flat=True))
    rejected = reasons(report)
    assert sorted(rejected) == [3, 4, 5]
    assert "spaceships" in rejected[3] and "domain" in rejected[3]
    assert "books" in rejected[3], "the message lists the known domains"
    assert rejected[4].startswith("title:")
    assert rejected[5].startswith("description:") and str(DESCRIPTION_MAX_LENGTH) in rejected[5]


def test_imported_tags_are_normalized(item_csv):
    import_items(read_rows(item_csv))

    assert Item.objects.get(external_id="b-1").tags == ["ocean", "science"]


def test_csv_row_with_more_values_than_columns_is_rejected(tmp_path, books):
    path = tmp_path / "items.csv"
    path.write_text("external_id,domain,title\nb-1,books,Good\nb-2,books,Bad,extra\n", encoding="utf-8")

    report, _ = import_items(read_rows(path))

    assert report.created == 1
    assert reasons(report) == {3: "more values than header columns"}


def test_reimporting_the_same_external_id_updates_instead_of_duplicating(item_csv, tmp_path):
    import_items(read_rows(item_csv))
    changed = write_csv(
        tmp_path / "again.csv", ITEM_COLUMNS, [["b-1", "books", "The Sea Around Us (new edition)", "", ""]]
    )

    report, saved_ids = import_items(read_rows(changed))

    assert (report.created, report.updated) == (0, 1)
    assert Item.objects.filter(external_id="b-1").count() == 1
    item = Item.objects.get(external_id="b-1")
    assert item.title == "The Sea Around Us (new edition)"
    assert saved_ids == [item.pk]


def test_rows_without_language_get_the_default_and_updates_keep_the_stored_one(tmp_path, books):
    first = write_jsonl(
        tmp_path / "first.jsonl",
        [{"external_id": "j-1", "domain": "books", "title": "Le Monde du silence", "language": "fr"}],
    )
    again = write_jsonl(
        tmp_path / "again.jsonl", [{"external_id": "j-1", "domain": "books", "title": "The Silent World"}]
    )
    other = write_jsonl(tmp_path / "other.jsonl", [{"external_id": "j-2", "domain": "books", "title": "Whale Songs"}])

    import_items(read_rows(first))
    import_items(read_rows(again))
    import_items(read_rows(other))

    assert Item.objects.get(external_id="j-1").language == "fr"
    assert Item.objects.get(external_id="j-2").language == "en"


def test_jsonl_import_reports_malformed_lines_and_non_objects(tmp_path, books):
    path = write_jsonl(
        tmp_path / "items.jsonl",
        [
            {"external_id": "j-1", "domain": "books", "title": "Whale Songs", "tags": ["ocean", "whales"]},
            '{"external_id": "j-2", "domain": "books", "title": ',
            "",
            '["not", "an", "object"]',
            {"external_id": "j-5", "domain": "movies", "title": "Unknown domain"},
            {"external_id": "j-6", "domain": "books", "title": "   "},
        ],
    )

    report, _ = import_items(read_rows(path))

    assert report.created == 1
    assert Item.objects.get().tags == ["ocean", "whales"]
    rejected = reasons(report)
    assert sorted(rejected) == [2, 4, 5, 6]
    assert rejected[2].startswith("not valid JSON")
    assert rejected[4] == "a JSON object was expected"
    assert "movies" in rejected[5]
    assert "title" in rejected[6]


def test_default_domain_applies_to_rows_that_name_none(tmp_path, books):
    path = write_jsonl(tmp_path / "items.jsonl", [{"external_id": "j-1", "title": "No domain given"}])

    report, _ = import_items(read_rows(path), default_domain="books")

    assert report.created == 1
    assert Item.objects.get().domain == books


@pytest.fixture
def movielens_files(tmp_path):
    item_file = tmp_path / "tiny.item"
    item_file.write_text(
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
        "1\tToy Story\t1995\tAnimation Children's Comedy\n"
        "2\tGoldenEye\t1995\tAction Adventure Thriller\n"
        "3\tBroken row\t1995\n",
        encoding="utf-8",
    )
    inter_file = tmp_path / "tiny.inter"
    inter_file.write_text(
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        "196\t1\t3\t881250949\n"
        "186\t2\t5\t891717742\n"
        "186\t999\t4\t891717742\n"
        "22\t1\t9\t878887116\n",
        encoding="utf-8",
    )
    return item_file, inter_file


def test_movielens_atomic_files_import(movielens_files):
    item_file, inter_file = movielens_files
    factories.DomainFactory(slug="movies", name="Movies")

    item_report, _ = import_items(read_rows(item_file))
    inter_report = import_interactions(read_rows(inter_file))

    assert item_report.created == 2
    assert reasons(item_report) == {4: "expected 4 tab-separated columns, found 3"}
    toy_story = Item.objects.get(external_id="ml-1")
    assert toy_story.title == "Toy Story"
    assert toy_story.domain.slug == "movies"
    assert toy_story.tags == ["animation", "childrens", "comedy"]
    assert toy_story.published_at.year == 1995

    assert inter_report.created == 2
    assert sorted(reasons(inter_report)) == [4, 5]
    rating = Interaction.objects.get(user__username="ml-196")
    assert (rating.item, rating.kind, rating.value) == (toy_story, "rating", 3.0)
    assert rating.created_at == datetime.fromtimestamp(881250949, tz=UTC)


@pytest.fixture
def known_item(books):
    return factories.ItemFactory(domain=books, external_id="b-1", title="The Sea Around Us")


def test_interaction_import_keeps_good_rows_and_rejects_bad_ones(tmp_path, known_item):
    path = write_csv(
        tmp_path / "interactions.csv",
        ["user", "item", "kind", "value", "timestamp"],
        [
            ["maya", "b-1", "like", "", "2024-05-01T10:00:00Z"],
            ["maya", str(known_item.pk), "rating", "4", "1714557600"],
            ["theo", "b-404", "like", "", ""],
            ["theo", "b-1", "rating", "7", ""],
            ["theo", "b-1", "rating", "great", ""],
            ["theo", "b-1", "poke", "", ""],
            ["theo", "b-1", "view", "", "last tuesday"],
            ["", "b-1", "view", "", ""],
        ],
    )

    report = import_interactions(read_rows(path))

    assert report.created == 2
    assert set(Interaction.objects.values_list("user__username", "kind")) == {("maya", "like"), ("maya", "rating")}
    assert Interaction.objects.get(kind="like").created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    rejected = reasons(report)
    assert sorted(rejected) == [4, 5, 6, 7, 8, 9]
    assert "unknown item 'b-404'" in rejected[4]
    assert "outside 1-5" in rejected[5]
    assert rejected[6].startswith("value:")
    assert "'poke'" in rejected[7] and rejected[7].startswith("kind:")
    assert "last tuesday" in rejected[8]
    assert rejected[9] == "user: missing"


def test_interaction_import_can_refuse_unknown_users(tmp_path, known_item):
    path = write_jsonl(tmp_path / "log.jsonl", [{"user": "stranger", "item": "b-1", "kind": "like"}])

    report = import_interactions(read_rows(path), create_users=False)

    assert report.created == 0
    assert "unknown user 'stranger'" in reasons(report)[1]
    assert not get_user_model().objects.filter(username="stranger").exists()


def test_reimporting_an_interaction_log_does_not_duplicate_states(tmp_path, known_item):
    path = write_jsonl(
        tmp_path / "log.jsonl",
        [
            {"user": "maya", "item": "b-1", "kind": "like"},
            {"user": "maya", "item": "b-1", "kind": "rating", "value": 5},
        ],
    )
    first = import_interactions(read_rows(path))

    again = import_interactions(read_rows(path))

    assert Interaction.objects.count() == 2
    assert (first.created, first.skipped) == (2, 0)
    assert (again.created, again.skipped) == (0, 2)


def test_reimport_with_empty_cells_keeps_the_stored_values(item_csv, tmp_path):
    import_items(read_rows(item_csv))
    before = Item.objects.get(external_id="b-1")
    changed = write_csv(tmp_path / "again.csv", ITEM_COLUMNS, [["b-1", "", "New title", "", ""]])

    report, _ = import_items(read_rows(changed))

    after = Item.objects.get(external_id="b-1")
    assert report.updated == 1
    assert after.title == "New title"
    assert (after.description, after.tags, after.domain_id) == (before.description, before.tags, before.domain_id)


def test_import_items_command_prints_a_report_with_rejected_row_numbers(item_csv, sent_tasks):
    out = StringIO()

    call_command("import_items", str(item_csv), verbosity=0, stdout=out)

    text = out.getvalue()
    assert "2 created, 0 updated, 3 rejected" in text
    assert "row 3: domain: Unknown domain 'spaceships'" in text
    assert "row 4: title:" in text
    assert "Queued 2 items for embedding" in text


def test_import_items_command_can_create_the_domain_it_is_given(tmp_path, db):
    path = write_jsonl(tmp_path / "items.jsonl", [{"external_id": "p-1", "title": "Ocean Voices"}])
    out = StringIO()

    call_command("import_items", str(path), "--domain", "podcasts", "--create-domains", verbosity=0, stdout=out)

    assert "1 created, 0 updated, 0 rejected" in out.getvalue()
    assert Item.objects.get().domain.slug == "podcasts"


def test_import_interactions_command_prints_a_report_with_rejected_row_numbers(tmp_path, known_item):
    path = write_jsonl(
        tmp_path / "log.jsonl",
        [{"user": "maya", "item": "b-1", "kind": "like"}, {"user": "maya", "item": "nope", "kind": "like"}],
    )
    out = StringIO()

    call_command("import_interactions", str(path), verbosity=0, stdout=out)

    text = out.getvalue()
    assert "1 created, 0 updated, 1 rejected" in text
    assert "row 2: item: unknown item 'nope'" in text


def test_import_command_with_a_missing_file_fails_clearly(tmp_path, db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_items", str(tmp_path / "missing.csv"), verbosity=0)
