"""Daily activity statistics kept from the event stream: counts of each event type per business day."""
