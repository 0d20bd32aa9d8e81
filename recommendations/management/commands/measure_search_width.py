from django.core.management.base import BaseCommand

from recommendations import search_width


class Command(BaseCommand):
    help = (
        "Measure now the HNSW search width serving needs (recall@10 against exact search on people's vectors) and "
        "share it with every process; the periodic task does the same when due. Useful after a bulk import."
    )

    def add_arguments(self, parser):
        parser.add_argument("--target", type=float, help="Recall@10 to reach (default HNSW_TARGET_RECALL).")

    def handle(self, *args, target, **options):
        result = search_width.measure_and_store(target=target)
        if "recall@10" not in result:
            self.stdout.write(f"Nothing measured: {result['reason']}; serving uses {result['search_width']}.")
            return
        widths = ", ".join(f"{width}: {recall}" for width, recall in result["recall_by_width"].items())
        self.stdout.write(
            f"search width {result['search_width']}: recall@10 {result['recall@10']} (target {result['target']}, "
            f"{'reached' if result['reached'] else 'not reached'}) over {result['items']:,} items; {widths}; "
            f"{result['seconds']} s"
        )
