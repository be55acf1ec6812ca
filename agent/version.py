"""The agent's release, shown by ``store-agent --version``, ``/healthz`` and sent to the hub."""

VERSION = "0.2.0"
