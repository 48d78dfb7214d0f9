"""A local web site for ingestion tests, on loopback: a 200+ page sitemap, robots rules, ETags and
304s, redirects, 404/500/flaky/slow/huge responses, malformed and non-UTF-8 HTML, a PDF, an event
feed and open-data files. ``hits`` counts responses by (path, status)."""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

N_PAGES = 210
WORDS = ["calanque", "port", "marché", "musée", "plage", "soleil", "mistral", "colline", "fontaine", "navette",
         "quai", "phare", "olivier", "lavande", "santon", "festival", "opéra", "tramway", "université", "campus"]


def page_html(n: int, version: int) -> str:
    rng = random.Random(n * 1000 + version)  # distinct text per page and version, the same at every run
    words = " ".join(rng.choice(WORDS) for _ in range(60))
    return (f"<html><head><title>Page {n}</title></head><body><nav>Accueil | Plan du site</nav>"
            f"<article><h1>Page {n}</h1><p>Le numéro {n} (version {version}) parle de {words}.</p>"
            f"<h2>Horaires {n}</h2><p>Ouvert tous les jours de 9 h à {10 + n % 8} h, sauf le lundi {n}.</p>"
            f"</article><footer>Mentions légales</footer></body></html>")


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with text in Helvetica (ASCII only), built by hand so tests need no PDF writer."""
    text_ops = " ".join(f"({line}) Tj 0 -16 Td" for line in lines)
    stream = f"BT /F1 12 Tf 72 720 Td {text_ops} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><title>Agenda</title>
<link>http://site/</link><description>events</description>
<item><title>Marché de Noël passé</title><link>http://site/ev/past</link><guid>past</guid>
<description>Un marché qui a déjà eu lieu.</description><ev:startdate>2020-12-01</ev:startdate>
<ev:enddate>2020-12-24</ev:enddate></item>
<item><title>Fête des calanques</title><link>http://site/ev/future</link><guid>future</guid>
<description><![CDATA[<p>Une <b>grande fête</b> au bord de l'eau, avec concerts et kayak.</p>]]></description>
<ev:startdate>2099-06-01</ev:startdate><ev:enddate>2099-06-03</ev:enddate></item>
<item><title>Nouvelle ligne de navette maritime</title><link>http://site/news/1</link><guid>news-1</guid>
<description>La navette relie désormais le Vieux-Port à la Pointe-Rouge toutes les heures.</description></item>
</channel></rss>"""

POI_JSON = {"records": [
    {"id": "p1", "name": "Plage des Catalans", "about": "Plage de sable près du Vieux-Port.", "lat": 43.2905,
     "lon": 5.3590, "web": "http://site/poi/p1"},
    {"id": "p2", "name": "Musée Granet", "about": "Musée des beaux-arts à Aix.", "lat": 43.5255, "lon": 5.4525},
    {"id": "p3", "name": "Concert fini", "about": "Déjà passé.", "lat": 43.3, "lon": 5.4, "end": "2020-01-01"},
    {"id": "p4", "name": "Salon futur", "about": "Un salon à venir au parc Chanot.", "lat": 43.27, "lon": 5.39,
     "start": "2099-09-20", "end": "2099-09-30"},
]}
POI_CSV = "code;nom;texte;latitude;longitude\nc1;Calanque de Sormiou;Grande calanque;43,2095;5,4185\n" \
          "c2;Plage Lumière;Longue plage de La Ciotat;43,1760;5,6120\n"
POI_GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [5.3611, 43.2967]},
     "properties": {"ref": "g1", "label": "Mucem", "desc": "Musée des civilisations."}}]}


