"""The audit log: every staff write and every read of a full phone number, without personal data."""
