"""What ``loci eval answers`` counts of each answerer: the answered texts' lengths, mean and median."""

from genius_loci.core.evaluation import AnswerTally


def _add(tally: AnswerTally, text: str, status: str = "answered") -> None:
    tally.add(text=text, status=status, citation_numbers=[1], n_citations=1, language="fr", expected_language="fr",
              gold=["x"], ms=1.0)


def test_answer_lengths_are_those_of_the_answered_texts_their_median_apart_from_a_long_one() -> None:
    tally = AnswerTally()
    for text in ("a" * 10, "b" * 20, "c" * 90):
        _add(tally, text)
    _add(tally, "d" * 500, status="abstained")  # an abstention's text is not an answer
    summary = tally.summary()
    assert summary["mean_chars"] == 40.0
    assert summary["median_chars"] == 20.0  # one long answer moves the mean, not the typical length


def test_no_answer_gives_zero_lengths() -> None:
    tally = AnswerTally()
    _add(tally, "nothing", status="abstained")
    assert tally.summary()["mean_chars"] == tally.summary()["median_chars"] == 0.0
