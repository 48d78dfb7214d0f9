from dataclasses import replace
from pathlib import Path

from genius_loci.connectors.chunking import SectionChunker
from genius_loci.connectors.embeddings.cache import CachedEmbedder
from genius_loci.connectors.embeddings.sentences import SentenceVectors
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.connectors.sources.files import FileFetcher
from genius_loci.core.errors import SourceError
from genius_loci.core.ingestion import Ingestor
from genius_loci.core.ports import Fetched
from genius_loci.core.types import Document, SearchRequest, SourceSpec
from tests.fakes import HashEmbedder


class DictFetcher:
    """Serves documents from a dict; a source mapped to an exception fails."""

    def __init__(self) -> None:
        self.docs: dict[str, list[Document] | Exception] = {}

    async def fetch(self, source: SourceSpec) -> Fetched:
        value = self.docs[source.id]
        if isinstance(value, Exception):
            raise value
        return Fetched(value)


def _doc(sid: str, text: str) -> Document:
    return Document(sid, sid.title(), text, f"https://{sid}.example", "en")


def _spec(sid: str) -> SourceSpec:
    return SourceSpec(sid, "dict", sid, f"https://{sid}.example")


async def test_unchanged_content_is_not_reembedded_and_vanished_content_removed(tmp_path: Path) -> None:
    inner = HashEmbedder()
    embedder = CachedEmbedder(inner, tmp_path / "cache.sqlite")
    index = EmbeddedIndex(tmp_path / "index.sqlite", embedder_name=inner.name, dim=inner.dim)
    fetcher = DictFetcher()
    ingestor = Ingestor(fetchers={"dict": fetcher}, chunker=SectionChunker(), embedder=embedder, writer=index)
    fetcher.docs = {"a": [_doc("a", "Alpha text about ports.")], "b": [_doc("b", "Beta text about beaches.")]}
    sources = [_spec("a"), _spec("b")]

    first = await ingestor.run(sources)
    assert (first.added, first.updated, first.unchanged, first.chunks) == (2, 0, 0, 2)
    assert inner.calls == 2

    second = await ingestor.run(sources)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 2)
    assert inner.calls == 2

    fetcher.docs["a"] = [_doc("a", "Alpha text, now updated.")]
    third = await ingestor.run(sources)
    assert (third.updated, third.unchanged) == (1, 1)
    assert inner.calls == 3

    # b fails: what was indexed from it stays; then b disappears from the registry: it is removed
    fetcher.docs["b"] = SourceError("host down")
    fourth = await ingestor.run(sources)
    assert fourth.sources_failed == {"b": "host down"} and fourth.removed == 0
    assert set(await index.fingerprints()) == {"a", "b"}
    only_a = await ingestor.run([_spec("a")])  # a run of one source leaves the others alone
    assert only_a.removed == 0
    b_unlisted = await ingestor.run([_spec("a")], registry={"a"})  # b is no longer in the registry
    assert b_unlisted.removed == 1
    assert set(await index.fingerprints()) == {"a"}


async def test_sentences_are_embedded_with_their_passage_and_only_when_it_changed(tmp_path: Path) -> None:
    inner = HashEmbedder()
    embedder = CachedEmbedder(inner, tmp_path / "cache.sqlite")
    index = EmbeddedIndex(":memory:", embedder_name=inner.name, dim=inner.dim)
    fetcher = DictFetcher()
    ingestor = Ingestor(fetchers={"dict": fetcher}, chunker=SectionChunker(), embedder=embedder, writer=index,
                        sentences=SentenceVectors(embedder))
    fetcher.docs = {"a": [_doc("a", "The port is old. Ferries leave at dawn. Fish is sold on the quay.")],
                    "b": [_doc("b", "One sentence about beaches.")]}
    await ingestor.run([_spec("a"), _spec("b")])
    assert inner.calls == 2 + 3  # two passages, and the three sentences of the first
    await ingestor.run([_spec("a"), _spec("b")])
    assert inner.calls == 5
    fetcher.docs["a"] = [_doc("a", "The port is old. Ferries leave at noon now. Fish is sold on the quay.")]
    await ingestor.run([_spec("a"), _spec("b")])
    assert inner.calls == 5 + 1 + 1  # the changed passage, and its one changed sentence (the cache has the others)
    embedder.close()


async def test_unknown_kind_and_missing_file_are_reported_per_source(tmp_path: Path) -> None:
    inner = HashEmbedder()
    index = EmbeddedIndex(":memory:", embedder_name=inner.name, dim=inner.dim)
    good = tmp_path / "good.md"
    good.write_text("# Good title\n\nSome body text.\n", encoding="utf-8")
    ingestor = Ingestor(fetchers={"file": FileFetcher("fr")}, chunker=SectionChunker(), embedder=inner,
                        writer=index)
    specs = [SourceSpec("good", "file", str(good), "https://g.example", languages=("en",)),
             SourceSpec("gone", "file", str(tmp_path / "gone.md"), "https://x.example"),
             replace(_spec("odd"), kind="carrier-pigeon")]
    report = await ingestor.run(specs)
    assert report.sources_ok == 1
    assert set(report.sources_failed) == {"gone", "odd"}
    assert "cannot read" in report.sources_failed["gone"]
    assert "carrier-pigeon" in report.sources_failed["odd"]
    hits = await index.fingerprints()
    assert set(hits) == {"good"}


