import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings")


def close_after_refused_body(application):
    """A 413 ends the connection (`Connection: close`): the refused body was never read, and a client that goes on
    on the same connection would have its next request read from the middle of it.

    WSGI leaves the Connection header to the server (PEP 3333 forbids hop-by-hop headers from the application, and
    gunicorn drops them), so the close is asked of gunicorn's response object, whose method start_response is.
    """

    def serve(environ, start_response):
        def start(status, headers, exc_info=None):
            if status.startswith("413"):
                force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
                if force_close is not None:
                    force_close()
            return start_response(status, headers, exc_info)

        return application(environ, start)

    return serve


application = close_after_refused_body(get_wsgi_application())
