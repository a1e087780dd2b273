"""Screenshots of what yunzhan prints for editor mistakes, for the editors' guide (docs/editors-guide.md).

For each case of ``tests/mistakes/`` it lays the case's site exactly as ``tests/test_mistakes.py`` does (the
small test site, a previous build in ``output/``, the case's files over it), runs the real command in a
subprocess from inside the site folder, and draws what it printed as a Windows PowerShell window: headless
Chromium saves it as ``docs/images/messages/<case>.png``. The command is the ``yunzhan`` script that
``pip install -e .`` puts beside this Python (``yunzhan <command> --site <site>``; it is ``python build.py``
under the name the guide teaches, and messages name the command typed), or ``python build.py`` where there
is no such script. The window shows the command as an editor types it (``yunzhan check``) and the site
folder as a Windows one.

Run from the repository root with the project's Python (Playwright comes with ``pip install -e '.[test]'``)::

    .venv/bin/python scripts/message_screenshots.py                        # every case in tests/mistakes/
    .venv/bin/python scripts/message_screenshots.py --cases zone-not-found,some-other-case
    .venv/bin/python scripts/message_screenshots.py --out /tmp/shots       # somewhere else
    .venv/bin/python scripts/message_screenshots.py --catalogue docs/messages.md   # every case, and a page of them

It uses Debian's Chromium at /usr/bin/chromium through Playwright and never downloads a browser
(no ``playwright install``). The guide shows only some of the pictures: commit the ones it links to.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import launch_browser  # noqa: E402
from tests.test_mistakes import CASES, Case, case_folders, lay_site, load_case  # noqa: E402

OUT = ROOT / "docs" / "images" / "messages"
WIDTH = 900  # CSS pixels; the height follows the text
WINDOWS_SITE = (
    r"C:\Users\编辑\Desktop\展览网站"  # the folder an editor's prompt shows instead of the temp one
)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TIMEOUT = 300  # seconds for one command

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><style>
html, body {{ margin: 0; background: #fff; }}
.window {{ width: {width}px; box-sizing: border-box; border: 1px solid #3c3c3c; }}
.bar {{ display: flex; align-items: center; height: 30px; background: #fff; color: #000;
  font: 12px "Segoe UI", "Noto Sans CJK SC", sans-serif; border-bottom: 1px solid #ddd; }}
.icon {{ width: 16px; height: 16px; margin: 0 8px 0 8px; background: #012456; border-radius: 2px;
  color: #fff; font: bold 11px/16px monospace; text-align: center; }}
.title {{ flex: 1; }}
.buttons {{ display: flex; font: 14px "Noto Sans Mono", monospace; }}
.buttons span {{ width: 46px; text-align: center; }}
.screen {{ margin: 0; padding: 6px 8px 10px; background: #012456; color: #eeedf0;
  font: 15px/1.45 "Noto Sans Mono CJK SC", "Noto Sans Mono", monospace;
  white-space: pre-wrap; overflow-wrap: anywhere; }}
</style></head><body>
<div class="window">
  <div class="bar"><span class="icon">&gt;_</span><span class="title">Windows PowerShell</span>
    <span class="buttons"><span>&#x2013;</span><span>&#x25a1;</span><span>&#x2715;</span></span></div>
  <pre class="screen">{text}</pre>
</div>
</body></html>
"""


def run_case(case: Case, folder: Path, work: Path, published: Path) -> str:
    """Lay the case's site beside a copy of the previous build, run its command and return what it printed."""
    site = work / case.name
    lay_site(site, folder / "site")
    shutil.copytree(published, site / "output")
    command = [*yunzhan_command(), *case.command, "--site", str(site)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}
    done = subprocess.run(
        command, cwd=site, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT
    )
    printed = ANSI.sub("", done.stdout.decode("utf-8", "replace")).replace("\r\n", "\n")
    return windows_paths(printed, site)


def yunzhan_command() -> list[str]:
    """The installed ``yunzhan`` script beside this Python, else ``python build.py`` (the same program)."""
    folder = Path(sys.executable).parent
    for name in ("yunzhan", "yunzhan.exe"):
        if (folder / name).is_file():
            return [str(folder / name)]
    return [sys.executable, str(ROOT / "build.py")]


def windows_paths(text: str, site: Path) -> str:
    """The temporary site folder as the Windows folder of the prompt, with backslashes in what follows it."""
    pattern = re.escape(str(site)) + r"([^\s（），。；：]*)"
    return re.sub(pattern, lambda m: WINDOWS_SITE + m.group(1).replace("/", "\\"), text)


def console_text(case: Case, printed: str) -> str:
    """The whole screen: the prompt with the command typed, what it printed, and the next prompt."""
    prompt = f"PS {WINDOWS_SITE}> "
    typed = "yunzhan " + shlex.join(case.command)
    return f"{prompt}{typed}\n{printed.rstrip()}\n{prompt}"


