"""Reading a message in its conversation: an elliptic follow-up ("Et à Cassis ?", "and in winter?", "how do I get
there?", "c'est payant ?") is completed from the previous question; a message that stands on its own starts a new
topic and carries nothing over. The decision is explicit (``Reading.reason``) so it can be logged and tested."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .geo import Gazetteer
from .intents import Intents
from .text import fold, words
from .understanding import about_here, topic_name, topic_place

# Openings that continue the previous question ("et à Cassis ?", "what about winter?", "und im Winter?").
OPENINGS = ("et", "and", "what about", "how about", "and what about", "y", "y en", "e", "e a", "e in", "und",
            "und was ist mit", "also", "aussi", "pareil", "same", "tambien", "anche", "auch", "sinon", "otherwise")
# Words and phrases that point back at the previous question's subject ("comment y aller", "is it free", "wie komme
# ich hin"), accent-folded as ``words`` gives them; those that point at a place ("y aller", "there", "dort", "in
# quella città") say where "there" is when the conversation named no commune.
PLACE_POINTERS = frozenset("y labas there alli alla ahi li dort dorthin hin".split())
POINTING_BACK = PLACE_POINTERS | frozenset("""ca cela celui celle ceux it its this that them they those eso esa ese
    esos lo ci quello quella quelli dafur""".split())
PLACE_PHRASES = ("la bas", "ce lieu", "cet endroit", "cette ville", "that place", "this place", "that town",
                 "this town", "ese lugar", "esa ciudad", "quel posto", "questo posto", "quella citta", "questa citta",
                 "dieser stadt", "diese stadt")
# ... except where they only say that something exists ("il y a", "is there", "ci sono").
EXISTENTIAL = re.compile(r"\b(?:y a|is there|are there|was there|were there|there is|there are|ci sono|c e|hay|"
                         r"gibt es)\b")
POINTING_BACK_PHRASES = (*PLACE_PHRASES, "c est", "ist es", "ist das")
# ... and a choice among what the previous answer listed ("And which one is good for families?" after the
# neighbourhoods near the sea): the previous question, narrowed, whatever need the message adds
CHOOSING = ("which one", "which ones", "which of them", "lequel", "laquelle", "lesquels", "lesquelles",
            "cual de ellos", "cual de ellas", "cuales de ellos", "cual de estos", "quale di questi", "quali di questi",
            "quale tra", "welcher davon", "welche davon", "welches davon")
# ... and an object pronoun right after "who" ("Qui l'a peinte ?", "¿Quién la pintó?", "Chi l'ha dipinta?"), where
# "la", "le", "les" cannot be articles ("Où les enfants peuvent-ils jouer ?" is not pointing back)
POINTING_BACK_CLITIC = re.compile(r"\b(?:qui|quien|chi) (?:l|la|le|les|lo|los|las|li) \w")
# Grammar and question words of the five languages: what is left of a message without them (and without the
# needs and places it names) is a subject of its own ("calissons" in "Where can I eat calissons?").
QUESTION_WORDS = frozenset("""
    ou quand comment combien pourquoi quel quelle quels quelles qui que quoi est ce c se s on je j tu il elle nous
    vous ils elles le la les l un une des du de d a au aux en dans pour par sur avec et ou y il faut peut peux
    puis on doit dois sont est ai as a avoir etre fait faire va aller aussi plus moins tres bien bon bonne ne pas
    mon ma mes ton ta tes son sa ses leur leurs notre votre qu ici la bas alors donc meilleur meilleure meilleurs
    where when how much many why what which who whom is are was were do does did can could should would will i
    me my we you your it its the a an of to for in on at by with and or there here any some get go best good
    place places please tell about long take takes does need must have has
    donde cuando como cuanto cuanta por que cual quien es son esta estan hay el la los las un una de del en con y
    o para puedo puede se mi me te lo mejor tengo tiene hacer hace necesito hasta desde
    dove quando come quanto perche cosa quale chi e sono c il lo la gli le un una di del della in con e o per
    posso puo si mi migliore bisogna occorre serve al allo alla alle agli ai sul sull sulla sulle sui nel nell
    nella nelle nei dal dall dalla dalle dai dell della delle degli
    wo wann wie viel warum was welche welcher wer ist sind gibt es der die das den dem ein eine einen von zu im in
    mit und oder fur kann man ich mich mir beste einen einem einer muss musste soll sollte vorher braucht brauche
    genau darf durfen lequel laquelle lesquels lesquelles
    temps dure durent duree tiempo tarda dura tempo vuole lange dauert statt findet finden
    exactement exactly exactamente esattamente situe situee located encuentra encuentran trova trovano befindet liegt
