"""python -m platform_site.embedded stop|status: manage what `make run` started from another terminal."""

import os
import signal
import sys
import time
from pathlib import Path

import psutil

from platform_site import embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PGDATA = Path(os.environ.get("EMBEDDED_PGDATA", BASE_DIR / ".pgdata"))
RUN_PID = Path(os.environ.get("PLATFORM_RUN_DIR") or BASE_DIR / "var") / "run.pid"


def _stop_runner() -> bool:
    try:
        runner = psutil.Process(int(RUN_PID.read_text()))
    except (OSError, ValueError, psutil.Error):
        return False
    if "ops.run" not in " ".join(runner.cmdline()):
        return False
    runner.send_signal(signal.SIGTERM)
    try:
        runner.wait(40)
    except psutil.TimeoutExpired:
        runner.kill()
    return True


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "stop":
        stopped_runner = _stop_runner()
        # Give the runner's children a moment to detach, then stop the servers whoever still holds them.
        time.sleep(1 if stopped_runner else 0)
        stopped_servers = embedded.stop(PGDATA)
        print(
            f"{'stopped' if stopped_runner else 'no'} make run; "
            f"{'stopped' if stopped_servers else 'no'} embedded PostgreSQL/Redis ({PGDATA})"
        )
        return 0
    if command == "status":
        state = embedded.read_state(PGDATA.resolve())
        print(f"embedded servers: {'running ' + str(state) if state else 'not running'}")
        return 0
    print("usage: python -m platform_site.embedded stop|status", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
