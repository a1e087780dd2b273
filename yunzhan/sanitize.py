"""The allow-list the sanitiser (nh3) keeps, and what it removes told to editors in plain words.

nh3 is the only security boundary for editors' Markdown. ``Scan`` reads the unsanitised HTML before it runs,
so that each removal (a script, a style, an iframe from a host not allowed, a picture on another website, WeChat's
above all) becomes a message naming what went and why.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

import nh3

from yunzhan.addresses import is_external, scheme, split_url

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_TAGS = frozenset(
    {"p", "br", "hr", "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "figure", "figcaption", "blockquote"}
    | {"pre", "code", "em", "strong", "b", "i", "u", "s", "del", "ins", "sup", "sub", "small", "q", "cite"}
    | {"abbr", "kbd", "mark", "span", "div", "section", "details", "summary", "caption"}
    | {"table", "thead", "tbody", "tfoot", "tr", "th", "td"}
    | set(_HEADINGS)
)
_CELL = {"align", "colspan", "rowspan"}
_IMG = {"src", "alt", "title", "width", "height"}
_ATTRS: dict[str, set[str]] = {"a": {"href", "title", "class"}, "img": _IMG, "div": {"class"}}
_ATTRS |= {"code": {"class"}}
_ATTRS |= {"sup": {"id"}, "li": {"id"}, "ol": {"start"}, "th": _CELL, "td": _CELL, "abbr": {"title"}}
_ATTRS |= {"details": {"open"}} | {h: {"id"} for h in _HEADINGS}
_CLASSES = {"a": {"footnote-ref", "footnote-backref"}, "div": {"footnote"}}
_LANGUAGE_CLASS = re.compile(r"language-[\w+#.-]{1,40}")
# Dropped together with their content: never readable text, often active content.
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "object", "embed", "applet", "template", "svg", "math", "noscript", "textarea"}
    | {"select", "xmp", "noembed", "noframes", "title", "frameset", "frame"}
)
_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "data", "poster", "background", "xlink:href"})
_IFRAME_SET = {"sandbox": "allow-scripts allow-same-origin allow-presentation", "allowfullscreen": ""}
_IFRAME_SET |= {"loading": "lazy", "referrerpolicy": "strict-origin-when-cross-origin"}
_WHY = {"script": "网站不会发布脚本", "style": "外观由主题统一决定", "target": "链接打开方式由网站统一决定"}
GENERIC_HINT = "正文请用 Markdown 书写；确需特殊排版时请联系网站技术人员"


def _keep_classes(tag: str, attr: str, value: str) -> str | None:
    if attr != "class":
        return value
    allowed = _CLASSES.get(tag, set())
    kept = [c for c in value.split() if c in allowed or (tag == "code" and _LANGUAGE_CLASS.fullmatch(c))]
    return " ".join(kept) or None


@functools.lru_cache(maxsize=8)
def cleaner(iframe_hosts: tuple[str, ...]) -> nh3.Cleaner:
    attributes = dict(_ATTRS)
    if iframe_hosts:
        attributes["iframe"] = {"src", "width", "height", "title"}
    return nh3.Cleaner(
        tags=set(_TAGS | ({"iframe"} if iframe_hosts else set())),
        clean_content_tags=set(_DROP_WITH_CONTENT | (set() if iframe_hosts else {"iframe"})),
        attributes=attributes,
        attribute_filter=_keep_classes,
        link_rel=None,
        url_schemes=set(_SCHEMES),
        set_tag_attribute_values={"iframe": _IFRAME_SET},
        strip_comments=True,
    )


def iframe_src(src: str, hosts: tuple[str, ...]) -> str | None:
    """The address an embedded player is published with, or None when it may not be embedded: https on an
    allowed host. Bilibili's embed code is protocol-relative (``//player.bilibili.com/…``): on an https site
    that means https, so it is written out as such."""
    src = src.strip()
    if src.startswith("//"):
        src = "https:" + src
    parts = split_url(src)
    return src if parts.scheme == "https" and (parts.hostname or "") in hosts else None


def _iframe_refusal(src: str, hosts: tuple[str, ...], where: str) -> tuple[str, str]:
    """(message, hint) for an embedded page or player that is removed, naming its host."""
    host = split_url(src.strip()).hostname
    if not host:
        return f"{where}中嵌入的 <iframe> 已被移除：没有写要嵌入的网址", GENERIC_HINT
    removed = f"{where}中嵌入的 {host} 的视频或网页已被移除"
    if host in hosts:
        return f"{removed}：地址要以 https:// 开头", "把地址开头的 http:// 改成 https://"
    if where != "正文":
        return f"{removed}：只有正文里可以嵌入视频", "这里请改用链接，写成 [文字](网址)"
    return (
        f"{removed}：这个网站不在允许嵌入的名单里",
        f"如需嵌入，请网站管理员把 {host} 加到 site.toml 的 [markdown] iframe_hosts 里",
    )


_WECHAT_IMAGE_HOSTS = ("qpic.cn", "qlogo.cn")
_SAVE_IMAGE = "请把图片保存到电脑上，放在条目文件旁边，再写成 ![{alt}](文件名.jpg)"


def remote_image(url: str, alt: str) -> tuple[str, str]:
    """(message, hint) for a picture that stays on another website, which the page cannot show."""
    host = split_url(re.sub(r"[\x00-\x20]", "", url).replace("\\", "/")).hostname or ""
    named = f"（{alt}）" if alt else ""
    hint = _SAVE_IMAGE.format(alt=alt or "描述")
    if any(host == h or host.endswith(f".{h}") for h in _WECHAT_IMAGE_HOSTS) or "wx_fmt=" in url:
        message = (
            f"这张图片{named}是从微信公众号文章复制来的，网页上显示不出来：图片存放在微信的服务器上，"
            "微信不让别的网站使用，本网站也不向其他网站请求内容"
        )
        return message, hint
    message = f"这张图片{named}在别的网站上（{host or url}），网页上显示不出来：本网站不向其他网站请求内容"
    return message, hint


class Scan(HTMLParser):
    """Notes what the sanitiser is about to remove from unsanitised HTML, to tell the editor."""

    def __init__(self, iframe_hosts: tuple[str, ...], where: str) -> None:
        super().__init__(convert_charrefs=True)
        self.hosts, self.where = iframe_hosts, where
        self.found: dict[str, tuple[str, str]] = {}  # message -> (hint, text to search for in the source)
        self.remote_images: list[tuple[str, str]] = []  # (address, alt) of each picture on another website

    def note(self, message: str, needle: str, hint: str = GENERIC_HINT) -> None:
        self.found.setdefault(f"{self.where}{message}", (hint, needle))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        src = values.get("src", "").strip()
        if tag == "iframe":
            if not iframe_src(src, self.hosts):
                message, hint = _iframe_refusal(src, self.hosts, self.where)
                self.found.setdefault(message, (hint, as_written(src) or "<iframe"))
        elif tag == "img":
            # Pictures in WeChat articles load late: their address is in data-src, and src is missing.
            address = src or values.get("data-src", "").strip()
            if is_external(address):
                self.remote_images.append((address, values.get("alt", "").strip()))
        elif tag in ("script", "style"):
            self.note(f"中的 <{tag}> 已被移除：{_WHY[tag]}", f"<{tag}")
        elif tag in _DROP_WITH_CONTENT:
            self.note(f"中的 <{tag}> 已被移除（连同其中的内容）：只允许常用的排版标签", f"<{tag}")
        elif tag not in _TAGS:
            self.note(f"中的 <{tag}> 标签已被移除（其中的文字保留）：只允许常用的排版标签", f"<{tag}")
        for name, value in values.items():
            kind = scheme(value) if name in _URL_ATTRS else None
            if name.startswith("on") or name in ("style", "target"):
                self.note(f"中的 {name} 属性已被移除：{_WHY.get(name, _WHY['script'])}", name)
            elif kind and len(kind) == 1 and tag == "img":
                continue  # D:\照片\a.jpg: a path on the editor's computer, named as such by the image check
            elif kind and len(kind) == 1:
                message = f"中的链接 {value} 是电脑上的完整路径，网站上打不开"
                hint = "把文件放进网站文件夹，或者改成网址（https://…）"
                self.note(message, f"{kind}:", hint)
            elif kind and kind not in _SCHEMES:
                hint = "把图片作为文件放在条目旁边，用相对路径引用" if kind == "data" else GENERIC_HINT
                message = f"中的 {kind}: 地址已被移除：只允许 http、https、mailto、tel 和相对地址"
                self.note(message, f"{kind}:", hint)


# Read in the lowered HTML (each name html.parser reports is lowered, and so is each scheme): where html.parser
# begins each start tag it reports (``<`` and a letter), with its name; the tags a document may hold that ``Scan``
# looks at, and more (in comments, in attribute values).
_START_NAME = re.compile(r"<([a-z][^\t\n\r\f />\x00]*)")
_QUIET_TAGS = _TAGS - {"img"}  # tags that are kept and say nothing by themselves (an image may be remote)
# Attribute names html.parser reads only after a quote, a space or a slash, as here: those ``Scan`` notes, and
# address attributes with the start of each value they may have (looked at, not taken: a value may hide a name).
_NOTED_ATTR = re.compile(
    r"['\"\s/](?:on|style|target"
    r"|(?:href|src|action|formaction|data|poster|background|xlink:href)(?=[\s=]*=[\s=]*['\"]?([^'\">]*)))"
)


def scan(html: str, iframe_hosts: tuple[str, ...], where: str) -> Scan:
    """What nh3 will remove from ``html``. Most documents are Python-Markdown's own tags, attributes and web
    addresses, which ``Scan`` would read through only to find nothing (a third of the conversion's time): a
    look at the whole text proves so for them, and the parser reads the others."""
    found = Scan(iframe_hosts, where)
    if not _quiet(html):
        found.feed(html)
        found.close()
    return found


def _quiet(html: str) -> bool:
    """Nothing in ``html`` for ``Scan`` to note: every tag it could report is kept as it is, no attribute name
    it notes appears, and no address attribute's value has a scheme other than the allowed ones (a value with
    ``&``, a character reference, is left to the parser)."""
    lowered = html.lower()
    if "\x00" in lowered or not _QUIET_TAGS.issuperset(_START_NAME.findall(lowered)):
        return False
    for match in _NOTED_ATTR.finditer(lowered):
        value = match.group(1)
        if value is None or "&" in value:
            return False
        kind = scheme(value)
        if kind and (len(kind) == 1 or kind not in _SCHEMES):
            return False
    return True


def as_written(address: str) -> str:
    """The part of an address from raw HTML sure to be in the source as it is (it may have ``&amp;`` for ``&``)."""
    return re.split(r"[&<>\"']", address)[0]
