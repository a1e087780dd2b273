"""Benchmark the live preview: from saving a record to the rebuilt page being served.

Generates a synthetic site (the demo's site.toml, theme and zones, then N project records with ~800-character
Chinese Markdown bodies, every one marked 示例; no images), starts the preview server in its own process (as an
editor runs it) on a free port, then edits records one at a time. For each edit it measures, from the moment
the file is written:

- ready: what a browser sees: the ``reload`` event arrives, then the page is fetched with the new text;
- reload: the ``reload`` event arriving on the /__yunzhan/events stream;
- build: the rebuild alone (debounce excluded), with the pipeline's stage timings.

    python bench/serve.py                     # 1,000 records, 10 edits
    python bench/serve.py --records 200 --edits 5
    python bench/serve.py --edit title        # edit each record's title instead of its body
    python bench/serve.py --pause 1.5         # saves far enough apart for the site-wide files to follow each

Target (issue #15): median ready <= 200 ms at 1,000 records. The site is generated into bench/.work/serve-site (gitignored)
and regenerated on every run; its .yunzhan-cache is kept, so only the first run draws every share card.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vocabulary import CATEGORIES, INDUSTRIES  # bench/ is sys.path[0] when run as a script

from yunzhan.serve import EVENTS_PATH, PreviewServer, RebuildOutcome, ServeOptions

REPO = Path(__file__).resolve().parent.parent
WORK = Path(__file__).resolve().parent / ".work" / "serve-site"
TARGET_MS = 200

TOPICS = ["工装夹具", "质量检测", "节能降耗", "工艺优化", "设备改造", "安全生产", "数字化车间", "技能传承"]
SENTENCES = [
    "本条为基准测试生成的示例内容，人物、企业与数据均为虚构。",
    "示例班组在生产一线发现问题后，先用一周时间记录每一道工序的用时和不良品数量。",
    "他们把记录整理成表格，逐项比对，找出最耗时的两个环节，再分头拿出改进办法。",
    "改进后的工装只用了常见的材料，成本不高，车间里的老师傅也能很快上手。",
    "试运行期间，班组每天开一次短会，把遇到的新情况写在白板上，第二天就给出调整意见。",
    "经过三个月的示例试点，工序用时明显缩短，返工次数也随之减少。",
    "这项做法后来被整理成一份图文并茂的操作说明，方便其他班组参考。",
    "劳模工匠创新工作室为项目提供了场地和设备，并安排青年职工跟班学习。",
    "示例中的数据仅用于演示网站的排版效果，不代表任何真实企业的生产情况。",
    "项目组还总结了三条经验：先把问题量化，再小步试验，最后形成标准。",
]


def generate(site: Path, records: int, seed: int = 7) -> list[str]:
    """Write the synthetic site; return the record slugs."""
    site.mkdir(parents=True, exist_ok=True)
    for entry in site.iterdir():  # keep .yunzhan-cache: reruns start with warm image and card caches
        if entry.name == ".yunzhan-cache":
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (site / "content").mkdir()
    shutil.copy(REPO / "site.toml", site / "site.toml")
    # A copy of the theme: edits others make to the repository's theme must not trigger rebuilds mid-run.
    shutil.copytree(REPO / "themes" / "default", site / "themes" / "default")
    if (REPO / "content" / "data").is_dir():
        shutil.copytree(REPO / "content" / "data", site / "content" / "data")
    zones = _copy_zones(site)
    (site / "content" / "pages").mkdir()
    (site / "content" / "pages" / "about.md").write_text(
        "---\ntitle: 关于（示例）\n---\n本站为基准测试生成的示例网站，内容均为虚构。\n", encoding="utf-8"
    )
    rng = random.Random(seed)
    projects = site / "content" / "projects"
    projects.mkdir()
    slugs = []
    for i in range(1, records + 1):
        slug = f"sample-{i:04d}"
        slugs.append(slug)
        zone, district = zones[i % len(zones)]
        topic = TOPICS[i % len(TOPICS)]
        front = {
            "title": f"示例成果 {i:04d}：{topic}",
            "category": CATEGORIES[i % len(CATEGORIES)],
            "zone": zone,
            "industry": INDUSTRIES[i % len(INDUSTRIES)],
            "summary": f"本条为基准测试生成的示例内容（第 {i} 条），围绕“{topic}”。",
            "date": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "tags": ["示例内容", topic],
        }
        if district:
            front["district"] = district
        (projects / f"{slug}.md").write_text(
            "---\n"
            + yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
            + "---\n"
            + _body(rng, topic),
            encoding="utf-8",
        )
    return slugs


def _copy_zones(site: Path) -> list[tuple[str, str | None]]:
    """The demo's zones with their names, districts and order, but a plain body and no cover image."""
    zones = []
    target = site / "content" / "zones"
    target.mkdir(parents=True)
    for path in sorted((REPO / "content" / "zones").glob("*.md"))[:4]:
        text = path.read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("---", 2)[1])
        kept = {k: front[k] for k in ("name", "district", "order", "intro") if k in front}
        (target / path.name).write_text(
            "---\n"
            + yaml.safe_dump(kept, allow_unicode=True, sort_keys=False)
            + "---\n本展区为基准测试用的示例展区。\n",
            encoding="utf-8",
        )
        zones.append((path.stem, front.get("district")))
    return zones


