"""The speaker-node agent and the fleet simulator. Imports only `devices.protocol` from loaxa."""

from firmware_sim.agent import NodeAgent
from firmware_sim.config import NodeSettings
from firmware_sim.fleet import Fleet, NodeIdentity, load_identities, save_identities
from firmware_sim.sink import AudioSink, FileSink, PlayedAudio, PyAudioSink

__all__ = [
    "AudioSink",
    "FileSink",
    "Fleet",
    "NodeAgent",
    "NodeIdentity",
    "NodeSettings",
    "PlayedAudio",
    "PyAudioSink",
    "load_identities",
    "save_identities",
]
