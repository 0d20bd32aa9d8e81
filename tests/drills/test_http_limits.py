"""Requests over the site's size limits, against the real web server on a raw keep-alive connection: the answer
says so in the API's JSON, and a refused body never leaves the connection in a state the next request trips on."""

import json
import socket

import pytest

pytestmark = [pytest.mark.drill, pytest.mark.slow]


def read_response(connection: socket.socket) -> tuple[int, dict, bytes]:
    """One HTTP/1.1 response with a Content-Length: (status, lower-cased headers, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in header_lines)}
    status = int(status_line.split(" ")[1])
    if headers.get("transfer-encoding") == "chunked":
        return status, headers, read_chunked(connection, body)
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        body += receive(connection)
    return status, headers, body


def receive(connection: socket.socket) -> bytes:
    chunk = connection.recv(65536)
    assert chunk, "connection closed inside the body"
    return chunk


def read_chunked(connection: socket.socket, data: bytes) -> bytes:
    body = b""
    while True:
        while b"\r\n" not in data:
            data += receive(connection)
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        while len(data) < size + 2:
            data += receive(connection)
        if size == 0:
            return body
        body, data = body + data[:size], data[size + 2 :]


def request(path: str, *, method="GET", body: bytes = b"", host: str) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n"
    if method == "POST":
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def test_413_and_414_are_json_and_a_413_closes_the_connection(topology):
    site = topology()
    site.start_redis()
    site.start_web()
    host = f"127.0.0.1:{site.web_port}"

    with socket.create_connection(("127.0.0.1", site.web_port), timeout=20) as connection:
        connection.sendall(request(f"/api/v1/items/?q={'x' * 6000}", host=host))
        status, headers, body = read_response(connection)
        assert status == 414, body
        assert headers["content-type"].startswith("application/json")
        assert json.loads(body)["error"]["code"] == "request_uri_too_long"
        # A refused address leaves the connection as good as new.
        connection.sendall(request("/api/v1/domains/", host=host))
        assert read_response(connection)[0] == 200

        too_large = b'{"username": "' + b"x" * (3 * 1024 * 1024) + b'"}'
        connection.sendall(request("/api/v1/auth/token/", method="POST", body=too_large, host=host))
        status, headers, body = read_response(connection)
        assert status == 413, body
        assert json.loads(body)["error"]["code"] == "request_too_large"
        assert headers["connection"].lower() == "close"
        connection.settimeout(5)
        assert connection.recv(1) == b"", "the server kept the connection open after a 413"

    page = f"/{'x' * 6000}/"
    with socket.create_connection(("127.0.0.1", site.web_port), timeout=20) as connection:
        connection.sendall(request(page, host=host))
        status, headers, _ = read_response(connection)
        assert status == 414
        assert headers["content-type"].startswith("text/html")
