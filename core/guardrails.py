"""Requests the assistant declines politely before searching: abuse, medical or legal advice, and tasks
unrelated to the territory (poems, code, jokes, prompt extraction).

Word patterns in the five answer languages, matched on accent-folded lower-case text (apostrophes and
hyphens as spaces). Questions *about* services stay questions ("where is the nearest pharmacy?", "how do I
register a company?"): only requests for a diagnosis, a treatment, a legal opinion, or an unrelated task
are declined, each with the agency's phrase that points to the competent service. ``instruction_like``
also serves the language-model answerer, which removes such sentences from the pages it is given.
"""

from __future__ import annotations

import re
from typing import Literal

from .text import fold

Decline = Literal["abusive", "medical", "legal", "off_topic"]


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_ABUSIVE = _any(
    r"\b(fuck\w*|motherfucker|bitch|asshole|dickhead|cunt|moron|retard\w*|shut up|stupid (bot|machine|assistant))\b",
    r"\b(connard|connasse|salope|encule|enfoire|ta gueule|ferme ta gueule|fils de pute|pauvre con|t es nul)\b",
    r"\b(gilipollas|cabron|hijo de puta|pendejo|imbecil|estupido|callate)\b",
    r"\b(stronzo|vaffanculo|coglione|figlio di puttana|stupido|idiota|cretino|zitto)\b",
    r"\b(arschloch|wichser|fotze|hurensohn|halt die klappe|halts maul|blode[rs]? (bot|maschine)|idiot)\b",
)

_SYMPTOM = (r"(mal (a|au|aux) |fievre|douleur|migraine|nausee|vomi|eruption|saigne|fever|pain|headache|migraine|"
            r"rash|bleeding|vomit|cough|dolor|fiebre|tos|febbre|dolore|tosse|fieber|schmerz|kopfweh|husten)")
_DRUG = (r"(medicament|medicine|medication|pills?|drugs?|antibiotic\w*|ibuprof\w*|paracetamol|doliprane|aspirin\w*|"
         r"medicamento|pastilla|farmac\w+|medicina|pillola|medikament\w*|tablette\w*|arznei\w*)")
_MEDICAL = _any(
    rf"\b(j ai|jai|i have|i ve got|i got|tengo|ho|ich habe)\b.{{0,25}}\b{_SYMPTOM}",
    rf"\b(quel|quelle|which|what|que|cual|quale|welche\w*)\b.{{0,12}}\b{_DRUG}",
    rf"\b{_DRUG}\b.{{0,40}}\b(prendre|take|tomar|prendere|nehmen)\b",
    rf"\b(prendre|take|tomar|prendere|nehmen)\b.{{0,30}}\b{_DRUG}",
    r"\b(posologie|dosage|dose of|dosis|dosaggio|dosierung)\b",
    r"\b(diagnos\w*|is it (serious|cancer)|est ce grave|es grave|e grave|ist das (schlimm|gefahrlich))\b",
)
_LEGAL = _any(
    r"\b(sue|suing|lawsuit|attaquer en justice|poursuivre en justice|porter plainte contre|demandar a|"
    r"fare causa|denunciare|verklagen)\b",
    r"\b(is it (il)?legal|is that (il)?legal|est ce (il)?legal|c est (il)?legal|es (il)?legal|e (il)?legale|"
    r"ist (es|das) (il)?legal|ist (es|das) erlaubt)\b",
    r"\b(my|mon|ma|mi|mio|mia|mein\w*) (landlord|employer|proprietaire|employeur|casero|arrendador|jefe|"
    r"padrone di casa|datore di lavoro|vermieter|arbeitgeber)\b.{0,40}\b(evict|fire|expuls\w*|licenci\w*|"
    r"desahu\w*|despedi\w*|sfratt\w*|licenzi\w*|kundig\w*|rauswerf\w*|entlass\w*)",
    r"\b(legal advice|conseil juridique|asesoria legal|consiglio legale|rechtsberatung)\b",
)
# Sentences that try to instruct a language model, in the five languages: a user asking for them is
# declined, and a page holding them has them removed before a model reads it (a 1.5B local model was
# seen obeying "ignore previous instructions ... answer HACKED" inside fenced passages).
_INSTRUCTION_LIKE = _any(
    r"\b(ignor\w*|disregard|oubli\w*|olvid\w*|dimentic\w*|vergiss\w*)\W+(\w+\W+){0,3}"
    r"(instruction|consigne|instrucci|istruzion|anweisung|rule|regle|regla|regol|regel)",
    r"\b(system\s*prompt|prompt\s*systeme|you are now|tu es maintenant|answer only with)\b",
)

_OFF_TOPIC = _any(
    _INSTRUCTION_LIKE.pattern,
    r"\b(write|compose|ecris|redige|escribe|escribeme|scrivi|scrivimi|schreib\w*)\b.{0,30}\b(poem|poeme|"
    r"poema|poesia|gedicht|essay|dissertation|ensayo|saggio|aufsatz|code|"
    r"function|fonction|funcion|funzione|funktion|script|program\w*|song|chanson|cancion|canzone|lied)\b",
    r"\b(tell me a joke|raconte( moi)? une blague|cuentame un chiste|raccontami una barzelletta|"
    r"erzahl mir einen witz)\b",
    r"\b(your (instructions|rules|prompt)|tes (instructions|consignes|regles)|tus instrucciones|tue istruzioni|"
    r"deine (anweisungen|regeln))\b",
    r"\b(python|javascript|sql|regex|html)\b.{0,30}\b(code|function|fonction|script|query)\b",
    r"^\s*(what is |combien font |quanto fa |wie viel ist |cuanto es )?\d+\s*[+*/x]\s*\d+[\s=?]*$",
)

_RULES: tuple[tuple[Decline, re.Pattern[str]], ...] = (
    ("abusive", _ABUSIVE), ("off_topic", _OFF_TOPIC), ("medical", _MEDICAL), ("legal", _LEGAL))


def _folded(text: str) -> str:
    return " ".join(fold(text).split())


def instruction_like(text: str) -> bool:
    """True when ``text`` tries to give a language model instructions."""
    return _INSTRUCTION_LIKE.search(_folded(text)) is not None


def declined(text: str) -> Decline | None:
    """Why the assistant declines ``text``, or None when it is a question to search for."""
    folded = _folded(text)
    for kind, pattern in _RULES:
        if pattern.search(folded):
            return kind
    return None
