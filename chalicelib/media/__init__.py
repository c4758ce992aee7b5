"""Pictures staff upload for what members see (a points-mall reward's photos): uploaded to storage, checked, then
published under the platform's own origin (``/media/<name>``)."""
