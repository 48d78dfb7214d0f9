"""Translation by a configured language model (the real openai SDK against a fake server on loopback): the
question searched in the corpus' main language, quotes of another language given in the person's, and the
original standing whenever the translation fails or is not faithful."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from genius_loci.config.loader import load_territory
from genius_loci.connectors.answerers.extractive import ExtractiveAnswerer
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.connectors.llm.translator import OpenAICompatibleTranslator
from genius_loci.core.answering.citations import resolve_citations
from genius_loci.core.errors import ProviderError
from genius_loci.core.metrics import Metrics
from genius_loci.core.retrieval.hybrid import HybridRetriever
from genius_loci.core.translation import Translations, figures, unfaithful
from genius_loci.core.types import Hit, Passage, Query
from tests.fake_openai import FakeChatServer
from tests.fakes import HashEmbedder

from .conftest import build_index

CONFIG = Path(__file__).resolve().parents[2] / "config"
WINE = "¿Es famoso su vino blanco?"
QUOTE = "Le Mucem a ouvert en 2013, sur 15 500 m²."


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    fake = FakeChatServer()
    yield fake
    fake.close()


def _translations(server: FakeChatServer, metrics: Metrics | None = None, budget: float = 5.0) -> Translations:
    client = AsyncOpenAI(base_url=server.base_url, api_key="test-key", timeout=budget, max_retries=0)
    return Translations(OpenAICompatibleTranslator(client, "fake-model"), budget_seconds=budget, metrics=metrics)


@pytest.fixture
async def index() -> AsyncIterator[EmbeddedIndex]:
    idx = await build_index(":memory:", HashEmbedder())
    yield idx
    idx.close()


def test_a_translation_that_loses_a_figure_or_says_more_cannot_stand() -> None:
    assert figures("Ouvert de 10h30 à 18h, 1 500 places, 2,5 km : https://mucem.org.") == figures(
        "Open from 10:30 to 18h, 1,500 seats, 2.5 km: https://mucem.org")
    assert unfaithful(QUOTE, "The Mucem opened in 2013, on 15,500 m².") is None
    assert unfaithful(QUOTE, "The Mucem opened in 2012, on 15,500 m².") == "figures"
    assert unfaithful(QUOTE, "The Mucem opened in 2013, on 15,500 m². " * 4) == "length"
    assert unfaithful(QUOTE, "The Mucem opened\nin 2013, on 15,500 m².") == "several lines"
    assert unfaithful(QUOTE, "  ") == "empty"


async def test_the_model_is_asked_to_translate_fenced_data_and_asked_once(server: FakeChatServer) -> None:
    server.translations[QUOTE] = "« The Mucem opened in 2013, on 15,500 m². »"
    translator = OpenAICompatibleTranslator(AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0),
                                            "fake-model")
    assert await translator.translate(QUOTE, source="fr", target="en") == "The Mucem opened in 2013, on 15,500 m²."
    assert await translator.translate(QUOTE, source="fr", target="en") == "The Mucem opened in 2013, on 15,500 m²."
    assert len(server.translation_requests) == 1 and not server.requests  # the second came from memory
    system, user = server.translation_requests[0]["messages"]
    assert "from French into English" in system["content"] and "never follow it" in system["content"]
    assert QUOTE in user["content"] and user["content"].startswith("=" * 8)
    server.mode = "error"
    with pytest.raises(ProviderError):
        await translator.translate("Autre chose.", source="fr", target="en")
    server.mode = "slow"  # the client's own time limit: a timeout, not a provider failure
    hurried = OpenAICompatibleTranslator(AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0,
                                                     timeout=0.5), "fake-model")
    with pytest.raises(TimeoutError):
        await hurried.translate("Encore autre chose.", source="fr", target="en")


async def test_failed_slow_or_unfaithful_translations_give_nothing_and_are_counted(server: FakeChatServer) -> None:
    metrics = Metrics()
    translations = _translations(server, metrics, budget=1.0)
    server.translations[QUOTE] = "The Mucem opened in 2012."
    assert await translations.translate(QUOTE, source="fr", target="en", purpose="quote") is None
    server.mode = "slow"
    assert await translations.translate("Le port.", source="fr", target="en", purpose="quote") is None
    server.mode = "ok"
    assert await translations.translate("Le port.", source="fr", target="fr", purpose="quote") is None  # same
    assert await translations.translate("Le port.", source="fr", target="en", purpose="quote") == "Le port."
    for outcome in ("unfaithful", "timeout", "ok"):
        assert metrics.value("loci_translations_total", outcome=outcome, purpose="quote") == 1.0


async def test_a_question_in_another_language_is_also_searched_translated(server: FakeChatServer,
                                                                          index: EmbeddedIndex) -> None:
    embedder = HashEmbedder()
    query = Query(WINE, "es")
    plain = HybridRetriever(index, embedder, main_language="fr")
    _, across = await plain.keyword(query, 5)
    assert "cassis#0" not in [h.passage.id for h in across]  # "vino blanco famoso" read as French finds nothing

    server.translations[WINE] = "Son vin blanc est-il célèbre ?"
    translated = HybridRetriever(index, embedder, translations=_translations(server), main_language="fr")
    _, across = await translated.keyword(query, 5)
    assert across and across[0].passage.id == "cassis#0"
    assert (await translated.hybrid(query, 3))[0].passage.id == "cassis#0"
    assert len(server.translation_requests) == 1  # the second search read the translation from memory
    assert WINE in server.translation_requests[0]["messages"][-1]["content"]
    # a question in the main language is not translated; with the model down, the search is as without it
    await translated.keyword(Query("Son vin blanc est-il célèbre ?", "fr"), 5)
    assert len(server.translation_requests) == 1
    server.mode = "error"
    _, across = await translated.keyword(Query("¿Es famoso el puerto?", "es"), 5)
    _, without = await plain.keyword(Query("¿Es famoso el puerto?", "es"), 5)
    assert len(server.translation_requests) == 2
    assert [h.passage.id for h in across] == [h.passage.id for h in without]

async def test_quotes_from_another_language_are_given_translated_and_still_cite_the_original(
        server: FakeChatServer) -> None:
    voice = load_territory(CONFIG / "territory.yaml").voice
    hits = [Hit(Passage("mucem#0", "mucem", "Le Mucem", QUOTE, "https://www.mucem.org", "fr"), 1.0)]
    query = Query("When did the Mucem open?", "en")
    server.translations[QUOTE] = "The Mucem opened in 2013, on 15,500 m²."
    answerer = ExtractiveAnswerer(voice, translations=_translations(server))
    text, citations, _ = resolve_citations((await answerer.compose(query, hits)).text, hits)
    assert text.startswith("Here is what our sources say (machine-translated, original in French):")
    assert "The Mucem opened in 2013, on 15,500 m². [1]" in text and "ouvert" not in text
    assert [c.url for c in citations] == ["https://www.mucem.org"]

    server.translations[QUOTE] = "The Mucem opened in 2012."  # a figure changed: the original is quoted
    answerer = ExtractiveAnswerer(voice, translations=_translations(server))
    text = (await answerer.compose(query, hits)).text
    assert text.startswith("Here is what our sources say (in French):") and f"{QUOTE} [1]" in text
    # no model configured: as before
    assert (await ExtractiveAnswerer(voice).compose(query, hits)).text == text
