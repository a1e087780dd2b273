"""``yunzhan publish``: the subcommand's options and its run, printed in plain Chinese (the CLI's edge)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from yunzhan.errors import ConfigError, YunzhanError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(
    commands: argparse._SubParsersAction, site_options: Callable[[argparse.ArgumentParser], None]
) -> None:  # type: ignore[type-arg]
    publish = commands.add_parser(
        "publish",
        help="生成网站并上传到阿里云 OSS、腾讯云 COS、AWS S3 或 MinIO（只传改动过的文件）",
        description="先生成网站，再把 output/ 上传到 site.toml 里 [deploy] 设置的存储桶：只传改动过的文件，"
        "图片和样式先传、网页后传；中断后再运行一次会接着传。访问密钥放在环境变量或用户自己的密钥文件里，"
        "不要写进 site.toml（见 docs/deploy.md）。",
    )
    site_options(publish)
    publish.add_argument(
        "--delete", action="store_true", help="同时删除存储桶里这次生成已经没有的旧文件（最后才删）"
    )
    publish.add_argument("--dry-run", action="store_true", help="只列出要上传和删除多少文件，不上传")
    publish.add_argument("--no-build", action="store_true", help="不重新生成，直接上传现有的 output/")
    publish.add_argument(
        "--output", type=Path, metavar="DIR", help="要上传的文件夹，默认是网站文件夹里的 output/"
    )
    publish.add_argument("--check", metavar="URL", help="不上传：检查已经发布的网站（网址）的常见设置问题")


def run(
    args: argparse.Namespace, build: Callable[[argparse.Namespace], int], problems: Callable[..., None]
) -> int:
    if args.check:
        from yunzhan.deploy.doctor import diagnose, format_report

        findings = diagnose(args.check)
        print(format_report(args.check, findings))
        return EXIT_FAILED if any(f.severity == "error" for f in findings) else EXIT_OK
    from yunzhan.config import load_config
    from yunzhan.deploy.target import find_credentials, resolve_target
    from yunzhan.deploy.upload import publish

    site = args.site.absolute()
    try:
        config = load_config(site)
        target = resolve_target(config)
        credentials = find_credentials(target)
    except ConfigError as exc:
        problems(exc.problems, quiet=False)
        print("设置有误，没有发布。", file=sys.stderr)
        return EXIT_USAGE
    except YunzhanError as exc:
        problems(exc.problems, quiet=False)
        print("没有发布。", file=sys.stderr)
        return EXIT_USAGE
    if not args.no_build:
        for name, value in {
            "base_url": None,
            "drafts": False,
            "strict": False,
            "compress": target.gzip,
        }.items():
            setattr(args, name, value)
        if build(args) != EXIT_OK:
            print("网站没有生成成功，没有发布。", file=sys.stderr)
            return EXIT_FAILED
    output = (args.output or site / "output").absolute()
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr))
    say(f"发布到 {target.name}（{target.endpoint or 'AWS S3'}），密钥来自{credentials.source}")
    try:
        result = publish(
            output,
            site / ".yunzhan-cache",
            target,
            credentials,
            delete=args.delete,
            dry_run=args.dry_run,
            progress=not args.quiet and sys.stderr.isatty() and not os.environ.get("CI"),
            report=say,
        )
    except YunzhanError as exc:
        problems(exc.problems, quiet=False)
        print("发布没有完成；线上的网站仍然完整（新网页只在它用到的图片传完后才上传）。", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("已中断。再运行一次会接着上传，已传完的文件不会重传。", file=sys.stderr)
        return 130
    verb = "将上传" if args.dry_run else "上传了"
    size = f"{result.uploaded_bytes / 1_000_000:.1f} MB" if result.uploaded_bytes else "0 MB"
    print(f"{verb} {result.uploaded} 个文件（{size}），{result.unchanged} 个没变；删除 {result.deleted} 个。")
    if result.left:
        print(
            f"存储桶里还有 {len(result.left)} 个这次生成已经没有的旧文件；确认网站正常后，加 --delete 再发布一次删掉它们。"
        )
    if args.delete and result.foreign:
        print(f"存储桶的这个文件夹里另有 {result.foreign} 个不是 yunzhan 上传的文件，没有删除它们。")
    return EXIT_OK
