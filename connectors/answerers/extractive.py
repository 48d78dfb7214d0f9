"""The extractive answerer: quotes the sentences of the best passages that answer the question best.

It never writes a word of its own beyond the agency's fixed phrases, so it cannot invent; it is
the floor every deployment has, and the fallback when an LLM is down or slow. With a language model configured
(``translations``), quotes from a source in another language are given translated into the person's, the intro
saying so and naming the original's language; the citation links the original.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from genius_loci.core.ingestion import embedding_text
from genius_loci.core.ports import Embedder
from genius_loci.core.translation import Translations
from genius_loci.core.types import Draft, Hit, Query
from genius_loci.core.voice import Voice

from ..analysis import read_as, sentences, terms, without_stopwords
from ..answer_types import asked_type, asks_for_list, has_type

# Sentences quoted for a question. Chosen on PIAF dev half A (780 questions, no abstention; python -m
# bench.answer_length): 3 sentences contain the gold answer in 0.753 of the answers, median 388 characters;
# 2 sentences 0.710, median 331. A list or a plan
# ("que visiter en un jour ?") takes each of up to three passages' best sentence, four sentences in all.
MAX_SENTENCES = 3
LIST_SENTENCES = 4
# What a question's word weighs in a sentence: TITLE_WEIGHT when it is in the passage's title (the page is about
# it, so the sentence that answers is the one holding the question's other words: "Comment monter à Notre-Dame de
# la Garde ?" is answered by "On y monte … avec le bus 60", not by "La basilique Notre-Dame de la Garde veille sur
# Marseille"), divided by the number of the passage's sentences holding it to the power SPREAD (a word every
# sentence holds tells them apart less). A sentence is quoted when it scores PICK_RATIO of the best one's.
# Chosen on half A of PIAF dev (3 sentences: gold contained 0.729 -> 0.753, median 379 -> 388 characters); on half
# B, never used for it: 0.729 -> 0.755, median 364 -> 378 (bench.answer_length).
TITLE_WEIGHT = 0.25
SPREAD = 1.0
PICK_RATIO = 0.82
SAME_LANGUAGE_MARGIN = 0.75  # score units: a passage in the user's language this close to the best is preferred
# ... when it says the same thing: its vector this close to the best passage's. Measured on the bundled pages
# (multilingual-e5-small): a page and its translation 0.90 to 0.94 (median 0.93), two different pages in two
# languages median 0.77 ("Plan-de-Campagne, grande zone commerciale" and "Markets" 0.81).
SAME_THING_COSINE = 0.9
FIRST_PASSAGE_PRIOR = 0.1  # sentences of the best passage win unless another is clearly better
# a sentence holding what the question asks for (a date for "when", an amount for "how much"): on the training
# half of PIAF dev, gold contained 0.715 -> 0.722 at the same length
TYPE_BONUS = 0.15


@dataclass(frozen=True, slots=True)
class _Candidate:
    hit_number: int
    position: int
    sentence: str
    score: float


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, voice: Voice, embedder: Embedder | None = None, *, max_sentences: int = MAX_SENTENCES,
                 max_passages: int = 2, list_sentences: int = LIST_SENTENCES, list_passages: int = 3,
                 translations: Translations | None = None) -> None:
        self._voice = voice
        self._translations = translations
        self._embedder = embedder
        self._max_sentences = max_sentences
        self._max_passages = max_passages
        self._list_sentences = list_sentences
        self._list_passages = list_passages

    async def _passages(self, query: Query, hits: Sequence[Hit], limit: int) -> list[int]:
        """Hit numbers (1-based) to quote from: the user's language first when it is nearly as good and says the
        same thing as the best (its translation, or a page that close to it)."""
        if not hits:
            return []
        best = hits[0].score
        close = [i for i, h in enumerate(hits, start=1) if best - h.score <= SAME_LANGUAGE_MARGIN]
        same = [i for i in close if hits[i - 1].passage.language == query.language]
        if same and same[0] != 1 and self._embedder is not None:
            texts = [embedding_text(hits[i - 1].passage) for i in (1, *same)]
            vectors = await self._embedder.embed(texts, role="passage")
            same = [i for i, v in zip(same, vectors[1:], strict=True) if float(v @ vectors[0]) >= SAME_THING_COSINE]
        ordered = same + [i for i in close if i not in same]
        return ordered[:limit]

    async def compose(self, query: Query, hits: Sequence[Hit]) -> Draft:
        listing = asks_for_list(query.text)
        chosen = await self._passages(query, hits, self._list_passages if listing else self._max_passages)
        candidates = [
            (n, pos, sentence)
            for n in chosen
            for pos, sentence in enumerate(sentences(hits[n - 1].passage.text))
        ]
        if not candidates:
            return Draft("", self.name)
        scores = self._lexical(query, hits, candidates)
        if self._embedder is not None:
            # sentences are encoded as passages: that is e5's asymmetric use, and the embedding
            # cache keeps them, so a passage's sentences cost model time once
            question = await self._embedder.embed([query.text], role="query")
            quoted = await self._embedder.embed([c[2] for c in candidates], role="passage")
            scores = scores + quoted @ question[0]
        # the first passage is the most relevant: favour it; and a sentence that holds the kind of thing asked
        kind = asked_type(query.text)
        prior = np.array([(FIRST_PASSAGE_PRIOR if n == chosen[0] else 0.0) + (0.02 if pos == 0 else 0.0)
                          + (TYPE_BONUS if kind is not None and has_type(sentence, kind) else 0.0)
                          for n, pos, sentence in candidates])
        ranked = sorted((_Candidate(n, pos, s, float(sc)) for (n, pos, s), sc in
                         zip(candidates, scores + prior, strict=True)), key=lambda c: -c.score)
        # quote one language only (no FR and EN versions of the same fact): the first passage's, so that a sentence
        # of a lower passage in another language does not shut out the best page ("Quali sono i settori…?" over the
        # English sectors page and the French business parks' page)
        language = hits[chosen[0] - 1].passage.language
        same = [c for c in ranked if hits[c.hit_number - 1].passage.language == language]
        best = same[0].score
        if listing:  # each passage's best sentence, then the next best, whatever their score
            firsts = list({c.hit_number: c for c in reversed(same)}.values())
            picked = (sorted(firsts, key=lambda c: -c.score) + [c for c in same if c not in firsts])[
                : self._list_sentences]
        else:
            picked = [c for c in same[: self._max_sentences] if c.score >= PICK_RATIO * best]
        picked.sort(key=lambda c: (chosen.index(c.hit_number), c.position))
        return Draft(await self._write(query, hits, picked), self.name)

    def _lexical(self, query: Query, hits: Sequence[Hit], candidates: list[tuple[int, int, str]]
                 ) -> np.ndarray:
        """The share of the question's words in each sentence; for a sentence in another language, the question read
        as that language (names, numbers and shared words match), as keyword search reads it across languages."""
        languages = {hits[n - 1].passage.language for n, _, _ in candidates}

        def wanted(language: str) -> set[str]:
            read = set(read_as(query.text, query.language, language))
            if query.language in languages:
                return read
            # no sentence in the question's language: read by its own stemmer too, since a word the two languages
            # share may reach the sentence's stem only that way (Spanish "microelectrónica" -> "microelectron",
            # English's stem of "microelectronics"; the English stemmer leaves the Spanish word whole). Not when a
            # sentence in the question's language is there: the extra stems then tipped a French question's quote
            # to the English translation of the French page ("Comment candidater en master ?")
            return read | set(terms(without_stopwords(query.text, query.language), query.language))

        asked = {lang: wanted(lang) for lang in languages}
        held = [set(terms(sentence, hits[n - 1].passage.language)) for n, _, sentence in candidates]
        weights: dict[int, dict[str, float]] = {}  # per passage (hit number): each asked word's weight
        for n in dict.fromkeys(n for n, _, _ in candidates):
            passage = hits[n - 1].passage
            title = set(terms(passage.title, passage.language))
            own = [h for (m, _, _), h in zip(candidates, held, strict=True) if m == n]
            weights[n] = {w: (TITLE_WEIGHT if w in title else 1.0) / max(1, sum(w in h for h in own)) ** SPREAD
                          for w in asked[passage.language]}
        shares = []
        for (n, _, _), words in zip(candidates, held, strict=True):
            total = sum(weights[n].values())
            shares.append(sum(weights[n][w] for w in words & weights[n].keys()) / total * 0.5 if total else 0.0)
        return np.array(shares)

    async def _write(self, query: Query, hits: Sequence[Hit], picked: list[_Candidate]) -> str:
        source_language = hits[picked[0].hit_number - 1].passage.language
        quotes = _by_passage(picked)
        if source_language == query.language:
            intro = self._voice.say("intro", query.language)
        else:
            name = self._voice.language_name(source_language, query.language)
            translated = await self._translated(quotes, source_language, query.language)
            if translated is None:
                intro = self._voice.say("intro_other_language", query.language, source_language=name)
            else:
                intro = self._voice.say("intro_translated", query.language, source_language=name)
                quotes = translated
        return f"{intro}\n{' '.join(f'{text} [{n}]' for n, text in quotes)}"

    async def _translated(self, quotes: list[tuple[int, str]], source: str, target: str
                          ) -> list[tuple[int, str]] | None:
        """Each passage's quote in the person's language, or None (all quoted in the original) when one fails."""
        if self._translations is None:
            return None
        texts = await asyncio.gather(*(self._translations.translate(text, source=source, target=target,
                                                                    purpose="quote") for _, text in quotes))
        if any(t is None for t in texts):
            return None
        return [(n, str(t)) for (n, _), t in zip(quotes, texts, strict=True)]


def _by_passage(picked: list[_Candidate]) -> list[tuple[int, str]]:
    """The picked sentences joined passage by passage, each group with its hit number (cited after it)."""
    groups: list[tuple[int, str]] = []
    for cand in picked:
        if groups and groups[-1][0] == cand.hit_number:
            groups[-1] = (cand.hit_number, f"{groups[-1][1]} {cand.sentence}")
        else:
            groups.append((cand.hit_number, cand.sentence))
    return groups
