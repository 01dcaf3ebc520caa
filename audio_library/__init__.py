"""Broadcast audio: content-addressed storage, loudness normalisation and encoding (ffmpeg)."""

from audio_library.asset import AudioAsset, AudioAssetPublic, save_asset, save_broadcast
from audio_library.chain import (
    CHAIN_VERSION,
    BroadcastAudio,
    Loudness,
    chain_signature,
    encode_broadcast,
    measure_loudness,
    produce_broadcast,
)
from audio_library.codec import EncodedAudio, MediaInfo, probe_duration_ms, probe_file
from audio_library.errors import (
    AssetNotFound,
    AudioError,
    AudioTooLarge,
    AudioToolMissing,
    AudioTooLong,
    InvalidAudio,
    LoaxaError,
    SilentAudio,
    UnsupportedAudioFormat,
)
from audio_library.settings import AudioSettings
from audio_library.store import AssetStore, StoredFile, sha256_bytes

__all__ = [
    "CHAIN_VERSION",
    "AssetNotFound",
    "AssetStore",
    "AudioAsset",
    "AudioAssetPublic",
    "AudioError",
    "AudioSettings",
    "AudioTooLarge",
    "AudioTooLong",
    "AudioToolMissing",
    "BroadcastAudio",
    "EncodedAudio",
    "InvalidAudio",
    "LoaxaError",
    "Loudness",
    "MediaInfo",
    "SilentAudio",
    "StoredFile",
    "UnsupportedAudioFormat",
    "chain_signature",
    "encode_broadcast",
    "measure_loudness",
    "probe_duration_ms",
    "probe_file",
    "produce_broadcast",
    "save_asset",
    "save_broadcast",
    "sha256_bytes",
]
