"""Link extraction with lxml, for comparison with Scoutly's (bench/peer.rs).

    python extract_lxml.py CORPUS_DIR [REPEATS]

Reads every *.html file in CORPUS_DIR (its first line, an HTML comment,
holds the page's URL), then for each: parses it with lxml.html, takes
every <a href>, resolves it against the page URL (and <base href>), drops
the fragment and keeps http(s) links; prints one JSON line with the bytes
read, the links kept and the best time over REPEATS passes. Scoutly's side
does the same plus canonicalisation and job-link classification.
"""

import json
import os
import sys
import time
from urllib.parse import urldefrag, urljoin

import lxml.html


def links(html: bytes, url: str) -> int:
    doc = lxml.html.document_fromstring(html)
    base = doc.find(".//base[@href]")
    if base is not None:
        url = urljoin(url, base.get("href"))
    kept = set()
    for a in doc.iterfind(".//a[@href]"):
        link, _ = urldefrag(urljoin(url, a.get("href").strip()))
        if link.startswith(("http://", "https://")):
            kept.add(link)
    return len(kept)


def main() -> None:
    corpus = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    pages = []
    for name in sorted(os.listdir(corpus)):
        if name.endswith(".html"):
            with open(os.path.join(corpus, name), "rb") as f:
                data = f.read()
            first = data.split(b"\n", 1)[0].decode()
            pages.append((data, first.removeprefix("<!-- ").removesuffix(" -->")))
    best = float("inf")
    found = 0
    for _ in range(repeats):
        start = time.perf_counter()
        found = sum(links(data, url) for data, url in pages)
        best = min(best, time.perf_counter() - start)
    size = sum(len(d) for d, _ in pages)
    print(json.dumps({"pages": len(pages), "bytes": size, "links": found, "seconds": best,
                      "lxml": ".".join(map(str, lxml.etree.LXML_VERSION))}))


if __name__ == "__main__":
    main()
