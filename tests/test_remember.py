"""remember.py: the ``remember`` global (a macro's output made once per build, what it read noted on every page)."""

from __future__ import annotations

import jinja2

from yunzhan.incremental.tracking import TrackingEnvironment
from yunzhan.model import Record
from yunzhan.remember import Remembered

MACROS = """{% macro card_made(r, h) %}<h{{ h }}>{{ r.title }}</h{{ h }}>{{ count() }}{% endmacro %}
{% macro card(r, h=3) %}{{ remember(card_made, r, h) }}{% endmacro %}"""


def _env(environment: type[jinja2.Environment]) -> tuple[jinja2.Environment, list[int]]:
    env = environment(loader=jinja2.DictLoader({"m.html": MACROS}), autoescape=True)
    made: list[int] = []
    env.globals.update(remember=Remembered(env), count=lambda: made.append(1) or "")
    return env, made


def test_a_remembered_macro_is_made_once_per_record_and_arguments() -> None:
    env, made = _env(jinja2.Environment)
    page = env.from_string(
        '{% import "m.html" as m %}{{ m.card(a) }}|{{ m.card(b) }}|{{ m.card(a) }}|{{ m.card(a, 2) }}'
    )
    a = Record("projects", "a", "content/projects/a.md", title="<甲>")
    b = Record("projects", "b", "content/projects/b.md", title="乙")
    assert page.render(a=a, b=b) == "<h3>&lt;甲&gt;</h3>|<h3>乙</h3>|<h3>&lt;甲&gt;</h3>|<h2>&lt;甲&gt;</h2>"
    assert len(made) == 3  # a at 3, b at 3, a at 2
    assert not hasattr(env, "touched")  # an environment that notes nothing is left as it was


def test_every_page_showing_a_remembered_card_reads_what_making_it_read() -> None:
    env, made = _env(TrackingEnvironment)
    page = env.from_string('{% import "m.html" as m %}{{ m.card(a) }}')
    a = Record("projects", "a", "content/projects/a.md", title="甲")
    reads = []
    for _ in range(2):
        env.touched = set()  # as render_pages does for each page
        assert page.render(a=a) == "<h3>甲</h3>"
        reads.append(env.touched)
    assert len(made) == 1
    assert reads[0] == reads[1] and ("record", "projects", "a", "title") in reads[1]


def test_remembered_outputs_are_bounded_and_the_least_recently_used_made_again() -> None:
    env, made = _env(jinja2.Environment)
    env.globals["remember"] = remembered = Remembered(env, budget=1)  # room for one at a time
    page = env.from_string(
        '{% import "m.html" as m %}{{ m.card(a) }}{{ m.card(a) }}{{ m.card(b) }}{{ m.card(a) }}'
    )
    a = Record("projects", "a", "content/projects/a.md", title="甲")
    b = Record("projects", "b", "content/projects/b.md", title="乙")
    assert page.render(a=a, b=b) == "<h3>甲</h3>" * 2 + "<h3>乙</h3><h3>甲</h3>"
    assert len(made) == 3  # a, b, then a again: b had taken its place
    assert len(remembered.made) <= 1
    remembered.clear()
    assert not remembered.made and remembered.size == 0
