"""The command line: the only place that prints or exits (with ``serve``, which reports as it runs).

Exit codes: 0 built, 1 content errors, 2 usage or site.toml errors.
"""

from __future__ import annotations

import argparse
import errno
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from yunzhan import __version__, processes
from yunzhan.command import command_name
from yunzhan.errors import EXIT_CONTENT, EXIT_OK, EXIT_USAGE, ConfigError, Problem, YunzhanError, did_you_mean

if TYPE_CHECKING:
    from yunzhan.check import CheckReport


DESCRIPTION = """\
yunzhan（云展）：把 content/ 里的 Markdown 和 YAML 条目生成为静态展览网站。

常用命令：
  {cmd}              生成网站到 output/（等同于 {cmd} build）
  {cmd} check        发布前检查内容
  {cmd} serve --open 本地预览，并用浏览器打开
  {cmd} publish      生成并上传到对象存储（阿里云 OSS、腾讯云 COS……）
  {cmd} --help       显示本帮助
"""


COMMANDS = ("build", "check", "serve", "new", "publish")
_ENGLISH = {  # argparse's own words, as an editor should read them
    "usage: ": "用法：",
    "\npositional arguments:\n": "\n参数：\n",
    "\noptions:\n": "\n选项：\n",
    "show this help message and exit": "显示本帮助",
    "show program's version number and exit": "显示版本号",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"命令写得不对：{message}（用 --help 查看用法）", file=sys.stderr)
        self.print_usage(sys.stderr)
        raise SystemExit(EXIT_USAGE)

    def format_usage(self) -> str:
        return _chinese(super().format_usage())

    def format_help(self) -> str:
        return _chinese(super().format_help())


def _chinese(text: str) -> str:
    for english, chinese in _ENGLISH.items():
        text = text.replace(english, chinese)
    return text


def _site_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--site",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="网站文件夹（含 site.toml），默认当前文件夹",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="只显示错误")


