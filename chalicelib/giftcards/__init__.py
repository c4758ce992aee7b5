"""Gift cards (礼品卡): anonymous prepaid cards a chain prints in batches, sells at its tills and members bind to
their stored value (储值)."""
