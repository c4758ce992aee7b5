"""Identity and access: staff, members and partners as callers, roles and permissions, audit."""
