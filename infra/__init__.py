"""The CloudFormation side of the platform, rendered from the same definitions the emulator uses."""
