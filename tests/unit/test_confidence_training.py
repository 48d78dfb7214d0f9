"""The confidence model's fit keeps the sign of what is evidence: more of it may not lower the confidence."""

import numpy as np

from bench.train_confidence import MORE_IS_BETTER, MORE_IS_WORSE, _newton, fit
from genius_loci.connectors.rerank.confidence import NAMES


def test_evidence_weights_keep_their_sign() -> None:
    assert set(NAMES) >= MORE_IS_BETTER | MORE_IS_WORSE  # a misspelt or renamed feature would go unconstrained
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2000, len(NAMES)))
    score, place, missing = NAMES.index("top_score"), NAMES.index("place_in_top"), NAMES.index("missing_rare")
    # a training set whose composition makes "the place's page came first" and "a specific word is missing" look
    # like the wrong way round
    y = (x[:, score] - x[:, place] + x[:, missing] + rng.normal(scale=0.5, size=len(x)) > 0).astype(float)
    w = np.ones(len(x))

    free = _newton(np.hstack([(x - x.mean(0)) / x.std(0), np.ones((len(x), 1))]), y, w)
    assert free[place] < 0 and free[missing] > 0  # what an unconstrained fit learns from it

    weights, _, _, _ = fit(x, y, w)
    assert weights[place] == 0.0 and weights[missing] == 0.0
    assert weights[score] > 0
