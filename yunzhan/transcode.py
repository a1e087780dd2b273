"""Re-encoding a video that phones and WeChat cannot play (HEVC, ProRes, VP9, AV1) into H.264/AAC in MP4.

Only when the site asks for it (``[media] transcode = true``): it costs build time (about real time for 1080p on
two cores) and a generation of quality, where the editor's own export costs neither. AAC sound is copied as it
is; other sound (PCM of ProRes, Opus of WebM) is encoded to AAC. Nothing of the source's metadata is written.
"""

from __future__ import annotations

from typing import Any

import av

MAX_SIDE = 1920  # longer side after transcoding: 1080p is what a phone screen shows
CRF = "23"  # x264's default quality
PRESET = "veryfast"  # 3-4x faster than "medium" for ~10 % more bytes
AUDIO_RATE = 48000


def needs_transcode(codecs: list[str]) -> bool:
    """Whether a video's codecs (video first, then sound) fall outside what plays everywhere."""
    return codecs[0] != "h264" or (len(codecs) > 1 and codecs[1] not in ("aac", "mp3"))


def transcode(container: Any, streams: list[Any], target: str) -> dict[str, int]:
    """Write ``streams`` (video, then maybe audio) of ``container`` to ``target`` as H.264/AAC in MP4, fast
    start. Returns the frames written per kind."""
    video = streams[0]
    sound = streams[1] if len(streams) > 1 else None
    ctx = video.codec_context
    scale = min(1.0, MAX_SIDE / max(ctx.width, ctx.height))
    width, height = (max(2, round(side * scale / 2) * 2) for side in (ctx.width, ctx.height))
    options = {"movflags": "+faststart", "fflags": "+bitexact"}
    counts = {"video": 0, "audio": 0}
    with av.open(target, "w", format="mp4", options=options) as out:
        rate = video.average_rate or video.guessed_rate or 25
        encoder = out.add_stream("libx264", rate=rate, options={"crf": CRF, "preset": PRESET})
        encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
        copy = sound is not None and sound.codec_context.codec.canonical_name == "aac"
        audio_out = _audio_stream(out, sound, copy)
        fifo = av.AudioFifo() if sound is not None and not copy else None
        resampler = av.AudioResampler("fltp", "stereo", AUDIO_RATE) if fifo is not None else None
        rotated = False
        for packet in container.demux(streams):
            if packet.stream is sound and copy:
                if packet.size:
                    packet.stream = audio_out
                    out.mux(packet)
                    counts["audio"] += 1
                continue
            for frame in packet.decode():
                if packet.stream is video:
                    if not rotated:
                        rotation = getattr(frame, "rotation", 0) or 0
                        if rotation % 360:
                            encoder.set_display_rotation(rotation)
                        rotated = True
                    image = frame.reformat(width, height, "yuv420p")
                    image.pts, image.time_base = frame.pts, frame.time_base
                    out.mux(encoder.encode(image))
                    counts["video"] += 1
                else:
                    for chunk in resampler.resample(frame):
                        fifo.write(chunk)
                    counts["audio"] += _drain(out, audio_out, fifo, final=False)
        out.mux(encoder.encode(None))
        if fifo is not None:
            counts["audio"] += _drain(out, audio_out, fifo, final=True)
            out.mux(audio_out.encode(None))
    return counts


def _audio_stream(out: Any, sound: Any, copy: bool) -> Any:
    if sound is None:
        return None
    if copy:
        stream = out.add_stream_from_template(sound)
        stream.metadata.clear()
        return stream
    return out.add_stream("aac", rate=AUDIO_RATE, layout="stereo")


def _drain(out: Any, stream: Any, fifo: Any, *, final: bool) -> int:
    """AAC takes frames of exactly ``frame_size`` samples: hand them over from the FIFO as they fill up."""
    size = stream.codec_context.frame_size or 1024
    done = 0
    while fifo.samples >= size or (final and fifo.samples):
        frame = fifo.read(min(size, fifo.samples))
        frame.pts = None
        out.mux(stream.encode(frame))
        done += 1
    return done