class Site:
    def __init__(self) -> None:
        self.version: dict[int, int] = {}
        self.removed: set[int] = set()
        self.broken: set[int] = set()
        self.hits: Counter[tuple[str, int]] = Counter()
        self.flaky_served = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def page_urls(self) -> list[str]:
        return [f"{self.base}/pages/{n}.html" for n in range(N_PAGES) if n not in self.removed]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8",
                     headers: dict[str, str] | None = None) -> None:
                with site.lock:
                    site.hits[(self.path, status)] += 1
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if body:
                    # the client may have given up: timeouts are part of the fixtures
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path
                b = site.base
                if path == "/robots.txt":
                    return self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
                if path == "/sitemap.xml":
                    body = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                            f"<sitemap><loc>{b}/sitemap-a.xml</loc></sitemap>"
                            f"<sitemap><loc>{b}/sitemap-b.xml</loc></sitemap></sitemapindex>")
                    return self.send(200, body.encode(), "application/xml")
                if path in ("/sitemap-a.xml", "/sitemap-b.xml"):
                    urls = site.page_urls() if path == "/sitemap-a.xml" else [
                        f"{b}/private/secret.html", f"{b}/redirect/5", f"{b}/missing", f"{b}/error", f"{b}/slow",
                        f"{b}/huge", f"{b}/malformed", f"{b}/latin1", f"{b}/flaky", f"{b}/pages/0.html"]
                    body = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                            + "".join(f"<url><loc>{u}</loc></url>" for u in urls) + "</urlset>")
                    return self.send(200, body.encode(), "application/xml")
                if path.startswith("/pages/"):
                    n = int(path.split("/")[-1].split(".")[0])
                    if n in site.removed:
                        return self.send(404)
                    if n in site.broken:
                        return self.send(500)
                    version = site.version.get(n, 1)
                    etag = f'"p{n}-v{version}"'
                    if self.headers.get("If-None-Match") == etag:
                        return self.send(304, headers={"ETag": etag})
                    return self.send(200, page_html(n, version).encode(), headers={"ETag": etag})
                if path.startswith("/redirect/"):
                    return self.send(301, headers={"Location": f"{b}/pages/{path.split('/')[-1]}.html"})
                if path == "/error":
                    return self.send(500)
                if path == "/flaky":
                    with site.lock:
                        site.flaky_served += 1
                        first = site.flaky_served == 1
                    if first:
                        return self.send(503, headers={"Retry-After": "0"})
                    return self.send(200, page_html(999, 1).replace("Page 999", "Flaky page").encode())
                if path == "/slow":
                    time.sleep(3)
                    return self.send(200, page_html(998, 1).encode())
                if path == "/huge":
                    return self.send_huge()
                if path == "/malformed":
                    body = ("<html><body><div><p>Texte sans fin <b>gras <i>mal fermé <p>Le marché du cours "
                            "Julien a lieu chaque matin, avec fruits, légumes et fleurs de Provence.<div></html")
                    return self.send(200, body.encode())
                if path == "/latin1":
                    body = ("<html><head><title>Église</title></head><body><article><h1>Église Saint-Laurent</h1>"
                            "<p>L'église romane domine le port, près du café où l'on boit un pastis à l'ombre."
                            " Elle est ouverte l'après-midi et accueille des concerts d'orgue l'été.</p>"
                            "</article></body></html>").encode("iso-8859-1")
                    return self.send(200, body, "text/html; charset=iso-8859-1")
                if path == "/feed.xml":
                    return self.send(200, FEED.encode(), "application/rss+xml")
                if path == "/poi.json":
                    return self.send(200, json.dumps(POI_JSON).encode(), "application/json")
                if path == "/poi.csv":
                    return self.send(200, POI_CSV.encode(), "text/csv")
                if path == "/poi.geojson":
                    return self.send(200, json.dumps(POI_GEOJSON).encode(), "application/geo+json")
                if path == "/brochure.pdf":
                    return self.send(200, make_pdf(["Brochure des calanques", "Sentiers, plages et acces en ete",
                                                    "Le parc national protege la faune et la flore."]),
                                     "application/pdf")
                return self.send(404)

            def send_huge(self) -> None:
                """50 MB without Content-Length: the client must stop reading by itself."""
                with site.lock:
                    site.hits[(self.path, 200)] += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                block = b"<p>" + b"x" * (1024 * 1024 - 7) + b"</p>"
                try:
                    for _ in range(50):
                        self.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
