"""The speaker-node agent and the fleet simulator. Imports only `devices.protocol` from loaxa."""

from firmware_sim.agent import NodeAgent
from firmware_sim.config import NodeSettings
from firmware_sim.fleet import Fleet, NodeIdentity, load_identities, save_identities
from firmware_sim.fleet_processes import FleetProcesses, ProcessStatus
from firmware_sim.sink import AudioSink, FileSink, PlayedAudio, PyAudioSink

__all__ = [
    "AudioSink",
    "FileSink",
    "Fleet",
    "FleetProcesses",
    "NodeAgent",
    "NodeIdentity",
    "NodeSettings",
    "PlayedAudio",
    "ProcessStatus",
    "PyAudioSink",
    "load_identities",
    "save_identities",
]