def make_parser() -> argparse.ArgumentParser:
    cmd = command_name()
    parser = _Parser(
        prog=cmd,
        description=DESCRIPTION.format(cmd=cmd),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"yunzhan {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)
    build = commands.add_parser(
        "build",
        help="生成网站（默认命令）",
        description="读取 content/ 和 site.toml，生成网站到 output/。出错时不会改动已有的 output/。",
    )
    _site_options(build)
    _build_options(build)
    check = commands.add_parser(
        "check",
        help="发布前检查内容（繁体字、乱码、链接、图片……），不生成网站",
        description="检查 content/ 里的每个条目，列出错误和警告，并列出所有外部链接（不会访问它们）。",
    )
    _site_options(check)
    check.add_argument("--drafts", action="store_true", help="也检查 draft: true 的草稿条目")
    check.add_argument("--strict", action="store_true", help="有警告也算不通过（退出码 1）")
    check.add_argument(
        "--format", choices=("text", "json"), default="text", help="输出格式；json 供其他程序读取"
    )
    check.add_argument(
        "--fix",
        action="store_true",
        help="自动修正能安全修正的粘贴问题（项目符号、看不见的字符、不换行空格、行首全角空格），再检查一遍",
    )
    new = commands.add_parser(
        "new",
        help="新建一个条目文件",
        allow_abbrev=False,
        description="按栏目的字段新建条目，其余字段写在标题后面，格式为 --字段名 值，例如：\n"
        f'  {cmd} new projects "感应热处理工艺调整" --zone kunshan\n'
        "文件名默认用标题的拼音；要用别的文件名，加 --slug 文件名（小写字母、数字和 -）。",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    new.add_argument("collection", metavar="栏目", help="栏目名（如 projects）或栏目标题（如 创新成果）")
    new.add_argument("title", metavar="标题", help="条目的标题；文件名由它的拼音生成")
    new.add_argument(
        "--bundle",
        action="store_true",
        help="新建成文件夹（content/栏目/名字/index.md），照片和它放在同一个文件夹里；有照片的条目推荐这样",
    )
    _site_options(new)
    serve = commands.add_parser(
        "serve",
        help="本地预览（含草稿）：保存文件后浏览器自动刷新",
        description="生成含草稿的预览（在 .yunzhan-cache/preview/，不改动 output/），保存文件后自动更新。按 Ctrl+C 停止。",
    )
    _site_options(serve)
    serve.add_argument("--port", type=_port, default=8000, help="端口，默认 8000")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="监听地址，默认 127.0.0.1（只有本机能打开）；0.0.0.0 让同一网络的手机也能打开（会显示草稿）",
    )
    serve.add_argument("--open", action="store_true", help="启动后用浏览器打开预览")
    from yunzhan.deploy import command as deploy_command  # publish: yunzhan/deploy/command.py

    deploy_command.add_parser(commands, _site_options)
    return parser


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"端口应当是数字：{text}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"端口应当在 0 到 65535 之间：{text}")
    return port


def _build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", type=Path, metavar="DIR", help="输出文件夹，默认是网站文件夹里的 output/")
    parser.add_argument(
        "--base-url", metavar="URL", help="网站的完整网址（可含子路径），覆盖 site.toml 里的 base_url"
    )
    parser.add_argument("--drafts", action="store_true", help="包含 draft: true 的草稿条目")
    parser.add_argument("--strict", action="store_true", help="把警告也当作错误（发布前检查用）")
    parser.add_argument(
        "--compress", action="store_true", help="同时写出 .gz 和 .br 压缩文件，供支持的服务器直接使用"
    )


def run() -> NoReturn:
    """The command's process: ``main``, then out at once (``processes.exit_now``). Tests call ``main``."""
    processes.exit_now(main())


def main(argv: Sequence[str] | None = None) -> int:
    processes.configure_console()  # a Chinese Windows console must not fail on a character GBK lacks
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = make_parser()
    if args_list and not args_list[0].startswith("-") and args_list[0] not in COMMANDS:
        hint = did_you_mean(args_list[0], COMMANDS)
        parser.error(f"没有“{args_list[0]}”这个命令。{hint}可用的命令：{'、'.join(COMMANDS)}")
    if not args_list or args_list[0] not in {*COMMANDS, "-h", "--help", "--version"}:
        args_list.insert(0, "build")  # `python build.py --site x` means build
    args, extra = parser.parse_known_args(args_list)
    if extra and args.command != "new":
        parser.error(f"不认识的参数：{' '.join(extra)}")
    if args.command == "new":
        _fields_after_title(parser, args_list)
    if "--site" not in args_list and not any(a.startswith("--site=") for a in args_list):
        args.site = _find_site(args.site, quiet=args.quiet)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "new":
            return _new(args, extra)
        if args.command == "publish":
            from yunzhan.deploy import command as deploy_command

            return deploy_command.run(args, _build, _print_problems)
        if args.command == "serve":
            from yunzhan.serve import ServeOptions, run

            return run(
                ServeOptions(
                    site_dir=args.site,
                    host=args.host,
                    port=args.port,
                    open_browser=args.open,
                    quiet=args.quiet,
                )
            )
        return _build(args)
    except KeyboardInterrupt:
        print("已中断；output/ 保持不变。", file=sys.stderr)
        return 130


def _fields_after_title(parser: argparse.ArgumentParser, args_list: list[str]) -> None:
    """``new projects --zone x "标题"`` would take the title as the zone's value: say where fields go."""
    takes_value = {"--site"}
    positionals = 0
    tokens = iter(args_list[args_list.index("new") + 1 :])
    for token in tokens:
        if token in takes_value:
            next(tokens, None)
        elif token.startswith("--") and token not in {"--bundle", "--quiet", "--help"} and "=" not in token:
            if positionals < 2:
                cmd = command_name()
                parser.error(f'字段 {token} 要写在栏目和标题后面，例如 {cmd} new projects "标题" {token} 值')
            return
        elif not token.startswith("-"):
            positionals += 1


def _find_site(given: Path, *, quiet: bool) -> Path:
    """The site folder when none was named: this one, or the nearest one above that has site.toml (an editor
    opens PowerShell where the file they are editing is, e.g. in content/projects)."""
    here = given.absolute()
    if (here / "site.toml").is_file():
        return given
    for folder in here.parents:
        if (folder / "site.toml").is_file():
            if not quiet:
                print(f"网站文件夹是 {folder}（在上层找到了 site.toml）", file=sys.stderr)
            return folder
    return given


def _build(args: argparse.Namespace) -> int:
    from yunzhan.pipeline import BuildOptions, build  # light: the stages load once there is work to do

    start = time.perf_counter()
    options = BuildOptions(
        site_dir=args.site,
        output_dir=args.output,
        base_url=args.base_url,
        drafts=args.drafts,
        strict=args.strict,
        compress=args.compress,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    try:
        result = build(options)
    except ConfigError as exc:
        _print_problems(exc.problems, quiet=False)
        print("设置有误，没有生成网站。", file=sys.stderr)
        return EXIT_USAGE
    except YunzhanError as exc:
        _print_problems(exc.problems, quiet=args.quiet)
        errors = sum(p.is_error or args.strict for p in exc.problems)
        print(f"发现 {errors} 个错误，没有生成网站；output/ 保持原样。改正后再运行一次。", file=sys.stderr)
        return EXIT_CONTENT
    except OSError as exc:  # the disk, not the content: a full disk, or a folder another program holds open
        print(_disk_trouble(exc), file=sys.stderr)
        return EXIT_CONTENT
    _print_problems(result.problems, quiet=args.quiet)
    if result.up_to_date:
        if not args.quiet:
            seconds = time.perf_counter() - start
            print(f"没有改动：{result.output_dir} 已是最新（{result.pages} 个页面，{seconds:.2f} 秒）")
        return EXIT_OK
    if not args.quiet:
        seconds = time.perf_counter() - start  # all of it, not only the timed steps (the stages' import)
        print(
            f"已生成 {result.pages} 个页面到 {result.output_dir}（{seconds:.2f} 秒；"
            f"写入 {result.written} 个文件，{result.unchanged} 个未变，删除 {result.removed} 个）"
        )
    return EXIT_OK


def _disk_trouble(exc: OSError) -> str:
    """A file the build could not write, rename or delete, in words an editor can act on."""
    where = Path(exc.filename).name if exc.filename else "output"
    what = exc.strerror or str(exc)
    if isinstance(exc, PermissionError):
        hint = (
            "多半是 output 文件夹或其中的文件正被别的程序打开着（资源管理器窗口、预览窗口、编辑器，"
            "或停在那个文件夹里的命令行窗口）：关掉它们，再运行一次"
        )
    elif exc.errno == errno.ENOSPC:
        hint = "磁盘满了：删掉一些不用的文件，再运行一次"
    else:
        hint = "检查磁盘和文件夹的权限，再运行一次"
    return f"没能写入网站文件（{where}：{what}），网站没有更新；output/ 保持原样 — {hint}"


def _check(args: argparse.Namespace) -> int:
    from yunzhan import check

    try:
        report = check.check_site(args.site, drafts=args.drafts)
        if args.fix and _fix(args.site.absolute(), report):
            report = check.check_site(args.site, drafts=args.drafts)
    except ConfigError as exc:
        _print_problems(exc.problems, quiet=False)
        print("设置有误，无法检查。", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        sys.stdout.write(check.format_json(report))
    else:
        _print_problems(report.problems, quiet=args.quiet)
        if report.external_links and not args.quiet:
            print("外部链接（没有访问，请人工确认它们还能打开、确实是要放的链接）：")
            for line in check.format_external_links(report.external_links):
                print(f"  {line}")
        print(check.summary_line(report), file=sys.stderr)
    return EXIT_CONTENT if report.failed(args.strict) else EXIT_OK


def _fix(site: Path, report: CheckReport) -> bool:
    """``check --fix``: repair the pasted characters of the files the report names, showing each line changed
    (on stderr, so that ``--format json`` stays clean); True when a file changed."""
    from yunzhan import pastedfix

    changes = pastedfix.fix_files(site, (p.path for p in report.problems))
    for change in changes:
        print(f"已修正 {change.format()}", file=sys.stderr)
    files = len({change.path for change in changes})
    done = f"自动修正了 {files} 个文件的 {len(changes)} 行；下面是再检查一遍的结果。"
    print(done if changes else "没有需要自动修正的地方。", file=sys.stderr)
    return bool(changes)


def _new(args: argparse.Namespace, extra: list[str]) -> int:
    from yunzhan import scaffold
    from yunzhan.config import load_config
    from yunzhan.placeholders import MARK

    site = args.site.absolute()
    try:
        fields = scaffold.parse_field_args(extra)
        config = load_config(site)
        path = scaffold.new_record(site, config, args.collection, args.title, fields, bundle=args.bundle)
        photos = scaffold.photo_fields(config, args.collection)
    except YunzhanError as exc:  # ConfigError included
        _print_problems(exc.problems, quiet=False)
        print("没有新建文件。", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"已新建 {path.relative_to(site).as_posix()}。打开它，把标着“必填”的项和“{MARK}”的提示换成内容，"
        f"再运行 {command_name()} check 检查。"
    )
    if args.bundle:
        where = f"照片放进 {path.parent.relative_to(site).as_posix()}/ 文件夹（和 index.md 在一起），"
        if photos:
            named = "、".join(f"{name}:" for name in photos)
            print(f"{where}在 {named} 里只写照片的文件名，例如 照片1.jpg。")
        else:
            print(f"{where}在正文里这样插入：![照片说明](照片1.jpg)")
    return EXIT_OK


def _print_problems(problems: Sequence[Problem], *, quiet: bool) -> None:
    for problem in problems:
        if quiet and not problem.is_error:
            continue
        print(problem.format(), file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