def _body(rng: random.Random, topic: str) -> str:
    parts = [f"> 本条为示例内容，围绕“{topic}”。\n"]
    length = 0
    heading = 0
    while length < 800:
        if length >= heading * 300:
            heading += 1
            parts.append(f"\n## 示例小节 {heading}\n\n")
        sentence = rng.choice(SENTENCES)
        parts.append(sentence)
        length += len(sentence)
        if rng.random() < 0.3:
            parts.append("\n\n")
    return "".join(parts) + "\n"


class EventLog:
    """Collects the times ``reload`` events arrive on the preview's event stream."""

    def __init__(self, port: int) -> None:
        self.times: list[float] = []
        self.cond = threading.Condition()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.sendall(f"GET {EVENTS_PATH} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        self.reader = self.sock.makefile("rb")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event = ""
        try:
            for raw in self.reader:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif not line and event:
                    if event == "reload":
                        with self.cond:
                            self.times.append(time.perf_counter())
                            self.cond.notify_all()
                    event = ""
        except OSError:
            pass

    def first_after(self, t0: float, timeout: float) -> float | None:
        deadline = time.perf_counter() + timeout
        with self.cond:
            while True:
                later = [t for t in self.times if t >= t0]
                if later:
                    return later[0]
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def close(self) -> None:
        self.thread.join(5)
        self.reader.close()
        self.sock.close()


def fetch(port: int, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        return conn.getresponse().read()
    finally:
        conn.close()


def serve_child(site: Path) -> int:
    """The server side, in its own process as for an editor: one JSON line per rebuild on stdout."""

    def report(outcome: RebuildOutcome, kind: str, changed: set[Path]) -> None:
        line = {"ok": outcome.ok, "kind": kind, "seconds": outcome.seconds, "pages": outcome.pages}
        line["timings"] = outcome.timings
        line["problems"] = [p.format() for p in outcome.problems if p.is_error]
        print("REBUILD " + json.dumps(line, ensure_ascii=False), flush=True)

    server = PreviewServer(ServeOptions(site_dir=site, port=0, quiet=True), on_rebuild=report)
    server.start()
    print(f"READY {server.port} {server.base_path}", flush=True)
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


class Child:
    """The preview server process and the rebuild reports it prints."""

    def __init__(self, site: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-child", str(site)],
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.rebuilds: list[dict] = []
        self.cond = threading.Condition()
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("REBUILD "):
                self.rebuilds.append(json.loads(line[8:]))
            elif line.startswith("READY "):
                _, port, self.base = line.split()
                self.port = int(port)
                break
        else:
            raise SystemExit("预览服务没有启动")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("REBUILD "):
                with self.cond:
                    self.rebuilds.append(json.loads(line[8:]))
                    self.cond.notify_all()

    def wait_rebuilds(self, count: int, timeout: float = 300) -> dict:
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.rebuilds) >= count, timeout):
                raise SystemExit("等待重新生成超时")
            return self.rebuilds[count - 1]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.thread.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _edited(text: str, marker: str, edit: str) -> str:
    """The record with ``marker`` appended to its body, or to its title (a plain YAML scalar)."""
    if edit == "body":
        return text + f"\n{marker}\n"
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("title: "):
            lines[i] = f"{line} {marker}"
            return "\n".join(lines)
    raise SystemExit("记录里没有 title 行")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--site", type=Path, default=WORK)
    parser.add_argument(
        "--pause",
        type=float,
        default=0.3,
        help="seconds between one page ready and the next save (default 0.3: under the preview's 1 s wait before "
        "the search index and other site-wide files follow; 1.5 lets them run between saves, as an editor does)",
    )
    parser.add_argument(
        "--edit",
        choices=("body", "title"),
        default="body",
        help="what each edit changes: a sentence appended to the body (default), or the title "
        "(which also changes list pages, the search index, sitemap, feed and open data)",
    )
    parser.add_argument("--serve-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_child:
        return serve_child(args.serve_child)

    start = time.perf_counter()
    slugs = generate(args.site, args.records)
    print(f"生成示例网站：{args.records} 条记录（{time.perf_counter() - start:.2f} 秒）→ {args.site}")

    child = Child(args.site)
    first = child.wait_rebuilds(1)
    if not first["ok"]:
        print("\n".join(first["problems"]))
        child.stop()
        return 1
    print(f"首次生成：{first['pages']} 个页面，{first['seconds']:.2f} 秒")
    events = EventLog(child.port)
    ready_ms: list[float] = []
    reload_ms: list[float] = []
    build_ms: list[float] = []
    stages: dict[str, list[float]] = {}
    try:
        time.sleep(0.3)
        for k in range(args.edits):
            slug = slugs[(k * 97) % len(slugs)]
            path = args.site / "content" / "projects" / f"{slug}.md"
            marker = f"示例修改标记-{k}-{secrets.token_hex(3)}"
            text = path.read_text(encoding="utf-8")
            done = len(child.rebuilds)
            t0 = time.perf_counter()
            path.write_text(_edited(text, marker, args.edit), encoding="utf-8")
            # what a browser does: wait for the reload event, then load the page
            reloaded = events.first_after(t0, 300)
            if reloaded is None:
                raise SystemExit("300 秒内没有收到 reload 事件")
            page = f"{child.base}projects/{slug}/"
            while marker.encode() not in fetch(child.port, page):
                if time.perf_counter() - t0 > 300:
                    raise SystemExit(f"{page} 在 300 秒内没有更新")
                time.sleep(0.01)
            t1 = time.perf_counter()
            ready_ms.append((t1 - t0) * 1000)
            reload_ms.append((reloaded - t0) * 1000)
            outcome = child.wait_rebuilds(done + 1)
            build_ms.append(outcome["seconds"] * 1000)
            for name, seconds in outcome["timings"].items():
                stages.setdefault(name, []).append(seconds * 1000)
            print(
                f"  修改 {k + 1:2d}：页面就绪 {ready_ms[-1]:7.0f} ms，reload 事件 {reload_ms[-1]:7.0f} ms，"
                f"生成 {build_ms[-1]:7.0f} ms"
            )
            time.sleep(args.pause)
    finally:
        child.stop()
        events.close()

    median = statistics.median(ready_ms)
    print(
        f"\n{args.records} 条记录，{args.edits} 次修改{'标题' if args.edit == 'title' else '正文'}（防抖：无改动 {ServeOptions.debounce * 1000:.0f} ms，"
        f"保存完成后 {ServeOptions.settle * 1000:.0f} ms）："
    )
    print(f"  保存 → 页面就绪   中位数 {median:.0f} ms（最小 {min(ready_ms):.0f}，最大 {max(ready_ms):.0f}）")
    print(f"  保存 → reload 事件 中位数 {statistics.median(reload_ms):.0f} ms")
    print(f"  其中生成本身     中位数 {statistics.median(build_ms):.0f} ms")
    print("  各阶段中位数：" + "，".join(f"{n} {statistics.median(v):.0f} ms" for n, v in stages.items()))
    verdict = "达标" if median <= TARGET_MS else "未达标"
    print(f"  目标 ≤ {TARGET_MS} ms：{verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
