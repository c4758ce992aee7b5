"""The embedded local stack: emulator, provisioning, persistence, relay and queue poller. Development only."""
