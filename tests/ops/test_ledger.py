"""The no-loss ledger at a small size: three people and an editor write through a real web process while a worker
is SIGKILLed and Redis is bounced; every row of the ledger must hold."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.slow, pytest.mark.drill]


def test_small_ledger_balances_with_a_worker_killed_and_redis_bounced(transactional_db, capsys):
    call_command(
        "ledger", "--start", "--clients=3", "--interactions=60", "--upserts=10", "--pause=0.5", "--web-processes=1",
        "--settle-seconds=120",
    )  # fmt: skip

    printed = capsys.readouterr().out
    print(printed)
    # Both faults strike while the clients are still writing.
    assert (
        printed.index("fault: worker SIGKILLed") < printed.index("fault: Redis stopped") < printed.index("writes done")
    )
    assert "every row holds" in printed
