"""Where to publish and with which keys. Keys come from the environment or the user's own file, never from
site.toml (which is committed and shared); a missing or half-given key is a plain Chinese message."""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from yunzhan import processes
from yunzhan.config import SiteConfig
from yunzhan.errors import Problem, YunzhanError

PROVIDERS = {  # name → (endpoint pattern, addressing, what the console calls the region, example region)
    "aliyun": ("https://s3.oss-{region}.aliyuncs.com", "virtual", "地域", "cn-hangzhou"),
    "tencent": ("https://cos.{region}.myqcloud.com", "virtual", "所属地域", "ap-shanghai"),
    "aws": ("", "virtual", "Region", "cn-north-1"),
    "minio": ("", "path", "region", "us-east-1"),
    "s3": ("", "path", "region", "us-east-1"),
}
KEY_VARIABLES = {  # provider → pairs of (id, secret) environment variables, tried in order
    "aliyun": [("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"),
               ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET")],
    "tencent": [("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"), ("COS_SECRET_ID", "COS_SECRET_KEY")],
}  # fmt: skip
COMMON_VARIABLES = [("YUNZHAN_ACCESS_KEY_ID", "YUNZHAN_ACCESS_KEY_SECRET"), ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")]  # fmt: skip
CREDENTIALS_FILE = "credentials.toml"
FILE_EXAMPLE = '[存储桶名]\naccess_key_id = "…"\naccess_key_secret = "…"'


class PublishError(YunzhanError):
    """Publishing could not start or could not finish; ``problems`` say why and what to do."""


def fail(where: str, message: str, hint: str = "", field: str | None = None) -> PublishError:
    return PublishError([Problem(where, None, field, message, hint)])


@dataclass(frozen=True)
class Target:
    provider: str
    bucket: str
    region: str
    endpoint: str  # "" = boto3's own (AWS)
    addressing: str  # "virtual" or "path"
    prefix: str  # "" or "folder/…/", where the site's files go in the bucket
    gzip: bool

    @property
    def name(self) -> str:
        """For messages: the bucket and folder as the console shows them."""
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket

    @property
    def ident(self) -> str:
        """A short stable name of this destination, for the local journal of an unfinished publish."""
        text = f"{self.endpoint}|{self.bucket}|{self.prefix}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Credentials:
    key_id: str
    secret: str
    token: str = ""
    source: str = ""  # where they were found, named in messages about a wrong key


def resolve_target(config: SiteConfig) -> Target:
    """site.toml's [deploy] → a Target, every missing or wrong setting named with its fix."""
    d = config.deploy
    problems: list[Problem] = []

    def need(field: str, message: str, hint: str) -> None:
        problems.append(Problem("site.toml", None, f"deploy.{field}", message, hint))

    if not d.provider and not d.bucket:
        need(
            "provider",
            "没有设置发布到哪里",
            "在 site.toml 里加 [deploy]，写上 provider、bucket 和 region（见 docs/deploy.md）",
        )
        raise PublishError(problems)
    if d.provider not in PROVIDERS:
        need(
            "provider",
            f"不认识的云服务“{d.provider}”",
            "可选：aliyun（阿里云 OSS）、tencent（腾讯云 COS）、aws、minio、s3（其他兼容 S3 的存储）",
        )
        raise PublishError(problems)
    pattern, addressing, region_word, example = PROVIDERS[d.provider]
    if not d.bucket:
        need("bucket", "没有写存储桶（Bucket）的名字", 'bucket = "在控制台创建的存储桶名"')
    if pattern and not d.region and not d.endpoint:
        need(
            "region",
            f"没有写存储桶所在的{region_word}",
            f'region = "{example}"（在控制台存储桶的概览页可以看到）',
        )
    if d.provider in ("minio", "s3") and not d.endpoint:
        need("endpoint", "没有写存储服务的地址", 'endpoint = "https://minio.example.org:9000"')
    if d.endpoint and not d.endpoint.startswith(("http://", "https://")):
        need("endpoint", "地址应当以 https:// 开头", f'endpoint = "https://{d.endpoint}"')
    if d.addressing not in ("", "virtual", "path"):
        need(
            "addressing", f"不认识的访问方式“{d.addressing}”", 'addressing = "virtual" 或 "path"，一般不用写'
        )
    if problems:
        raise PublishError(problems)
    prefix = (d.prefix or config.base_path).strip("/")
    return Target(
        provider=d.provider,
        bucket=d.bucket,
        region=d.region or example,
        endpoint=d.endpoint.rstrip("/") or pattern.format(region=d.region),
        addressing=d.addressing or addressing,
        prefix=f"{prefix}/" if prefix else "",
        gzip=d.gzip,
    )


def credentials_file(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    given = env.get("YUNZHAN_CREDENTIALS")
    return Path(given) if given else processes.user_config_dir(env) / CREDENTIALS_FILE


def find_credentials(target: Target, environ: Mapping[str, str] | None = None) -> Credentials:
    """The access key for the target: environment variables first (the provider's own names, then
    YUNZHAN_/AWS_), then the user's credentials.toml, under the bucket's name or [default]."""
    env = os.environ if environ is None else environ
    for id_name, secret_name in [*KEY_VARIABLES.get(target.provider, []), *COMMON_VARIABLES]:
        key_id, secret = env.get(id_name, "").strip(), env.get(secret_name, "").strip()
        if key_id and secret:
            token = env.get("AWS_SESSION_TOKEN", "") if id_name.startswith("AWS") else ""
            return Credentials(key_id, secret, token, f"环境变量 {id_name}")
        if key_id or secret:
            missing = secret_name if key_id else id_name
            raise fail(
                "环境变量",
                f"只设置了 {id_name if key_id else secret_name}，缺少 {missing}",
                f"把 {missing} 也设置上，两个要成对",
            )
    path = credentials_file(env)
    return _from_file(path, target)


def _from_file(path: Path, target: Target) -> Credentials:
    first = (KEY_VARIABLES.get(target.provider) or COMMON_VARIABLES)[0]
    if not path.is_file():
        raise fail(
            "密钥",
            "找不到上传用的访问密钥（AccessKey）",
            f"在 {path} 里写上（这个文件不在网站文件夹里，不会被分享出去）：\n{FILE_EXAMPLE}\n"
            f"或者设置环境变量 {first[0]} 和 {first[1]}",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise fail(str(path), f"读不懂密钥文件：{exc}", f"照这个格式写：\n{FILE_EXAMPLE}") from None
    section = data.get(target.bucket, data.get("default"))
    if not isinstance(section, dict):
        raise fail(
            str(path), f"密钥文件里没有 [{target.bucket}] 或 [default]", f"照这个格式写：\n{FILE_EXAMPLE}"
        )
    key_id = str(section.get("access_key_id", "")).strip()
    secret = str(section.get("access_key_secret", "")).strip()
    if not key_id or not secret:
        missing = "access_key_id" if not key_id else "access_key_secret"
        raise fail(str(path), f"缺少 {missing}", f"照这个格式写：\n{FILE_EXAMPLE}")
    return Credentials(key_id, secret, "", str(path))
