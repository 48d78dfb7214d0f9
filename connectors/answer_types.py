"""What a question asks for (a date, an amount, a count) and whether a sentence holds it, in the five
languages (accent-folded patterns)."""

from __future__ import annotations

import re

from genius_loci.core.text import fold

# What a question asks for, in the five languages (accent-folded), and how that looks in a sentence.
ASKS = {
    "date": re.compile(r"\b(quand|when|cuando|quando|wann|en quelle annee|in what year|in which year|what year|"
                       r"en que ano|in che anno|in welchem jahr|depuis quand|since when|a quelle date|what date)\b"),
    "amount": re.compile(r"\b(combien coute|how much|cuanto cuesta|quanto costa|wie viel kostet|wieviel kostet|"
                         r"quel prix|quel est le prix|what is the price|what does it cost|precio|prezzo|preis|"
                         r"tarif|cout|cost|price|loyer moyen|prix moyen|average rent|average price|how expensive|"
                         r"cuanto vale|kostet|kosten|wie hoch|wie teuer|frais|fees?)\b"),
    "count": re.compile(r"\b(combien|how many|cuantos|cuantas|quanti|quante|wie viele)\b"),
    # how long a thing takes or lasts: "La traversée dure combien de temps ?" asks for minutes, not a count
    "duration": re.compile(r"\b(combien de temps|en combien de temps|how long|cuanto tiempo|cuanto se tarda|"
                           r"cuanto tarda|cuanto dura|quanto tempo|quanto dura|quanto ci vuole|wie lange|"
                           r"wie lang dauert)\b"),
}
# Facts a question can ask for that a passage either gives or does not: what something costs (narrower than
# ``amount``: not "wie hoch", "fees" as a topic), and when a place opens (times, days).
PRICE = re.compile(r"\b(combien coute|combien ca coute|combien faut il payer|quel prix|quel est le prix|prix moyen|"
                   r"loyer moyen|c est payant|est ce payant|how much (?:does|do|is|are|will|would|for)|"
                   r"what is the price|what does it cost|what do they cost|how expensive|average rent|average price|"
                   r"cuanto cuesta|cuanto cuestan|cuanto vale|cuanto se paga|quanto costa|quanto costano|"
                   r"quanto viene|was kostet|was kosten|wie viel kostet|wieviel kostet|wie viel kosten|wie teuer)\b")
_DAYS = (r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday|"
         r"sunday|lunes|martes|miercoles|jueves|viernes|sabado|domingo|lunedi|martedi|mercoledi|giovedi|venerdi|"
         r"sabato|domenica|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag")
_ON_DAY = r"(?:" + _DAYS + r")s?"
HOURS = re.compile(r"\b(a quelle heure|quelle heure|horaires?|heures d ouverture|ouvert le " + _ON_DAY + r"|"
                   r"ferme le " + _ON_DAY + r"|what time|opening hours|opening times|open on " + _ON_DAY + r"|"
                   r"a que hora|horarios?|abre el " + _ON_DAY + r"|a che ora|orari|orario|aperto (?:il |la )?"
                   + _ON_DAY + r"|um wie viel uhr|wann offnet|wann schliesst|offnungszeiten|"
                   r"(?:am|an) " + _ON_DAY + r" geoffnet)\b")
# ... and a rate or a tax ("Quel est le taux de chômage ?", "Wie hoch ist die Gewerbesteuer?"): a percentage or
# a sum of money.
RATE = re.compile(r"\b(quel est le taux|quel taux|quel pourcentage|a combien s eleve le taux|what percentage|"
                  r"what share|what is the (?:\w+ )?rate|cual es la tasa|que porcentaje|qual e il tasso|"
                  r"quale percentuale|wie hoch (?:ist|sind) (?:die|der|das) \w*(?:steuer|steuern|quote|satz|abgabe|"
                  r"abgaben))\b")