def test_chunker_carries_sections_into_titles_and_cuts_long_sections() -> None:
    long_para = " ".join(f"Sentence number {i} is here." for i in range(200))
    text = f"# Title\n\nShort intro.\n\n## Opening hours\n\nOpen daily.\n\n## History\n\n{long_para}"
    doc = Document("d", "Title", text, "https://d.example", "en", expires_at=123.0)
    passages = SectionChunker(chunk_chars=500, overlap_chars=50).split(doc)
    assert passages[0].title == "Title" and passages[0].text == "Short intro."
    assert passages[1].title == "Title — Opening hours" and passages[1].text == "Open daily."
    history = passages[2:]
    assert len(history) > 5 and all(p.title == "Title — History" for p in history)
    assert all(len(p.text) <= 500 for p in passages)
    assert all(p.text.endswith(".") for p in history)  # cut between sentences
    assert [p.id for p in passages[:2]] == ["d#0", "d#1"] and {p.expires_at for p in passages} == {123.0}


def test_embedding_cache_survives_reopening(tmp_path: Path) -> None:
    inner = HashEmbedder()
    cache = CachedEmbedder(inner, tmp_path / "c.sqlite")
    first = cache.embed_sync(["un", "deux"], "passage")
    cache.close()
    again = CachedEmbedder(inner, tmp_path / "c.sqlite")
    second = again.embed_sync(["deux", "un", "trois"], "passage")
    assert inner.calls == 3
    assert (second[1] == first[0]).all() and (second[0] == first[1]).all()
    again.embed_sync(["un"], "query")  # queries are not cached: latency is measured for real
    assert inner.calls == 4


async def test_a_question_is_embedded_once_however_many_steps_need_it(tmp_path: Path) -> None:
    """Retrieval, the confidence model and the extractive answerer each ask for the question's vector: the model
    computes it once; nothing about questions is written to the cache file."""
    import numpy as np

    inner = HashEmbedder()
    cache = CachedEmbedder(inner, tmp_path / "q.sqlite")
    first = await cache.embed(["Quand a ouvert le Mucem ?"], role="query")
    again = await cache.embed(["Quand a ouvert le Mucem ?", "Où est le Vieux-Port ?"], role="query")
    assert inner.calls == 2 and np.array_equal(first[0], again[0]) and again.shape == (2, inner.dim)
    assert cache._db.execute("SELECT count(*) FROM embeddings").fetchone() == (0,)
    cache.close()


async def test_words_kept_on_request_are_embedded_once_across_processes(tmp_path: Path) -> None:
    """The single words whose translations the existence check looks for are kept on disk as queries, unlike
    people's questions; reopened, the cache gives them back without the model."""
    import numpy as np

    inner = HashEmbedder()
    cache = CachedEmbedder(inner, tmp_path / "w.sqlite")
    first = await cache.embed_kept(["piscine", "plage"], role="query")
    cache.close()
    again = CachedEmbedder(inner, tmp_path / "w.sqlite")
    second = await again.embed_kept(["plage", "piscine"], role="query")
    assert inner.calls == 2 and np.array_equal(first[0], second[1]) and np.array_equal(first[1], second[0])
    asked = await again.embed(["plage"], role="query")  # the same vector as a question's
    assert np.array_equal(asked[0], first[1])
    again.close()


async def test_documents_analysed_by_an_earlier_version_are_analysed_again(tmp_path: Path) -> None:
    """An index written before the keyword analysis changed (French words were folded before being stemmed, so
    "randonnée" and "randonner" did not meet): the embedded index analyses its documents again when it is opened,
    from the texts it holds; a document an index reports as stale is written again by the next run, from the cache."""
    inner = HashEmbedder()
    embedder = CachedEmbedder(inner, tmp_path / "cache.sqlite")
    path = tmp_path / "index.sqlite"
    index = EmbeddedIndex(path, embedder_name=inner.name, dim=inner.dim)
    fetcher = DictFetcher()
    ingestor = Ingestor(fetchers={"dict": fetcher}, chunker=SectionChunker(), embedder=embedder, writer=index)
    fetcher.docs = {"hike": [Document("hike", "Randonnées", "Les randonnées dans les calanques.", "https://h.example",
                                      "fr")]}
    await ingestor.run([_spec("hike")])
    fingerprint = (await index.fingerprints())["hike"]

    def as_former_analysis_wrote_it() -> None:
        index._db.execute("UPDATE passages_fts SET terms = 'randonne calanqu'")
        index._db.execute("UPDATE documents SET fingerprint = ?", (fingerprint,))  # no analysis stamp

    as_former_analysis_wrote_it()
    assert await index.fingerprints() == {"hike": ""} and index.document_frequencies(["randon"]) == {}
    again = await ingestor.run([_spec("hike")])
    assert (again.updated, again.unchanged) == (1, 0) and inner.calls == 1  # the vector came from the cache
    assert index.document_frequencies(["randon"]) == {"randon": 1}

    as_former_analysis_wrote_it()
    index.close()
    reopened = EmbeddedIndex(path, embedder_name=inner.name, dim=inner.dim)
    assert await reopened.fingerprints() == {"hike": fingerprint}
    assert reopened.document_frequencies(["randon"]) == {"randon": 1}
    hits = await reopened.search(SearchRequest("bm25", 3, text="Peut-on randonner ?", language="fr"))
    assert [h.passage.doc_id for h in hits] == ["hike"]
    reopened.close()
