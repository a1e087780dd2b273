"""Pages → HTML through the theme's Jinja templates. A site overrides one template by putting a file of the same
name in its own ``templates/`` folder.
"""

from __future__ import annotations

import datetime as dt
import traceback
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from yunzhan.config import SiteConfig
from yunzhan.errors import Problem
from yunzhan.ignored import is_ignored_name
from yunzhan.model import Page
from yunzhan.remember import Remembered
from yunzhan.workers import fork_map

ASSET_PREFIX = "/assets/"

# Callables that never take Jinja's context, environment or eval context: builtins (no ``jinja_pass_arg`` can
# be set on them), macros and ``remember`` (never marked). ``f.get("x")``, every macro call and every card of a
# page (a hundred a page) skip ``Context.call``'s look-ups.
_PLAIN_CALLABLES = frozenset({type(len), type({}.get), type("".__add__), jinja2.runtime.Macro, Remembered})
# Python functions and methods (``url``, ``asset``, ``taxonomy.term``): plain unless marked ``pass_context`` and
# the like, which is what ``Context.call`` looks for on them (a dozen a page)
_FUNCTIONS = frozenset({types.FunctionType, types.MethodType})


class _Context(jinja2.runtime.Context):
    """Jinja's template context, calling plain callables (builtins, macros) directly."""

    @jinja2.utils.internalcode
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        kind = type(__obj)
        if kind not in _PLAIN_CALLABLES and (
            kind not in _FUNCTIONS or getattr(__obj, "jinja_pass_arg", None) is not None
        ):
            return jinja2.runtime.Context.call(__self, __obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            if type(__obj) is _Macro and not kwargs and _positional(__obj, len(args)):
                return _invoke(__obj, args)
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


_Macro = jinja2.runtime.Macro


def _positional(macro: Any, given: int) -> bool:
    """Whether ``Macro.__call__`` would only pass these positional arguments on (seventeen macro calls a page):
    no ``caller``, no ``*varargs`` or ``**kwargs``, not too many arguments."""
    return (
        given <= macro._argument_count
        and not (macro.caller or macro.explicit_caller or macro.catch_kwargs or macro.catch_varargs)
        and not macro._environment.is_async
    )


def _invoke(macro: Any, args: tuple[Any, ...]) -> Any:
    """``Macro.__call__`` of positional arguments, as it does it: the arguments not given are ``missing`` (the
    macro's defaults), the output ``Markup`` when the macro autoescapes."""
    count = macro._argument_count
    if len(args) < count:
        args = (*args, *(jinja2.utils.missing,) * (count - len(args)))
    made = macro._func(*args)
    return markupsafe.Markup(made) if macro._default_autoescape else made


def _replaced(text: str) -> str:
    """Markupsafe's escaping of plain text, in Python: where its compiled ``_escape_inner`` is not there."""
    return (
        text.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


# one pass in C, a quarter of the five ``replace``s' time (a hundred and twenty-five texts a page)
_escape_text: Callable[[str], str] = getattr(markupsafe, "_escape_inner", _replaced)


def _escape(value: Any) -> Any:
    """``{{ text }}`` escaped as Markupsafe does, as plain text: what a template outputs is only ever joined, so
    the ``Markup`` that ``escape`` wraps each piece in (a hundred and fifty a page, in Python) is not needed."""
    kind = type(value)
    if kind is str:
        return _escape_text(value)
    if kind is markupsafe.Markup:  # a macro's output, a body: safe as it is (``escape`` would copy it)
        return value
    if kind is int:  # digits and a sign: nothing to escape
        return str(value)
    return markupsafe.escape(value)  # numbers, objects with __html__


class _Template(jinja2.Template):
    """A template whose output is escaped by ``_escape``: the compiled code's ``escape`` is only called on what
    it outputs (Jinja's ``CodeGenerator._output_child_pre``)."""

    @classmethod
    def _from_namespace(cls, environment: Any, namespace: Any, globals: Any) -> Any:
        namespace["escape"] = _escape
        return super()._from_namespace(environment, namespace, globals)


@dataclass(frozen=True, eq=False)
class SiteView:
    """What templates see as ``site``. Equal only to itself, so hashable: ``remember(macro, site)`` makes what
    reads only the site (the footer) once per build."""

    title: str
    subtitle: str
    description: str
    language: str
    base_url: str
    footer: str
    menu: tuple[dict[str, str], ...]
    data: dict[str, Any]
    collections: dict[str, Any]
    taxonomies: dict[str, Any]
    build_options: dict[str, Any]
    filings: tuple[dict[str, str], ...] = ()  # ICP and public-security filing links for the footer
    open_data: tuple[dict[str, str], ...] = ()  # {title, url} of the published data files
    feed_url: str | None = None
    contact: Any = None  # config.ContactSettings: the 请求技术服务 call to action


def theme_dirs(site_dir: Path, config: SiteConfig) -> list[Path]:
    """Template folders, most specific first: the site's own overrides, then the theme."""
    themes = [
        site_dir / "themes" / config.theme,
        Path(__file__).resolve().parent.parent / "themes" / config.theme,
    ]
    theme = next((t for t in themes if t.is_dir()), themes[0])
    return [site_dir / "templates", theme / "templates"]


def theme_static_dir(site_dir: Path, config: SiteConfig) -> Path:
    return theme_dirs(site_dir, config)[1].parent / "static"


def date_zh(value: Any) -> str:
    """``2024-04-29`` (a date, or such text from a data file) → ``2024年4月29日``."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            return value
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return "" if value is None else str(value)


def make_environment(
    site_dir: Path,
    config: SiteConfig,
    asset_urls: dict[str, str] | None = None,
    cache_dir: Path | None = None,
    environment: type[jinja2.Environment] = jinja2.Environment,
) -> jinja2.Environment:
    """One environment per build: templates are compiled once (and their bytecode kept between builds).
    ``environment``: the class to make, which may note what each page reads (see ``render_pages``)."""
    loader = jinja2.FileSystemLoader([str(d) for d in theme_dirs(site_dir, config) if d.is_dir()])
    bytecode = None
    if cache_dir is not None:
        (cache_dir / "jinja").mkdir(parents=True, exist_ok=True)
        bytecode = jinja2.FileSystemBytecodeCache(str(cache_dir / "jinja"))
    env = environment(
        loader=loader,
        bytecode_cache=bytecode,
        auto_reload=False,  # made per build: no template changes under it, and no stat() per import per page
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.context_class = _Context
    env.template_class = _Template
    assets = asset_urls or {}

    url = config.url_for

    def asset(path: str) -> str:
        return url(ASSET_PREFIX + assets.get(path, path))

    env.globals.update(url=url, abs_url=config.absolute_url, asset=asset, remember=Remembered(env))
    env.filters["date_zh"] = date_zh
    return env


def site_view(
    config: SiteConfig,
    data: dict[str, Any],
    collections: dict[str, Any],
    taxonomies: dict[str, Any],
    build_options: dict[str, Any],
    **extras: Any,
) -> SiteView:
    menu = tuple(
        {"title": m.title, "url": config.base_path + m.url.lstrip("/"), "path": m.url} for m in config.menu
    )
    return SiteView(
        title=config.title,
        subtitle=config.subtitle,
        description=config.description,
        language=config.language,
        base_url=config.base_url,
        footer=config.footer,
        menu=menu,
        data=data,
        collections=collections,
        taxonomies=taxonomies,
        build_options=build_options,
        contact=config.contact,
        **extras,
    )


def render_pages(
    env: jinja2.Environment,
    pages: list[Page],
    site: SiteView,
    site_dir: Path,
    note: Callable[[int, str, Any], tuple[str | None, Any]] | None = None,
) -> Iterator[tuple[Page, str | None, Problem | None, Any]]:
    """Render each page; a template mistake becomes a Problem naming the template and line, not a traceback.
    Many pages are shared between forked processes (``workers.fork_map``). The last item of each is what the
    environment noted while the page rendered: an environment with a ``touched`` attribute gets a new set there
    for each page (``incremental.tracking``); None otherwise. ``note(i, html, touched)``, when given, is made in
    the process that rendered page ``i`` (a page that rendered), and comes back instead of the HTML and what it
    read: what the caller makes of them then shares the processes too, instead of waiting on this one (None
    for the HTML: the note placed it)."""
    state = _RenderState(env, pages, site, site_dir, {}, note)
    try:
        for page, (html, problem, touched) in zip(
            pages,
            fork_map(_render_one, state, len(pages), weight=partial(_weight, pages), even=True),
            strict=True,
        ):
            yield page, html, problem, touched
    finally:
        remembered = env.globals.get("remember")
        if isinstance(remembered, Remembered):
            remembered.clear()  # the rest of the build has no use for the cards


def _weight(pages: list[Page], i: int) -> int:
    """How many ordinary pages rendering this one is like: a listing of a zone's placards is a thousand
    records' worth of HTML (1.4 MB), and ten of them in one chunk made the peak of a build. A record's page
    may show the records that refer to it (a zone's page, a card for each of its 600 projects at 10,000
    records): ten zones' pages in one chunk took 0.9 s while the other process, its chunks done, waited."""
    page = pages[i]
    shown = len(page.records)
    if page.record is not None:
        shown += sum(map(len, page.record.backrefs.values()))
    return 1 + shown // 32


@dataclass
class _RenderState:
    env: jinja2.Environment
    pages: list[Page]
    site: SiteView
    site_dir: Path
    templates: dict[str, jinja2.Template | Problem]  # loaded once per process
    note: Callable[[int, str, Any], tuple[str | None, Any]] | None = None


def _render_one(state: _RenderState, i: int) -> tuple[str | None, Problem | None, Any]:
    html, problem, touched = _render(state, i)
    if state.note is not None:
        if html is None:
            return None, problem, None
        html, touched = state.note(i, html, touched)
    return html, problem, touched


def _render(state: _RenderState, i: int) -> tuple[str | None, Problem | None, Any]:
    page, env = state.pages[i], state.env
    template = state.templates.get(page.template)
    if template is None:
        template = state.templates[page.template] = _load_template(env, page.template, state.site_dir)
    if isinstance(template, Problem):
        return None, template, None
    tracking = hasattr(env, "touched")
    touched: Any = set() if tracking else None
    if tracking:
        env.touched = touched  # type: ignore[attr-defined]
    try:
        return template.render(site=state.site, page=page), None, touched
    except jinja2.TemplateError as exc:
        return None, _template_problem(exc, page.template, state.site_dir, page), touched
    except Exception as exc:  # a theme bug must name the template, never dump a traceback on an editor
        return None, _runtime_problem(exc, page, state.site_dir), touched
    finally:
        if tracking:
            env.touched = None  # type: ignore[attr-defined]


def _load_template(env: jinja2.Environment, name: str, site_dir: Path) -> jinja2.Template | Problem:
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        return Problem(
            f"templates/{exc.name}",
            None,
            None,
            f"找不到模板 {exc.name}",
            "检查 site.toml 里的 template 设置或主题文件夹",
        )
    except jinja2.TemplateError as exc:
        return _template_problem(exc, name, site_dir, None)


def _template_problem(exc: jinja2.TemplateError, name: str, site_dir: Path, page: Page | None) -> Problem:
    filename = getattr(exc, "filename", None)
    line = getattr(exc, "lineno", None)
    if filename is None or line is None:  # raised while rendering (an undefined value): the traceback knows
        frame = _template_frame(exc)
        filename, line = (frame.filename, frame.lineno) if frame else (filename or name, line)
    where = f"（渲染 {page.path} 时）" if page else ""
    return Problem(
        _site_relative(filename, site_dir),
        line,
        None,
        f"模板错误{where}：{exc.message or exc}",
        "检查模板这一行的 Jinja 语法",
    )


def _runtime_problem(exc: Exception, page: Page, site_dir: Path) -> Problem:
    where = _template_frame(exc)
    source = page.record.source if page.record else page.path
    return Problem(
        _site_relative(where.filename, site_dir) if where else page.template,
        where.lineno if where else None,
        None,
        f"渲染 {page.path} 时出错（来源 {source}）：{type(exc).__name__}: {exc}",
        "检查模板是否处理了这个字段为空的情况",
    )


def _template_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The innermost template line in the traceback (Jinja rewrites its frames to point into templates)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".html")]
    return frames[-1] if frames else None


def _site_relative(filename: str, site_dir: Path) -> str:
    try:
        return Path(filename).resolve().relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return Path(filename).as_posix()


def theme_assets(site_dir: Path, config: SiteConfig) -> dict[str, Path]:
    """The theme's static files (and the site's own ``static/``), placed under /assets/ (fingerprinted later)."""
    files: dict[str, Path] = {}
    for base in (theme_static_dir(site_dir, config), site_dir / "static"):
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and not any(map(is_ignored_name, path.relative_to(base).parts)):
                files[ASSET_PREFIX.lstrip("/") + path.relative_to(base).as_posix()] = path
    return files