FACTS = {"price": PRICE, "hours": HOURS, "rate": RATE}
# A question whether something exists ("Y a-t-il une piscine à Aubagne ?", "Is there a surf school…?", "¿Hay…?",
# "C'è…?", "Gibt es…?"; not "il y a", which is also "ago"), or where to rent one ("Où louer un paddle ?"): what it
# names after the opening is the thing asked about.
EXISTS = re.compile(r"\b(y a t il|y en a t il|existe t il|existe t elle|is there|are there|hay(?! que)|existe|"
                    r"existen|c e|ci sono|gibt es|louer (?:un|une|des)|(?:rent|hire) (?:a|an)|"
                    r"alquilar (?:un|una|unos|unas)|(?:noleggiare|affittare) (?:un|una|uno))\b")
# German puts the verb last: "Wo kann ich in Aix ein Fahrrad mieten?"
RENT_LAST = re.compile(r"\b(?:kann|konnen) (?:ich|man|wir) (.+?) (?:mieten|leihen|ausleihen)\b")
# ... but asked after "what", it asks what there is ("What is there to see in Martigues?", "Qu'y a-t-il à voir ?",
# "¿Qué hay en Cassis?", "Cosa c'è da fare?", "Was gibt es in Aix?"), not whether some thing exists.
WHAT_THERE = re.compile(r"\b(?:what(?: else)?|what s|qu|que|quoi|cosa|che cosa|che|was)\s*$")
# ... or whether something may be brought along ("Peut-on amener son chien… ?", "Are dogs allowed…?", "Can I take
# my bike on the train?"): the thing is what the rest of the question names.
BRING = re.compile(r"\b(amener|emmener|apporter|avec (?:son|sa|ses|mon|ma|mes|notre|nos)|autorisee?s?|interdite?s?|"
                   r"bring|take (?:my|our)|with (?:my|our)|allowed|permitted|llevar|traer|con (?:mi|mis)|"
                   r"permitid[oa]s?|portare|con (?:il mio|la mia|i miei|le mie)|ammess[oi]|consentit[oi]|"
                   r"mitnehmen|mitbringen|erlaubt|verboten|darf man mit|mit (?:meinem|meiner|meinen|unserem|unserer|"
                   r"unseren))\b")
# ... or where to find, buy, eat or taste one ("Where can I eat calissons?", "Où acheter des santons ?", "Any good
# place for bouillabaisse?"): what it names after the verb is the thing; a page that does not name it cannot say where.
_GET = r"(?:buy|find|eat|taste|try|get(?! rid\b)|drink)"  # "get rid of" a thing is no finding it
# "A good place for…" says "where" in words that name nothing sought: a page need not hold "good" or "place" to
# answer "Any good place for bouillabaisse?" (``frame_words``).
GOOD_PLACE = (r"(?:good|best|nice) (?:places?|spots?) (?:for|to(?= " + _GET + r"))|"
              r"(?:bons?|meilleurs?) (?:endroits?|coins?|adresses?) (?:pour|ou)|"
              r"(?:buen|buenos|mejor|mejores) (?:sitios?|lugar|lugares) (?:para|donde)|"
              r"(?:buon|buoni|miglior|migliore|migliori) (?:posto|posti|locale|locali) (?:per|dove)|"
              r"(?:guter|gute|guten|bester|beste|besten) (?:ort|orte|platz|adresse) (?:fur|zum)")
_VERB = (r"(?:buy|find|eat|taste|try|get|drink|manger|acheter|trouver|gouter|deguster|boire|comer|comprar|encontrar|"
         r"probar|beber|mangiare|comprare|trovare|assaggiare|bere)")
WHERE_TO = re.compile(
    r"\b(?:where (?:can|could|do|should|would) (?:i|we|you|one) " + _GET + r"|where to " + _GET + r"|"
    r"(?:" + GOOD_PLACE + r")(?: " + _VERB + r")?|"
    r"ou (?:(?:peut on|puis je|pourrait on|pouvons nous|trouve t on) )?"
    r"(?:acheter|trouver|manger|gouter|deguster|boire)|ou (?:j achete|je trouve)|"
    r"donde (?:(?:puedo|se puede|podemos) )?(?:comprar|encontrar|comer|probar|beber)|donde (?:compro|encuentro)|"
    r"dove (?:(?:posso|si puo|possiamo) )?(?:comprare|trovare|mangiare|assaggiare|bere)|dove (?:compro|trovo)|"
    r"wo (?:finde|finden|kaufe) (?:ich|man|wir))\b")
