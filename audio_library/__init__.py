"""Broadcast audio: content-addressed storage, loudness normalisation and encoding (ffmpeg)."""

from audio_library.asset import AudioAsset, AudioAssetPublic, save_asset
from audio_library.codec import EncodedAudio, encode_broadcast, probe_duration_ms
from audio_library.errors import AssetNotFound, AudioError, AudioToolMissing, InvalidAudio, LoaxaError
from audio_library.settings import AudioSettings
from audio_library.store import AssetStore, StoredFile, sha256_bytes

__all__ = [
    "AssetNotFound",
    "AssetStore",
    "AudioAsset",
    "AudioAssetPublic",
    "AudioError",
    "AudioSettings",
    "AudioToolMissing",
    "EncodedAudio",
    "InvalidAudio",
    "LoaxaError",
    "StoredFile",
    "encode_broadcast",
    "probe_duration_ms",
    "save_asset",
    "sha256_bytes",
]