""".split())
# Needs of config/intents.yaml that qualify what is asked rather than name a topic: "Is it free?", "Et pour les
# enfants ?", "Is there a discount?", "What are the opening hours?" ask about the previous question's topic; and
# "Et les hôtels ?" after a question about a wheelchair asks for accessible hotels.
QUALIFIERS = frozenset({"accessible", "children", "price", "opening_hours"})
# Needs that say how one travels: after a question on a journey, "E con l'autobus?" asks the same journey by bus
MEANS = frozenset({"get_around", "train", "boat", "flight", "park"})
MAX_WORDS = 10  # a longer message always stands on its own
JOIN = " — "  # between a question and the message that continues it
SHORT = 6  # a message this short with nothing of its own asks about the previous subject ("Where can I eat?")
_SENTENCE_END = re.compile(r"[.!?¿¡:;]\s*$")
_ENTITY = re.compile(r"[A-ZÀ-Þ][\w’'-]*(?:\s+(?:de|du|des|d’|d'|la|le|of|the|di|del|von)?\s*[A-ZÀ-Þ][\w’'-]*)*")


@dataclass(frozen=True, slots=True)
class Reading:
    """How a message is read: ``text`` is what is answered (the message itself, or it completed), ``reason``
    says why: ``new`` (nothing before it), ``standalone``, ``other place`` (the previous question about another
    place), ``points back`` (the previous subject added), ``continues`` (joined to the previous question), ``same
    place`` (a new need, asked about the place the conversation is about), ``other time`` (the previous question,
    at the season or in the month the message names)."""

    text: str
    reason: str
    subject: str = ""  # what the conversation is about after this message (a place, a named thing)

    @property
    def carried(self) -> bool:
        return self.reason not in ("new", "standalone")


class FollowUps:
    """Reads each message against the one before it."""

    def __init__(self, gazetteer: Gazetteer, intents: Intents | None = None) -> None:
        self._gazetteer = gazetteer
        self._intents = intents or Intents({})

    def subject(self, text: str) -> str:
        """What a question is about: the place it is about — a landmark by its own name ("Luminy", not Marseille:
        "Welche Fächer kann man dort studieren?" asks about the campus) —, else the first named thing ("Mucem",
        "Château d'If")."""
        found = topic_name(text, self._gazetteer.named(text))
        if found is not None:
            return self._gazetteer.landmark(found[0]) or found[1].name
        # a one-word name that is a need's word is not a subject (German capitalises "Wasserstoff", "Strand")
        entities = [e for e in _entities(text) if len(words(e)) > 1 or not self._intents.of(e)]
        return entities[0] if entities else ""

    def read(self, text: str, previous: Reading | None, *, located: bool = False, answered: str = "",
             cited: str = "") -> Reading:
        """``located``: where the person is, is known (a shared location), so "near here" needs no place.
        ``answered``: the text of the answer to the previous question, where a thing the message names with a
        definite article may have been mentioned ("les lieux" after an answer that spoke of them); ``cited``: the
        title of the page it was answered from, whose commune is where "there" is when the conversation named
        none ("Und wer wurde dort geboren?" after the Foreign Legion's museum, answered from Aubagne's page)."""
        tokens = words(text)
        own_subject = self.subject(text)
        if previous is None:
            return Reading(text, "new", own_subject)
        before = previous.subject
        there = before if before and self._gazetteer.find(before) is not None else self._place_of(cited)
        if not located and not own_subject and there and about_here(text):
            # "Une plage près d'ici ?" after "Je passe la journée à Cassis.": here is the place the conversation
            # is about (without it, the person would be asked to share a location; only the phrases that ask
            # for one count: "close" or "around" alone say nothing of where the person is)
            return Reading(f"{text.rstrip()} ({there})", "same place", before or there)
        if not tokens or len(tokens) > MAX_WORDS:
            return Reading(text, "standalone", own_subject)
        folded = " ".join(tokens)
        pointing = EXISTENTIAL.sub(" ", folded).split()
        # "y" opens "y en a à Cassis ?" but not "Y a-t-il des espaces de coworking ?" (there is…)
        opens = not EXISTENTIAL.match(folded) and any(folded == o or folded.startswith(o + " ") for o in OPENINGS)
        points_back = (bool(set(pointing) & POINTING_BACK) or _says(folded, POINTING_BACK_PHRASES)
                       or bool(POINTING_BACK_CLITIC.search(folded)) or _possessive(pointing))
        needs = self._intents.of(text)
        own = [w for w in self._own_words(tokens, text) if w not in words(own_subject)]
        place = topic_place(text, self._gazetteer.named(text))
        if _says(folded, CHOOSING) and place is None and not own_subject:
            # "And which one is good for families?": one of those the previous answer gave (joined, the families
            # are asked of the neighbourhoods near the sea; read about Marseille, they were not)
            return Reading(f"{previous.text.rstrip(' ?!.')}{JOIN}{text.strip()}", "continues", before)
        if opens and place is not None and not own and needs and not self._said(text) <= self._said(previous.text):
            # "Et de la voile à Marseille ?" after "Où faire du kitesurf dans le coin ?": its own need and its own
            # place, a question of its own (the previous one about Marseille would lose the sailing)
            return Reading(text, "standalone", own_subject)
        if opens and place is not None and not own and set(needs) <= set(self._intents.of(previous.text)):
            # "Et à Cassis ?" after "Où se baigner à Marseille ?": the same question, about Cassis (a named thing
            # that is not a place — "Et le Château d'If ?", or German's capitalised "Und im Winter?" — continues)
            return Reading(_swap(_topic(previous.text, before), before, own_subject), "other place", own_subject)
        if points_back and before and needs and not _names(own_subject, before):
            # "Comment y aller depuis Marseille ?" after "Et à Cassis ?": the journey is to Cassis
            return Reading(f"{text.rstrip()} ({before})", "points back", before)
        if (opens and needs and not own_subject and not set(needs) <= set(self._intents.of(previous.text))
                and not _by_other_means(self._intents.of(previous.text), needs)):
            # "Et pour dîner face à la mer ?" after a question about Marseille: a new need, asked about the same
            # place (the previous question's need would outweigh the new one if the two were joined); with no
            # place to keep ("And hydrogen?" after "Which sectors are strong here?"), the new need alone; what
            # qualified the previous question is kept ("Et les hôtels ?" after a wheelchair: accessible hotels)
            kept = [before] if before else []
            kept += [span for need, spans in self._intents.said(previous.text).items()
                     if need in QUALIFIERS and need not in needs for span in spans]
            if kept:
                return Reading(f"{text.rstrip()} ({', '.join(kept)})", "same place", before)
            return Reading(text, "standalone", own_subject)
        if (needs and set(needs) <= QUALIFIERS and not own_subject and place is None
                and (before or not QUALIFIERS.issuperset(self._intents.of(previous.text)))):
            # "¿Hay descuento para jubilados?" after a question about the monthly pass: a qualifier alone asks
            # about the previous question's topic, a need or a subject ("Was kostet eine Karte?" after the piano
            # festival of La Roque-d'Anthéron, "¿A qué hora cierra?" after the Mucem's restaurant)
            return Reading(f"{previous.text.rstrip(' ?!.')}{JOIN}{text.strip()}", "continues", before)
        if (points_back and before and not opens and not needs and not own_subject and EXISTENTIAL.search(folded)
                and any(w not in POINTING_BACK for w in own) and self._gazetteer.find(before) is not None):
            # "Gibt es dort einen Wochenmarkt?" after the way to Aix: whether something of its own is at the place
            # (joined to the previous question, the journey would outweigh the market)
            return Reading(f"{text.rstrip()} ({before})", "points back", before)
        when, was = _TIME.search(folded), _TIME.search(fold(previous.text))
        if opens and when is not None and was is not None and place is None \
                and all(_TIME.fullmatch(w) for w in [*own, *words(own_subject)]) and when.group(0) != was.group(0):
            # "Et en hiver ?" after "Qu'est-ce qui se passe à Marseille en juillet ?": the same question, in winter
            # (joined, July outweighed winter)
            said = _written(text, when.group(0))
            return Reading(_swap(previous.text, was.group(0), said.group(0) if said else when.group(0)), "other time",
                           before)
        if (points_back and there and there != before and not own_subject and place is None
                and (set(pointing) & PLACE_POINTERS or _says(folded, PLACE_PHRASES))):
            # "E cos'altro si può vedere in quella città?" after the Foreign Legion's museum: the town the answer
            # was about (joined to the museum's question, the museum outweighed the town)
            return Reading(f"{text.rstrip()} ({there})", "points back", before)  # the conversation's, unchanged
        if opens or (points_back and (not before or (not needs and not _names(own_subject, before)))):
            # "and in winter?", "et en voiture jusqu'à Sormiou ?": the previous question, narrowed; "How long does
            # it take?" (no need of its own) points back at the whole previous question, not only its place
            return Reading(f"{previous.text.rstrip(' ?!.')}{JOIN}{text.strip()}", "continues", own_subject or before)
        if (not own_subject and not needs and len(own) <= 1 and len(tokens) <= SHORT and not set(tokens) <= _OPENERS
                and not _object(tokens, own)):
            # "Wo genau?", "Il faut réserver ?", "How do I apply?": nothing to ask about but the previous question
            return Reading(f"{previous.text.rstrip(' ?!.')}{JOIN}{text.strip()}", "continues", before)
        if not own and not own_subject and needs and before and len(tokens) <= SHORT:
            # "Where can I eat?" right after questions about Cassis: eating in Cassis
            return Reading(f"{text.rstrip()} ({before})", "points back", before)
        if (needs and EXISTENTIAL.search(folded) and not own_subject and before and not about_here(text)
                and place is None and self._gazetteer.find_outside(before) is None):
            # "Y a-t-il des espaces de coworking ?" after "Comment créer ma start-up à Marseille ?": asking whether
            # something exists, without saying where, asks about the place or the thing the conversation is about
            # ("Is there a restaurant with a sea view?" after "When did the Mucem open?"), not about a place outside
            # the territory ("Quel est le prix d'un loyer à Paris ?")
            return Reading(f"{text.rstrip()} ({before})", "same place", before)
        if answered and not own_subject and place is None and _refers_to(tokens, own, answered):
            # "On peut marcher sur les lieux de ses souvenirs ?" after an answer on Pagnol's birthplace that spoke of
            # "les lieux de ses souvenirs d'enfance"
            return Reading(f"{previous.text.rstrip(' ?!.')}{JOIN}{text.strip()}", "continues", before)
        return Reading(text, "standalone", own_subject)

    def _place_of(self, title: str) -> str:
        """The commune a page's title names ("Aubagne, Pagnol country"), or ""."""
        place = topic_place(title, self._gazetteer.named(title)) if title else None
        return place.name if place is not None else ""

    def _said(self, text: str) -> set[str]:
        """The words ``text`` says its needs with (accent-folded)."""
        return {w for spans in self._intents.said(text).values() for w in spans}

    def _own_words(self, tokens: list[str], text: str) -> list[str]:
        """The message's words that are neither grammar, nor a need's words, nor place names."""
        needed = set(self._intents.vocabulary(text)) | set(words(" ".join(self._intents.of(text))))
        placed = {w for name, _ in self._gazetteer.named(text) for w in name.split()}
        return [t for t in tokens if t not in QUESTION_WORDS and t not in placed and len(t) > 1
                and not any(t.startswith(n) for n in needed if len(n) >= 4) and t not in needed]


