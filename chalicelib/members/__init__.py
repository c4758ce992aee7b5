"""Members (会员): profiles with personal data sealed at rest, unique phones, member numbers, erasure, import."""
