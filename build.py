#!/usr/bin/env python3
"""Entry point: `python build.py --help`. All the work happens in the yunzhan package.

Typed with a Python that cannot run yunzhan (too old, or without the packages: the system's `python`), it says
in Chinese how to set one up instead of showing a traceback. So this file keeps to syntax every Python 3 reads.
"""

import sys

MINIMUM = (3, 11)
# import name → package name, of each dependency in pyproject.toml
NEEDED = {
    "jinja2": "jinja2",
    "markdown": "markdown",
    "yaml": "pyyaml",
    "PIL": "pillow",
    "pillow_heif": "pillow-heif",
    "watchdog": "watchdog",
    "nh3": "nh3",
    "pypinyin": "pypinyin",
    "tqdm": "tqdm",
    "opencc": "opencc",
    "brotli": "brotli",
    "zxingcpp": "zxing-cpp",
    "jieba": "jieba",
    "av": "av",
    "boto3": "boto3",
}

SETUP = """\
在网站文件夹里运行下面两行（只需一次，要能上网）：

  Windows（PowerShell）：
    py -3 -m venv .venv
    .venv\\Scripts\\python -m pip install -e .

  macOS / Linux（终端）：
    python3 -m venv .venv
    .venv/bin/python -m pip install -e .

装好以后，命令里的 python 要换成：
  Windows：   .venv\\Scripts\\python build.py{args}    或    .venv\\Scripts\\yunzhan{args}
  macOS / Linux：.venv/bin/python build.py{args}    或    .venv/bin/yunzhan{args}
"""


def missing_packages():
    """The needed packages this Python cannot import (found without importing them: fast, and no side effects)."""
    import importlib.util

    return [package for name, package in NEEDED.items() if importlib.util.find_spec(name) is None]


def unusable_python_message(version, missing, args):
    """What to say when this Python cannot run yunzhan; None when it can."""
    shown = "".join(f' "{a}"' if " " in a else " " + a for a in args)
    if tuple(version[:2]) < MINIMUM:
        reason = "现在运行它的是 Python {}.{}，太旧了：需要 Python {}.{} 或更新的版本。".format(
            version[0], version[1], *MINIMUM
        )
        reason += "\n先从 https://www.python.org/downloads/ 安装新版 Python，然后"
    elif missing:
        reason = "现在运行它的 Python 还没有装 yunzhan 用到的软件包（缺少 {}）。\n这是正常的：第一次使用时要先".format(
            "、".join(missing)
        )
    else:
        return None
    return "没有运行：" + reason + "准备好运行环境。\n\n" + SETUP.format(args=shown)


def main():
    message = unusable_python_message(sys.version_info, missing_packages(), sys.argv[1:])
    if message is not None:
        sys.stderr.write(message)
        return 2
    from yunzhan.cli import run

    run()  # never returns: it exits with the command's code


if __name__ == "__main__":
    sys.exit(main())
