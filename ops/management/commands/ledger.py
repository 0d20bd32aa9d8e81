import shutil
import threading
import time
from uuid import uuid4

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from api.services import token_issue
from content.models import Domain, Item
from ops.ledger import ledger_rows, wait_until_settled
from ops.load import Account, ApiClient, Catalog, editor_writes, person_writes
from ops.topology import FAST_SWEEPS, Topology, database_url

# The started topology finds lost work within seconds; throttles are off, the clients are meant to be fast.
TOPOLOGY_ENV = {**FAST_SWEEPS, "API_THROTTLE_USER": "", "RATE_LIMIT_BIO": ""}
# New items written before the people start (at most half the upserts; the rest is spread over the run).
FIRST_ITEMS = 10


class Command(BaseCommand):
    help = (
        "No-loss ledger. Concurrent API clients (one user each, made here with their tokens) post interactions "
        "with client_ids, some requests sent twice on purpose, while a staff client upserts items; meanwhile a "
        "Celery worker is SIGKILLed and restarted and Redis is stopped and started again. Once the system settles "
        "it prints what was acknowledged against what is stored and whether vectors and interests caught up; it "
        "exits non-zero when any row does not hold. --start runs its own topology on this command's database "
        "(a private Redis, gunicorn, a worker, beat, with one-second sweeps) and stops it at the end; --base-url "
        "writes to a site you run on the same database instead (no faults). Users and items are left in the "
        "database: use a scratch one, e.g. EMBEDDED_DATABASE=platform_ledger."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--start", action="store_true", help="Start a private topology (and break it).")
        target.add_argument("--base-url", help="A running site on this database, e.g. http://127.0.0.1:8000.")
        parser.add_argument("--clients", type=int, default=3, help="Concurrent people writing (default 3).")
        parser.add_argument("--interactions", type=int, default=60, help="Interactions in all (default 60).")
        parser.add_argument("--upserts", type=int, default=10, help="Item upserts in all (default 10).")
        parser.add_argument("--resend-share", type=float, default=0.1, help="Requests sent twice (default 0.1).")
        parser.add_argument("--pause", type=float, default=0.2, help="Seconds between a person's requests.")
        parser.add_argument("--no-faults", action="store_true", help="With --start: kill and bounce nothing.")
        parser.add_argument("--outage-seconds", type=float, default=2.0, help="How long Redis stays down.")
        parser.add_argument("--settle-seconds", type=float, default=180.0, help="Longest wait for catching up.")
        parser.add_argument("--web-processes", type=int, default=2, help="gunicorn processes with --start.")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options):
        run = uuid4().hex[:8]
        topology = None
        try:
            if options["start"]:
                topology = Topology(database_url(connection.settings_dict), env=TOPOLOGY_ENV)
                topology.start_redis()
                topology.start_web(processes=options["web_processes"])
                topology.start_worker()
                topology.start_beat()
                self.stdout.write(f"topology: {topology.base_url}, queue {topology.queue}, logs in {topology.workdir}")
            base_url = topology.base_url if topology else options["base_url"]
            faults = _faults(topology, options["outage_seconds"]) if topology and not options["no_faults"] else []
            people, editor = self._write(run, base_url, faults, options)
            took, counts = wait_until_settled(
                item_ids=_item_ids(editor), user_ids=list(people), timeout=options["settle_seconds"]
            )
            self.stdout.write(f"settled in {took:.1f}s" if took is not None else f"not settled: {counts}")
            rows = ledger_rows(people=people, editor=editor, client_id_prefix=f"{run}-")
        finally:
            if topology is not None:
                topology.stop()
        self._print(run, rows)
        failing = [row.name.strip() for row in rows if row.holds is False]
        if failing:
            raise CommandError(f"{len(failing)} ledger rows do not hold: {', '.join(failing)}")
        if topology is not None:
            shutil.rmtree(topology.workdir, ignore_errors=True)

    def _write(self, run: str, base_url: str, faults: list, options) -> tuple[dict[int, Account], Account]:
        users, editor_user, domain = _accounts(run, options["clients"])
        catalog, editor = Catalog(), Account()
        people = {user.pk: Account() for user in users}
        shares = [
            options["interactions"] // len(users) + (number < options["interactions"] % len(users))
            for number in range(len(users))
        ]
        writers = [
            _writer(
                person_writes, ApiClient(base_url, token_issue(user=user).key), people[user.pk],
                prefix=f"{run}-{number}", count=shares[number], catalog=catalog, pause=options["pause"],
                resend_share=options["resend_share"], seed=options["seed"] + number + 1,
            )
            for number, user in enumerate(users)
        ]  # fmt: skip

        def progress() -> float:
            if not any(writer.is_alive() for writer in writers):
                return 1.0
            return sum(len(account.acknowledged) for account in people.values()) / max(options["interactions"], 1)

        editing = _writer(
            editor_writes, ApiClient(base_url, token_issue(user=editor_user).key), editor,
            prefix=f"ledger-{run}", count=options["upserts"], domain=domain.slug, catalog=catalog,
            first=min(FIRST_ITEMS, max(1, options["upserts"] // 2)), progress=progress, seed=options["seed"],
        )  # fmt: skip
        started = time.monotonic()
        editing.start()
        while not catalog.item_ids and editing.is_alive():
            time.sleep(0.05)
        for writer in writers:
            writer.start()
        # Faults come from this (main) thread: processes started here die with this process, not with a thread.
        pending = list(faults)
        while any(thread.is_alive() for thread in [editing, *writers]):
            if pending and progress() >= pending[0][0]:
                self.stdout.write(pending.pop(0)[1]())
            time.sleep(0.1)
        self.stdout.write(f"writes done in {time.monotonic() - started:.1f}s")
        for _, fault in pending:  # a run too short to meet them still gets its faults
            self.stdout.write(fault())
        return people, editor

    def _print(self, run: str, rows) -> None:
        width = max(len(row.name) for row in rows)
        self.stdout.write(f"\nLedger {run}")
        for row in rows:
            mark = {True: "ok", False: "FAIL", None: ""}[row.holds]
            self.stdout.write(f"  {row.name:<{width}}  {row.value:>14}  {mark}")
        if all(row.holds is not False for row in rows):
            self.stdout.write(self.style.SUCCESS("every row holds"))


def _writer(target, client: ApiClient, account: Account, **kwargs) -> threading.Thread:
    """A thread writing for one account; a crash is recorded as a write never acknowledged."""

    def run():
        try:
            target(client, account, **kwargs)
        except Exception as error:
            account.unacknowledged.append(("crashed", repr(error)))
            raise

    return threading.Thread(target=run, name=f"ledger-{target.__name__}")


def _accounts(run: str, clients: int):
    User = get_user_model()
    domain, _ = Domain.objects.get_or_create(slug="ledger", defaults={"name": "Ledger"})
    editor = User.objects.create_user(f"ledger-{run}-editor", is_staff=True)
    users = [User.objects.create_user(f"ledger-{run}-{number}") for number in range(clients)]
    return users, editor, domain


def _item_ids(editor: Account) -> list[int]:
    return list(Item.objects.filter(external_id__in=editor.acknowledged).values_list("pk", flat=True))


def _faults(topology: Topology, outage_seconds: float) -> list:
    def kill_worker() -> str:
        for worker in topology.running("worker"):
            worker.kill()
        started = time.monotonic()
        topology.start_worker()
        return f"fault: worker SIGKILLed, a new one ready {time.monotonic() - started:.1f}s later"

    def bounce_redis() -> str:
        for redis in topology.running("redis"):
            redis.stop()
        time.sleep(outage_seconds)
        topology.start_redis()
        return f"fault: Redis stopped for {outage_seconds:.0f}s and started again, empty"

    return [(1 / 3, kill_worker), (2 / 3, bounce_redis)]
