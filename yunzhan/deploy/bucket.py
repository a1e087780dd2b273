"""The bucket through boto3: list, put, delete and the manifest; every error the editor can meet as one plain
Chinese sentence with its fix (a wrong key, a bucket that does not exist, the 2025 OSS endpoint rule, no
network).

boto3 is configured for the Chinese hosts: since botocore 1.36 every upload carries a CRC32 checksum in an
``aws-chunked`` body unless told otherwise, which OSS and COS do not all accept; checksums are sent only
where the API requires them. OSS and COS want virtual-hosted addressing (new COS buckets refuse path-style).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from yunzhan.deploy.plan import BIG, MANIFEST, LocalFile
from yunzhan.deploy.target import Credentials, PublishError, Target, fail

KEY_ERRORS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidSecretId", "AuthFailure"}
CONSOLE = {
    "aliyun": "阿里云控制台 → 右上角头像 → AccessKey 管理（建议用只有这个存储桶读写权限的 RAM 用户）",
    "tencent": "腾讯云控制台 → 访问管理 → API 密钥管理（建议用只有这个存储桶读写权限的子用户）",
}


class Bucket:
    """One bucket and folder; methods raise PublishError, never a botocore exception."""

    def __init__(self, target: Target, credentials: Credentials, *, retries: int = 5) -> None:
        import boto3
        from botocore.config import Config

        self.target = target
        self.credentials = credentials
        config = Config(
            region_name=target.region,
            signature_version="s3v4",
            s3={"addressing_style": target.addressing},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": retries, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
            max_pool_connections=16,
        )
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=target.endpoint or None,
            aws_access_key_id=credentials.key_id,
            aws_secret_access_key=credentials.secret,
            aws_session_token=credentials.token or None,
            config=config,
        )

    def listing(self) -> dict[str, str]:
        """Key → ETag (without quotes) of every object under the prefix."""
        out: dict[str, str] = {}
        with self.errors("列出存储桶里的文件"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.target.bucket, Prefix=self.target.prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    out[item["Key"]] = item["ETag"].strip('"')
        return out

    def manifest(self) -> dict[str, dict[str, str]]:
        from botocore.exceptions import ClientError

        try:
            with self.errors("读取上次发布的清单"):
                body = self.client.get_object(Bucket=self.target.bucket, Key=self.target.prefix + MANIFEST)
                data = json.loads(body["Body"].read())
        except PublishError as exc:
            if isinstance(exc.__cause__, ClientError) and _code(exc.__cause__) in ("NoSuchKey", "404"):
                return {}
            raise
        except ValueError:  # a damaged manifest only costs a full upload
            return {}
        files = data.get("files", {}) if isinstance(data, dict) else {}
        return {k: v for k, v in files.items() if isinstance(v, dict)}

    def save_manifest(self, files: dict[str, dict[str, str]]) -> None:
        body = json.dumps({"version": 1, "files": files}, ensure_ascii=False, sort_keys=True, indent=0)
        with self.errors("保存发布清单"):
            self.client.put_object(
                Bucket=self.target.bucket,
                Key=self.target.prefix + MANIFEST,
                Body=body.encode(),
                ContentType="application/json; charset=utf-8",
                CacheControl="no-cache",
            )

    def put(self, item: LocalFile) -> str:
        """Upload one file; its ETag as the bucket gives it."""
        headers = dict(item.headers)
        with self.errors(f"上传 {item.rel}"):
            if item.size < BIG:
                answer = self.client.put_object(
                    Bucket=self.target.bucket, Key=item.key, Body=item.source.read_bytes(), **headers
                )
                return str(answer["ETag"]).strip('"')
            from boto3.s3.transfer import TransferConfig

            self.client.upload_file(
                str(item.source),
                self.target.bucket,
                item.key,
                ExtraArgs=headers,
                Config=TransferConfig(multipart_threshold=BIG, multipart_chunksize=16 * 1024 * 1024),
            )
            head = self.client.head_object(Bucket=self.target.bucket, Key=item.key)
            return str(head["ETag"]).strip('"')

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            with self.errors("删除旧文件"):
                self.client.delete_objects(
                    Bucket=self.target.bucket,
                    Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True},
                )

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """botocore's exceptions → PublishError naming what was being done and how to fix it."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        again = "再运行一次，已上传的文件不会重传"
        network: list[tuple[Any, str | None, str]] = [  # the first kind that matches says what happened
            (
                EndpointConnectionError,
                "连不上存储服务",
                f"检查网络，以及 site.toml 里 [deploy] 的 region 和 endpoint 是否写对；然后{again}",
            ),
            ((ConnectTimeoutError, ReadTimeoutError), "网络超时", f"网络慢或中断了：{again}"),
            ((BotoCoreError, OSError), None, f"多半是网络中断了：{again}"),
        ]
        try:
            yield
        except ClientError as exc:
            raise self._client_error(exc, doing) from exc
        except (BotoCoreError, OSError) as exc:
            what, hint = next((w, h) for kinds, w, h in network if isinstance(exc, kinds))
            raise fail(self.target.endpoint or "AWS", f"{doing}时{what or f'出错：{exc}'}", hint) from exc

    def _client_error(self, exc: Any, doing: str) -> PublishError:
        code = _code(exc)
        where = self.credentials.source
        console = CONSOLE.get(self.target.provider, "在云服务的控制台查看访问密钥")
        if code in KEY_ERRORS:
            what = "访问密钥 ID 不存在" if code in ("InvalidAccessKeyId", "InvalidSecretId") else "密钥不对"
            return fail(
                where, f"{doing}时被拒绝：{what}（{code}）", f"核对 {where} 里的密钥，照 {console} 复制"
            )
        if code in ("AccessDenied", "403"):
            return fail(
                where,
                f"{doing}时被拒绝：这个密钥没有存储桶 {self.target.bucket} 的读写权限（{code}）",
                f"给这个密钥的用户加上存储桶的读写权限：{console}",
            )
        if code in ("NoSuchBucket", "404"):
            return fail(
                "site.toml",
                f"找不到存储桶 {self.target.bucket}（{code}）",
                "核对 [deploy] 的 bucket（腾讯云要带 -APPID）和 region，或先在控制台创建存储桶",
                field="deploy.bucket",
            )
        if code == "PublicEndpointForbidden":
            return fail(
                "site.toml",
                f"{doing}时被拒绝：2025 年 3 月 20 日以后开通的 OSS 不能再用默认的外网地址上传（{code}）",
                "从同一地域的阿里云服务器（ECS）用内网地址发布："
                f'endpoint = "https://s3.oss-{self.target.region}-internal.aliyuncs.com"；'
                "yunzhan 还不能通过自定义域名上传，在自己电脑上可以用阿里云的 ossutil 通过绑定的域名上传 output/",
                field="deploy.endpoint",
            )
        message = exc.response.get("Error", {}).get("Message", "") or str(exc)
        return fail(
            self.target.endpoint or "AWS",
            f"{doing}时出错：{code} {message}",
            "稍后再运行一次；如果一再出现，把这句话发给技术人员",
        )


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