def _by_other_means(before: Sequence[str], needs: Sequence[str]) -> bool:
    """Whether ``needs`` only say how to travel, after a question (its ``before`` needs) on a journey."""
    return "journey" in before and set(needs) - {"journey"} <= MEANS


def _entities(text: str) -> list[str]:
    """Capitalised names after the first word, or the first word when it is not a question word."""
    found = []
    text = text.lstrip(" ¿¡\"'«“(")
    for match in _ENTITY.finditer(text):
        name = match.group(0).strip()
        if len(name) < 2:
            continue
        first = fold(name.split()[0])
        grammar = words(name.split()[0])  # "C'est", "Qu'y" are grammar words too
        # a sentence's first word is capitalised whatever it is ("We need land. What's available?")
        starts = match.start() == 0 or bool(_SENTENCE_END.search(text[:match.start()]))
        if starts and ((bool(grammar) and all(w in QUESTION_WORDS for w in grammar))
                                   or (len(name.split()) == 1 and first in _OPENERS)):
            rest = name.split(None, 1)
            if len(rest) < 2:
                continue
            name = rest[1]
        name = re.sub(r"^(?:(?:de|du|des|la|le|les|the|of|el|il|lo|der|die|das)\s+|[dl][’'])+", "", name,
                      flags=re.IGNORECASE)
        if len(name) < 2 or (" " not in name and _GERMAN_NOUN_BEFORE.search(text[:match.start()])):
            continue  # German capitalises its nouns: "Und im Winter?", "Ist das Museum kostenlos?" name nothing
        if _TIME.fullmatch(fold(name)):
            continue  # a season or a month is when, not what: "D'estate si può andare…?" is about no "estate"
        found.append(name)
    return found