def build_published(work: Path) -> Path:
    """The test site built once, as the ``output/`` every case starts from (a failing build leaves it alone)."""
    base = work / "_base"
    lay_site(base, None)
    command = [*yunzhan_command(), "build", "--site", str(base), "-q"]
    subprocess.run(command, cwd=base, check=True, stdout=subprocess.DEVNULL, timeout=TIMEOUT)
    return base / "output"


def shoot(pages: dict[str, str], out: Path) -> None:
    """Save each console page as ``<name>.png``, as wide as the window and as tall as its text."""
    out.mkdir(parents=True, exist_ok=True)
    with launch_browser() as browser:  # the tests' one way to start Debian's Chromium
        page = browser.new_page(viewport={"width": WIDTH, "height": 200}, device_scale_factor=1)
        for name, text in pages.items():
            page.set_content(PAGE.format(width=WIDTH, text=html.escape(text)))
            target = out / f"{name}.png"
            page.locator(".window").screenshot(path=str(target))
            shrink(target)
            print(target)


def shrink(png: Path) -> None:
    """A console has few colours: a 64-colour palette keeps the text crisp at a third of the bytes."""
    from PIL import Image

    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    small.save(png, optimize=True)


def chosen_cases(names: str | None) -> list[Path]:
    if not names:
        return case_folders()
    folders = [CASES / name.strip() for name in names.split(",") if name.strip()]
    missing = [f.name for f in folders if not (f / "expected.txt").is_file()]
    if missing:
        raise SystemExit(f"no such case in {CASES}: {', '.join(missing)}")
    return folders


GROUPS = {  # case-name prefix → the heading an editor looks for
    "yaml": "字段部分的写法：冒号、引号、缩进、逗号",
    "field": "字段的值：列表、图片路径、数字、日期",
    "ref": "引用别的条目：写文件名或名称",
    "zone": "引用别的条目：写文件名或名称",
    "pasted": "从 Word、WPS、微信粘贴来的文字",
    "web": "网页代码、网址和视频",
    "rules": "发布前的规则：乱码、重复的网址、照片文件名",
    "file": "文件本身：编码、空文件、Word 文件",
    "data": "首页的数据文件（content/data/）",
    "new": "新建条目后没填完",
    "platform": "文件名和网址：在 Windows、苹果电脑上也能用",
    "media": "视频、声音和讲解词",
    "personal": "个人信息：身份证号、手机号不能发布",
    "misc": "其他",
}
CATALOGUE_HEAD = """# 云展的提示一览

每张图是编辑常犯的一个错误，以及 yunzhan 在 PowerShell 窗口里给出的提示。图都由 `tests/mistakes/` 里的真实例子
运行真正的命令生成（`scripts/message_screenshots.py --catalogue docs/messages.md`），提示改了，图也跟着重新生成。
怎样看懂一条提示，见[编辑指南](editors-guide.md#八发布前检查yunzhan-check)：`文件:行号: 字段: 哪里不对 — 怎样改`。
"""


def catalogue(pages: dict[str, str], out: Path, target: Path) -> str:
    """A page of every picture, grouped by kind of mistake; each picture's alt text is what the window says."""
    parts = [CATALOGUE_HEAD]
    for prefix, heading in GROUPS.items():
        names = [n for n in pages if n.split("-", 1)[0] == prefix]
        if not names or (prefix == "zone" and any(n.startswith("ref-") for n in pages)):
            continue
        if prefix == "ref":
            names += [n for n in pages if n.startswith("zone-")]
        parts.append(f"\n## {heading}\n")
        for name in names:
            said = [line for line in pages[name].splitlines()[1:-1] if line.strip()]
            alt = "；".join(said)[:300].replace("[", "【").replace("]", "】")
            image = os.path.relpath(out / f"{name}.png", target.parent).replace(os.sep, "/")
            parts.append(f"![PowerShell 窗口：{alt}]({image})\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", metavar="A,B,C", help="case folder names, comma-separated (default: all)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where the PNGs go (default: {OUT})")
    parser.add_argument(
        "--catalogue", type=Path, metavar="MD", help="also write a page showing every picture"
    )
    args = parser.parse_args(argv)
    folders = chosen_cases(args.cases)
    with tempfile.TemporaryDirectory(prefix="yunzhan-shots-") as tmp:
        work = Path(tmp)
        published = build_published(work)
        pages = {}
        for folder in folders:
            case = load_case(folder)
            pages[case.name] = console_text(case, run_case(case, folder, work, published))
        shoot(pages, args.out)
    if args.catalogue:
        args.catalogue.write_text(catalogue(pages, args.out, args.catalogue), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
