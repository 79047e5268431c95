"""A small OAI-PMH provider for tests, served on loopback (127.0.0.1, a free port).

It pages with resumption tokens, filters by from/until/set, lists its metadata formats
(`formats`), and can be told to misbehave on the next requests (`fail`): 500, 503 with
Retry-After, stall, gzip bomb, DOCTYPE bomb, expired token, invalid characters, a redirect,
a response trickled a byte at a time (headers, Content-Length, chunked or gzip), or any raw
body. Records can be changed or deleted between runs, or removed without a trace
(`deleted_record` says what Identify declares); `repeat_tokens` makes it loop on one token,
`reject_tokens` refuse every token it issued, `response_date` stamp every response with a
fixed responseDate. Run as a script, it serves numbered records for a subprocess test.
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape, quoteattr

SECONDS = "YYYY-MM-DDThh:mm:ssZ"
#: The network the providers listen on, which harvests refuse unless it is allowed.
LOOPBACK = "127.0.0.0/8"
#: What ListMetadataFormats offers unless a test changes `formats`: prefix -> namespace.
FORMATS = {"oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
           "heritage": "https://github.com/heritage-catalogue/schemas/record"}
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-01T00:00:00Z</responseDate>
<request>x</request><Identify><repositoryName>&lol4;&xxe;</repositoryName></Identify></OAI-PMH>"""


#: Put into the first title by the "invalid-chars" fault: a character reference, a raw control
#: character and (replaced at byte level) a byte that is not UTF-8.
BAD = "&#x1;\x02@@BADBYTE@@"