# A German article, demonstrative or contraction right before a capitalised word makes it a noun, not a name ("im
# Winter", "mit dem Zug", "einen Markt", "in dieser Stadt"; not "des", French too); a name of several words ("das
# Château d'If") stays a name.
_GERMAN_NOUN_BEFORE = re.compile(r"\b(?:der|die|das|dem|den|ein|eine|einen|einem|einer|eines|im|am|zum|zur|vom|"
                                 r"beim|ins|ans|kein|keine|keinen|dieser|diese|dieses|diesem|diesen)\s+$")


_OPENERS = frozenset(w for o in OPENINGS for w in o.split()) | {"ok", "merci", "thanks", "hello", "bonjour"}


# Prepositions that introduce what is wanted ("a good place for bouillabaisse?").
FOR = frozenset({"for", "pour", "para", "per", "fur"})


def _object(tokens: list[str], own: list[str]) -> bool:
    """Whether the message's one word of its own is what it asks for, after "for" ("Any good place for
    bouillabaisse?"): a question of its own, not the previous one narrowed ("Il faut réserver ?")."""
    return any(a in FOR and b in own for a, b in itertools.pairwise(tokens))


# Seasons and months in the five languages (accent-folded): "Et en hiver ?" asks the previous question at another time.
_TIME = re.compile(r"\b(?:hiver|ete|printemps|automne|winter|summer|spring|autumn|fall|invierno|verano|primavera|"
                   r"otono|inverno|estate|autunno|sommer|fruhling|fruhjahr|herbst|"
                   r"janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre|"
                   r"january|february|march|april|may|june|july|august|september|october|november|december|"
                   r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|"
                   r"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
                   r"januar|februar|marz|juni|juli|oktober|dezember)\b")


