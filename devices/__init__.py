"""The device registry, the broker's auth files, MQTT, and the device protocol.

This `__init__` deliberately imports nothing: the node agent imports `devices.protocol` and must not
pull in the database or paho with it. Import the submodules directly.
"""