@cache
def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzipped (built once per size: compressing tens of megabytes inside the
    request handler took longer than the client's read timeout under load)."""
    return gzip.compress(b"\0" * size)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Item:
    """A record of the provider: Dublin Core fields (name -> list of values) or deleted."""

    identifier: str
    datestamp: str
    dc: dict[str, list[str]] = field(default_factory=dict)
    deleted: bool = False
    sets: list[str] = field(default_factory=list)
    metadata: str = ""  # raw XML of the metadata element (any format), instead of `dc`


class Provider:
    """The repository and its HTTP server; use as a context manager."""

    def __init__(self, page_size: int = 2, granularity: str = SECONDS, name: str = "Test provider"):
        self.page_size, self.granularity, self.name = page_size, granularity, name
        self.items: dict[str, Item] = {}
        self.faults: deque[tuple[str, Any]] = deque()
        self.requests: list[dict[str, str]] = []
        self.user_agents: list[str] = []
        self.delay = 0.0
        self.repeat_tokens = False  # answer every resumed request with the token it was sent
        self.deleted_record = "persistent"  # what Identify says: persistent, transient or no
        self.reject_tokens: int | None = None  # refuse every token: with this HTTP status (200 or 422)
        self.response_date: str | None = None  # a fixed responseDate instead of the time
        self.formats = dict(FORMATS)
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # -- data ----------------------------------------------------------------------------

    def put(self, identifier: str, title: str, /, *, datestamp: str | None = None, sets: list[str] | None = None,
            **dc: str | list[str]) -> None:
        """Add or change a record; extra keyword arguments are other DC elements."""
        values = {"title": [title]} if title else {}
        values.update({k: v if isinstance(v, list) else [v] for k, v in dc.items()})
        with self.lock:
            self.items[identifier] = Item(identifier, datestamp or now(), values, sets=sets or [])

    def put_xml(self, identifier: str, metadata: str, datestamp: str | None = None) -> None:
        """Add or change a record whose metadata is given as XML (e.g. the native format)."""
        with self.lock:
            self.items[identifier] = Item(identifier, datestamp or now(), metadata=metadata)

    def delete(self, identifier: str, datestamp: str | None = None) -> None:
        with self.lock:
            item = self.items[identifier]
            item.deleted, item.dc, item.metadata, item.datestamp = True, {}, "", datestamp or now()

    def remove(self, identifier: str) -> None:
        """Forget a record without a trace (a provider that keeps no deleted records)."""
        with self.lock:
            del self.items[identifier]

    def fail(self, kind: str, arg: Any = None, times: int = 1) -> None:
        """Misbehave on the next `times` requests (see the module docstring for kinds)."""
        if kind == "gzip-bomb":
            arg = gzip_bomb(arg or 20_000_000)  # ready before the request, so it is answered at once
        for _ in range(times):
            self.faults.append((kind, arg))

    # -- server --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/oai"

    def __enter__(self) -> Provider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    # -- protocol ------------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        params = {k: v[0] for k, v in parse_qs(urlparse(handler.path).query).items()}
        self.requests.append(params)
        self.user_agents.append(handler.headers.get("User-Agent", ""))
        if self.delay:
            time.sleep(self.delay)
        fault = self.faults.popleft() if self.faults else (None, None)
        status, headers, body = self.respond(params, fault)
        if fault[0] == "trickle":
            self.trickle(handler, status, headers, body, **(fault[1] or {}))
            return
        try:
            handler.send_response(status)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def trickle(self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes,
                framing: str = "length", interval: float = 0.05) -> None:
        """Send a response a byte every `interval` seconds: the body with a Content-Length,
        chunked or gzipped, or (framing "headers") the status line and headers themselves."""
        head = [f"HTTP/1.1 {status} OK", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close"]
        if framing == "gzip":
            body = gzip.compress(body)
            head.append("Content-Encoding: gzip")
        if framing == "chunked":
            head.append("Transfer-Encoding: chunked")
            pieces = [b"%x\r\n%s\r\n" % (1, body[n: n + 1]) for n in range(len(body))] + [b"0\r\n\r\n"]
        else:
            head.append(f"Content-Length: {len(body)}")
            pieces = [body[n: n + 1] for n in range(len(body))]
        start = ("\r\n".join(head) + "\r\n\r\n").encode()
        if framing == "headers":
            pieces = [start[n: n + 1] for n in range(len(start))] + [body]
        else:
            pieces.insert(0, start)
        handler.close_connection = True
        try:
            for piece in pieces:
                handler.wfile.write(piece)
                handler.wfile.flush()
                time.sleep(interval)
        except OSError:  # the client hung up: what the test wants
            pass

    def respond(self, params: dict[str, str], fault: tuple[str | None, Any]) -> tuple[int, dict[str, str], bytes]:
        kind, arg = fault
        xml = {"Content-Type": "text/xml; charset=utf-8"}
        if kind == "500":
            return 500, {}, b"oops"
        if kind == "503":
            return 503, {"Retry-After": str(arg if arg is not None else 0)}, b""
        if kind == "stall":
            time.sleep(arg or 3)
        if kind == "gzip-bomb":
            return 200, dict(xml, **{"Content-Encoding": "gzip"}), arg
        if kind == "doctype-bomb":
            return 200, xml, BILLION_LAUGHS
        if kind == "raw":
            status, body = arg
            return status, xml, body
        if kind == "redirect":
            return 302, {"Location": arg}, b""
        verb = params.get("verb")
        if verb == "Identify":
            return 200, xml, self.envelope(params, self.identify())
        if verb == "ListMetadataFormats":
            return 200, xml, self.envelope(params, self.metadata_formats())
        if verb != "ListRecords":
            return 200, xml, self.envelope(params, '<error code="badVerb">unsupported here</error>')
        token = params.get("resumptionToken")
        if token and (kind == "bad-token" or self.reject_tokens):
            status = self.reject_tokens or 200
            return status, xml, self.envelope(params, '<error code="badResumptionToken">expired</error>')
        try:
            query = json.loads(base64.urlsafe_b64decode(token)) if token else {
                k: params.get(k) for k in ("from", "until", "set", "metadataPrefix")} | {"offset": 0}
        except ValueError:
            return 200, xml, self.envelope(params, '<error code="badResumptionToken">unknown token</error>')
        body = self.list_records(query, repeat=token if self.repeat_tokens else None,
                                 bad_chars=kind == "invalid-chars")
        return 200, xml, self.envelope(params, body).replace(b"@@BADBYTE@@", b"\xff")

    def envelope(self, params: dict[str, str], body: str) -> bytes:
        attrs = "".join(f" {k}={quoteattr(v)}" for k, v in params.items())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<responseDate>{self.response_date or now()}</responseDate>"
            f"<request{attrs}>{escape(self.url)}</request>{body}</OAI-PMH>"
        ).encode()

    def identify(self) -> str:
        return (f"<Identify><repositoryName>{escape(self.name)}</repositoryName><baseURL>{escape(self.url)}"
                "</baseURL><protocolVersion>2.0</protocolVersion><adminEmail>admin@example.org</adminEmail>"
                "<earliestDatestamp>2000-01-01T00:00:00Z</earliestDatestamp>"
                f"<deletedRecord>{self.deleted_record}</deletedRecord>"
                f"<granularity>{self.granularity}</granularity></Identify>")

    def metadata_formats(self) -> str:
        formats = "".join(f"<metadataFormat><metadataPrefix>{escape(prefix)}</metadataPrefix><schema>"
                          f"{escape(namespace)}.xsd</schema><metadataNamespace>{escape(namespace)}</metadataNamespace>"
                          "</metadataFormat>" for prefix, namespace in self.formats.items())
        return f"<ListMetadataFormats>{formats}</ListMetadataFormats>"

    def matching(self, query: dict[str, Any]) -> list[Item]:
        with self.lock:
            items = sorted(self.items.values(), key=lambda i: i.identifier)
        out = []
        for item in items:
            stamp = item.datestamp[: len(query["from"])] if query.get("from") else None
            if stamp and stamp < query["from"]:
                continue
            if query.get("until") and item.datestamp[: len(query["until"])] > query["until"]:
                continue
            if query.get("set") and not any(s == query["set"] or s.startswith(query["set"] + ":")
                                            for s in item.sets):
                continue
            out.append(item)
        return out

    def list_records(self, query: dict[str, Any], repeat: str | None, bad_chars: bool) -> str:
        items = self.matching(query)
        if not items:
            return '<error code="noRecordsMatch"/>'
        offset = query["offset"]
        page = items[offset: offset + self.page_size]
        xml = "".join(self.record(item, bad_chars and n == 0) for n, item in enumerate(page))
        if offset + self.page_size < len(items):
            token = repeat or base64.urlsafe_b64encode(
                json.dumps(dict(query, offset=offset + self.page_size)).encode()).decode()
            xml += f'<resumptionToken completeListSize="{len(items)}" cursor="{offset}">{token}</resumptionToken>'
        elif offset:
            xml += f'<resumptionToken completeListSize="{len(items)}" cursor="{offset}"/>'
        return f"<ListRecords>{xml}</ListRecords>"

    def record(self, item: Item, bad_chars: bool = False) -> str:
        sets = "".join(f"<setSpec>{escape(s)}</setSpec>" for s in item.sets)
        status = ' status="deleted"' if item.deleted else ""
        header = (f"<header{status}><identifier>{escape(item.identifier)}</identifier>"
                  f"<datestamp>{item.datestamp}</datestamp>{sets}</header>")
        if item.deleted:
            return f"<record>{header}</record>"
        if item.metadata:
            return f"<record>{header}<metadata>{item.metadata}</metadata></record>"
        fields = "".join(f"<dc:{name}>{escape(value)}{BAD if bad_chars and name == 'title' else ''}"
                         f"</dc:{name}>" for name, values in item.dc.items() for value in values)
        return (f'<record>{header}<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
                f' xmlns:dc="http://purl.org/dc/elements/1.1/">{fields}</oai_dc:dc></metadata></record>')


def main() -> None:
    """Serve N records with a delay per request and print the URL (for subprocess tests)."""
    count, delay = int(sys.argv[1]), float(sys.argv[2])
    with Provider(page_size=2) as provider:
        for n in range(count):
            provider.put(f"oai:test:{n:04d}", f"Record {n}", type="monument", datestamp="2024-01-01T00:00:00Z")
        provider.delay = delay
        print(provider.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