# Possessives of the third person: "la sua casa", "his house", "seine Bilder" are someone's already spoken of ("sa",
# "ses" after "on" are one's own: "Peut-on amener ses chiens ?"; "son" is also Spanish for "are").
POSSESSIVES = frozenset("his her their su sus suo sua suoi sue loro sein seine seinen seinem seiner".split())
POSSESSIVES_AFTER_ON = frozenset("sa ses leur leurs".split())


def _says(folded: str, phrases: Sequence[str]) -> bool:
    """Whether the accent-folded message holds one of ``phrases`` as whole words."""
    return any(f" {p} " in f" {folded} " for p in phrases)


def _possessive(tokens: list[str]) -> bool:
    """Whether a message names something as belonging to a third person ("Si può visitare la sua casa?")."""
    return bool(set(tokens) & POSSESSIVES) or (bool(set(tokens) & POSSESSIVES_AFTER_ON) and "on" not in tokens)


# Definite articles and possessives of the five languages (accent-folded): the noun after one names a thing already
# spoken of ("les lieux", "the tower", "die Führung"), unlike "une île", "an island" (not "des", French's indefinite
# plural; nor "i" and "son", which are also English "I" and Spanish "are").
DEFINITE = frozenset("""le la les l el los las il lo gli der die das den dem the ses sa leurs su sus suo sua suoi sue
    his her its their sein seine seinen ihr ihre ihren""".split())
