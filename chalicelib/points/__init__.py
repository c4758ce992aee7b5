"""Points: the ledger, its lots and expiry, redemptions, adjustments and the nightly points jobs."""
