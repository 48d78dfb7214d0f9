"""A generated web site for the ingestion benchmark: ``sources`` sitemaps of ``pages`` pages each,
with ETags (so an unchanged re-sync is answered 304). Run in its own process."""

from __future__ import annotations

import random
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection

VOCAB = tuple("""
    calanque port marché musée plage soleil mistral colline fontaine navette quai phare olivier lavande
    santon festival opéra tramway université campus entreprise bureau logement école gare aéroport
    randonnée vignoble bateau île château église place cinéma théâtre stade parc jardin""".split())


def page(source: int, n: int) -> bytes:
    rng = random.Random(source * 100_000 + n)
    paras = "".join(f"<h2>Partie {k}</h2><p>" + " ".join(rng.choice(VOCAB) for _ in range(70)) + ".</p>"
                    for k in range(3))
    return (f"<html><head><title>Source {source} page {n}</title></head><body><nav>menu accueil contact</nav>"
            f"<article><h1>Source {source}, page {n}</h1>{paras}</article><footer>mentions</footer>"
            "</body></html>").encode()


def serve(pages: int, conn: Connection) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def reply(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8",
                  etag: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            if parts == ["robots.txt"]:
                return self.reply(200, b"User-agent: *\nAllow: /\n", "text/plain")
            if len(parts) == 2 and parts[0].startswith("s") and parts[1] == "sitemap.xml":
                base = f"http://{self.headers['Host']}/{parts[0]}"
                urls = "".join(f"<url><loc>{base}/p{n}.html</loc></url>" for n in range(pages))
                body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()
                return self.reply(200, body, "application/xml")
            if len(parts) == 2 and parts[1].startswith("p"):
                source, n = int(parts[0][1:]), int(parts[1][1:].split(".")[0])
                etag = f'"{source}-{n}"'
                if self.headers.get("If-None-Match") == etag:
                    return self.reply(304, etag=etag)
                return self.reply(200, page(source, n), etag=etag)
            return self.reply(404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    conn.send(server.server_address[1])
    server.serve_forever()