# German puts the verb last: "Wo kann man Calissons kaufen?"
WHERE_TO_LAST = re.compile(r"\bwo (?:kann|konnen) (?:man|ich|wir) (.+?) (?:kaufen|finden|essen|probieren|kosten|"
                           r"trinken)\b")
# A question that asks for a list or a plan: the answer combines several passages.
# ("Quelles sont …" / "What are …" often ask for one fact: "What are the opening hours?")
LIST = re.compile(r"\b(que faire|que voir|que visiter|quoi faire|lieux a visiter|incontournables|"
                  r"what to do|what to see|what to visit|things to do|places to visit|must see|"
                  r"que hacer|que ver|que visitar|cosa fare|cosa vedere|cosa visitare|"
                  r"was kann man|was tun|sehenswurdigkeiten|sehenswertes|itineraire|itinerary|"
                  r"itinerario|en un jour|in a day|en un dia|in un giorno|an einem tag|list of|liste des)\b")
_MONEY = r"\d+(?:[\s.,]\d{3})*(?:[.,]\d+)?\s*(?:€|\$|\b(?:eur|euros?|dollars?|francs?)\b)|(?:€|\$|\beur\b)\s*\d"
# "free" is a price, but not after these words, which say what is absent ("interest-free", "step-free")
_FREE_OF = ("interest", "tax", "duty", "toll", "rent", "step", "barrier", "car", "smoke", "traffic")
LOOKS = {
    "date": re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b|\b(janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|"
                       r"octobre|novembre|decembre|january|february|march|april|may|june|july|august|september|"
                       r"october|november|december|siecle|century)\b"),
    # times ("9 h", "10h30", "18:00", "9 am"), days of the week, "every day", "24/7", "all year round"
    "hours": re.compile(r"\b\d{1,2}\s?h(?:\s?\d{2})?\b|\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s?[ap]\.?m\b|\b(?:"
                        + _DAYS + r")s?\b|\b(?:tous les jours|toute l annee|every day|daily|all year|24/7|"
                        r"todos los dias|tutti i giorni|taglich|jeden tag)\b"),
    # a figure (thousands grouped, decimals) then its currency — not "en 1995, Euroméditerranée" — or "free"
    "amount": re.compile(_MONEY + r"|\bgratuit|" + "".join(rf"(?<!{w} )" for w in _FREE_OF) + r"\bfree\b"),
    # a percentage, or a sum of money ("free" is no rate: "a free shuttle bus")
    "rate": re.compile(_MONEY + r"|\d+(?:[.,]\d+)?\s?(?:%|pour ?cent|percent|per ?cent|por ciento|prozent)"),
    # a figure or a number's word, then a unit of time or length ("une vingtaine de minutes", "3 h", "two hours")
    "duration": re.compile(r"\b(?:\d+(?:[.,]\d+)?|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|quinze|vingt|"
                           r"trente|quarante|cinquante|soixante|cent|demi|dizaine|quinzaine|vingtaine|trentaine|a|an|"
                           r"one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|forty|fifty|sixty|"
                           r"half|quarter|dozen|few|couple|several|quelques|plusieurs|dos|tres|cuatro|cinco|diez|"
                           r"quince|veinte|treinta|media|unos|unas|due|tre|quattro|cinque|dieci|quindici|venti|trenta|"
                           r"mezza|mezz|qualche|eine|einer|zwei|drei|vier|funf|zehn|zwanzig|dreissig|halbe|einige)"
                           r"(?:\s+(?:de|d|of|an|a|hour|and|a half|et demie?|\w+))?\s*(?:-\s*)?"
                           r"(?:min|mins|minutes?|h|heures?|hours?|hrs?|jours?|days?|semaines?|weeks?|mois|months?|"
                           r"ans|annees|years?|siecles?|centuries|km|kilometres?|kilometers?|metres?|meters?|miles?|"
                           r"minutos?|horas?|dias?|semanas?|meses|anos|minuti|ora|ore|giorni|settimane|mesi|anni|minuten|"
                           r"stunden?|tage?|wochen?|monate?|jahre?)\b"),
    "count": re.compile(r"\b\d+\b|\b(un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|cent|mille|one|two|three|"
                        r"four|five|six|seven|eight|nine|ten|hundred|thousand|million|millions)\b"),
}


