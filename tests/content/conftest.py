import pytest

from content import tasks


class SentTasks:
    """What would have gone to the broker: (task name, args) in order."""

    def __init__(self):
        self.calls: list[tuple[str, tuple]] = []

    def args_of(self, task) -> list[tuple]:
        return [args for name, args in self.calls if name == task.name]


@pytest.fixture
def sent_tasks(monkeypatch) -> SentTasks:
    sent = SentTasks()
    for task in (tasks.embed_items, tasks.embed_profile):
        monkeypatch.setattr(task, "delay", lambda *args, _name=task.name: sent.calls.append((_name, args)))
    return sent


@pytest.fixture
def books(db):
    from tests import factories

    return factories.DomainFactory(slug="books", name="Books")