REFERENT_LETTERS = 5  # a noun and the answer's word are the same when they start with as many letters


def _refers_to(tokens: list[str], own: list[str], answered: str) -> bool:
    """Whether a word of the message's ``own`` (no need's word: "la universidad" asks about universities) that it
    introduces with a definite article or a possessive starts a word of the answer (by its first
    ``REFERENT_LETTERS`` letters: "visita" and "visite", "billets" and "billetterie")."""
    said = {w[:REFERENT_LETTERS] for w in words(answered) if len(w) >= REFERENT_LETTERS}
    return any(a in DEFINITE and len(b) >= REFERENT_LETTERS and b in own
               and b[:REFERENT_LETTERS] in said for a, b in itertools.pairwise(tokens))


def _written(text: str, folded: str) -> re.Match[str] | None:
    """The first word of ``text`` that is ``folded`` once accent-folded, as written ("été" for "ete")."""
    return next((m for m in re.finditer(r"\w+", text) if fold(m.group(0)) == folded), None)


def _names(a: str, b: str) -> bool:
    return bool(a) and fold(a) == fold(b)


def _topic(question: str, subject: str) -> str:
    """The question a conversation's topic opened with, when later messages were joined to it and it names the
    subject: "What about Aubagne?" after "Qu'y a-t-il à voir à La Ciotat ?" and "C'est là que la pétanque a été
    inventée ?" asks what there is to see in Aubagne, not whether pétanque was invented there."""
    head = question.split(JOIN, 1)[0]
    if head == question or not subject or fold(subject) not in fold(head):
        return question
    return f"{head} ?"


def _swap(question: str, old: str, new: str) -> str:
    """The question with its subject replaced (or the new subject added when it had none)."""
    if old:
        exact = re.compile(re.escape(old), re.IGNORECASE)
        if exact.search(question):
            return exact.sub(new, question, count=1)
        word = _written(question, fold(old))  # a word written with its accents ("été" for "ete")
        if word is not None:
            return f"{question[:word.start()]}{new}{question[word.end():]}"
        pattern = re.compile(re.escape(fold(old)))
        folded = fold(question)
        if pattern.search(folded):
            return pattern.sub(new, folded, count=1)
    return f"{question.rstrip(' ?!.')}{JOIN}{new}"