def asked_type(text: str) -> str | None:
    """``date``, ``amount``, ``duration``, ``count``, or None when the question asks for none of them."""
    folded = fold(text)
    # "combien coûte" is an amount before it is a count, "combien de temps" a duration
    for kind in ("date", "amount", "duration", "count"):
        if ASKS[kind].search(folded):
            return kind
    return None


def asks_for_fact(text: str) -> str | None:
    """``price`` when the question asks what something costs ("Combien coûte l'entrée ?", "How much is the
    ferry?"), ``hours`` when it asks when a place opens ("À quelle heure ferme…", "Is it open on Sundays?"),
    ``rate`` for a rate or a tax ("Quel est le taux de chômage ?"), else None."""
    folded = fold(text)
    return next((kind for kind, pattern in FACTS.items() if pattern.search(folded)), None)


def asked_whether(text: str) -> str | None:
    """What a question asking whether something exists names after its opening ("une piscine municipale à
    Aubagne" in "Y a-t-il une piscine municipale à Aubagne ?"), or the whole of one asking whether something may
    be brought along ("peut on son chien sur les plages" in "Peut-on amener son chien sur les plages ?"),
    accent-folded; else None."""
    folded = " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split())
    if ASKS["count"].search(folded):  # "Combien y a-t-il d'habitants ?" asks for a number
        return None
    match = EXISTS.search(folded)
    if match is not None and not WHAT_THERE.search(folded[:match.start()]):
        return folded[match.end():].strip()
    rented = RENT_LAST.search(folded)
    if rented is not None:
        return rented.group(1)
    if BRING.search(folded):
        return " ".join(BRING.sub(" ", folded).split())
    return None


def asked_where_to(text: str) -> str | None:
    """What a question asking where to find, buy, eat or taste something names ("calissons" in "Where can I eat
    calissons?", "calissons" in "Wo kann man Calissons kaufen?"), accent-folded; else None."""
    folded = " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split())
    match = WHERE_TO.search(folded)
    if match is not None:
        return folded[match.end():].strip()
    last = WHERE_TO_LAST.search(folded)
    return last.group(1) if last is not None else None


# "In the area", said without naming it: where the question is asked, not what it asks.
AROUND = (r"dans le coin|par ici|dans les environs|aux alentours|in the area|around here|round here|hereabouts|"
          r"por aqui|por la zona|en la zona|da queste parti|in zona|qui intorno|in der gegend|hier in der gegend|"
          r"hier in der umgebung|in der umgebung")
FRAME = re.compile(rf"\b(?:{GOOD_PLACE}|{AROUND})\b")


def frame_words(text: str) -> str:
    """The words of a question that only frame what it asks: that it asks for a good place ("good place for" in
    "Any good place for bouillabaisse?"), or the area ("dans le coin" in "Où faire du kitesurf dans le coin ?"),
    accent-folded and joined; "" when it has none. A page answering it need not hold them."""
    folded = " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split())
    return " ".join(m.group(0) for m in FRAME.finditer(folded))


def holds_fact(sentence: str, kind: str) -> bool:
    """Whether ``sentence`` gives that kind of fact: an amount for ``price``, a time or a day for ``hours``, a
    percentage or a sum of money for ``rate``."""
    return has_type(sentence, "amount" if kind == "price" else kind)


def has_type(sentence: str, kind: str) -> bool:
    return bool(LOOKS[kind].search(fold(sentence)))


def asks_for_list(text: str) -> bool:
    """Whether the question asks for a list or a plan ("Que visiter à Aix en un jour ?", "things to do")."""
    return bool(LIST.search(fold(text)))
