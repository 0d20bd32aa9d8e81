"""gunicorn settings for `make run` and production: `gunicorn -c platform_site/gunicorn.conf.py platform_site.wsgi`."""

import os

bind = os.environ.get("PLATFORM_ADDRESS", "127.0.0.1:8000")
# Processes: each holds its own database connections and, once someone types a query, the embedding model.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads overlap database waits within a process; ranking itself holds the GIL.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Gunicorn answers a longer request line itself, with an HTML page even under /api/; its largest bounded value, so
# the site's own limit (platform_site.middleware.MAX_URL_LENGTH) answers first, in the API's JSON.
limit_request_line = 8190
# Recycle workers now and then, so slow growth in one process never becomes an outage.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "") else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "platform-web"
# gunicornc's control socket defaults to one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn): a second gunicorn on
# this machine (another checkout, a test run) would take it over and remove it when it stops. Only on request.
control_socket_disable = not os.environ.get("WEB_CONTROL_SOCKET")
control_socket = os.environ.get("WEB_CONTROL_SOCKET") or "gunicorn.ctl"


def on_starting(server):
    """Before the socket is bound or a worker forked: a database, broker or model that is not there stops gunicorn
    with one line, not a site that answers 500 to everyone."""
    from platform_site import embedded, preflight

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings")
    # The master holds the lease on the embedded servers for the workers it forks.
    embedded.ensure_started()
    preflight.run_or_exit()


def post_worker_init(worker):
    """Once the worker has loaded the site: one BLAS thread, and startup's objects frozen (serving_process.tune)."""
    from platform_site import serving_process

    serving_process.tune()
