"""incremental/textpack.py: texts kept compressed for forked renderers (partly in a thread, gone once the pack
is closed)."""

from __future__ import annotations

import random
import threading

from yunzhan.incremental import textpack
from yunzhan.incremental.textpack import TextPack


def test_every_text_reads_back_by_its_number_in_any_order() -> None:
    rng = random.Random(5)
    texts = ["", "一", "<p>展品</p>", "\ud800 a lone surrogate"]
    alphabet = "创新工匠劳模苏州<>&ab\n"
    texts += ["".join(rng.choices(alphabet, k=rng.randrange(0, 3000))) for _ in range(3 * textpack.BATCH + 7)]
    pack = TextPack()
    numbers = [pack.add(text) for text in texts]
    pack.close()
    assert numbers == list(range(len(texts)))  # numbered as added, across whole batches and the last one
    order = list(range(len(texts)))
    rng.shuffle(order)
    for i in order:
        assert pack.text(numbers[i]) == texts[i]
    assert pack.markup(2) == "<p>展品</p>" and type(pack.markup(2)).__name__ == "Markup"


def test_its_thread_is_gone_once_closed_before_anyone_forks() -> None:
    before = threading.active_count()
    pack = TextPack()
    for i in range(textpack.BATCH):
        pack.add(f"正文 {i}")
    assert threading.active_count() == before + 1  # a batch compressed, half of it beside this thread
    pack.close()
    assert threading.active_count() == before
    assert pack.text(textpack.BATCH - 1) == f"正文 {textpack.BATCH - 1}"


def test_a_few_texts_start_no_thread() -> None:
    before = threading.active_count()
    pack = TextPack()
    assert [pack.add("一"), pack.add("二")] == [0, 1]
    pack.close()
    assert [pack.text(0), pack.text(1)] == ["一", "二"] and threading.active_count() == before
