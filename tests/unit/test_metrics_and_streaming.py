from genius_loci.core import streaming
from genius_loci.core.metrics import Metrics, quantile


def test_counters_gauges_and_summaries_render_in_prometheus_text() -> None:
    m = Metrics(window=100)
    m.count("loci_answers_total", channel="web", status="answered", answerer="extractive")
    m.count("loci_answers_total", channel="web", status="answered", answerer="extractive")
    m.set("loci_queue_items", 3, queue="inbox", state="pending")
    for v in range(1, 101):
        m.observe("loci_answer_seconds", v / 100, channel="web")
    text = m.render()
    assert "# TYPE loci_answers_total counter" in text
    assert 'loci_answers_total{answerer="extractive",channel="web",status="answered"} 2' in text
    assert 'loci_queue_items{queue="inbox",state="pending"} 3' in text
    assert 'loci_answer_seconds{channel="web",quantile="0.5"} 0.5' in text
    assert 'loci_answer_seconds{channel="web",quantile="0.95"} 0.95' in text
    assert 'loci_answer_seconds_count{channel="web"} 100' in text


def test_label_values_are_escaped() -> None:
    m = Metrics()
    m.count("x_total", reason='say "hi"\\')
    assert 'x_total{reason="say \\"hi\\"\\\\"} 1' in m.render()


def test_quantile_is_nearest_rank() -> None:
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.95) == 4.0


def test_hub_passes_pieces_only_to_listeners_of_that_message() -> None:
    hub = streaming.DeltaHub()
    with hub.publishing("nobody-listens"):
        assert not streaming.wanted()  # no one waits: the model is asked for a whole answer
    with hub.listen("m1") as pieces, hub.listen("m2") as others:
        with hub.publishing("m1"):
            assert streaming.wanted()
            streaming.emit("Bon")
            streaming.emit("jour")
        assert not streaming.wanted()
        assert [pieces.get_nowait(), pieces.get_nowait()] == ["Bon", "jour"]
        assert others.empty()
    with hub.publishing("m1"):  # the listener left: nobody waits any more
        assert not streaming.wanted()
