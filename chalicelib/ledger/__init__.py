"""One ledger engine for every member asset: points, growth value, stored value, and what comes next.

``model`` holds the pure parts (books, postings, entries, claims), ``engine`` the rules of a write,
``store`` the storage port with its DynamoDB (``dynamo``) and in-memory (``memory``) implementations.
See docs/ledger.md for how to add a book.
"""
