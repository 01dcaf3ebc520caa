"""Live broadcasts from the console ("Phát trực tiếp"): who may go live where, the session and its
recording, the browser's audio piped through ffmpeg into a per-session Icecast mount, and the signed
commands that put the nodes on it."""

from controller.live.settings import LiveSettings

__all__ = ["LiveSettings"]
