"""Local stand-ins for the providers' HTTP APIs: each serves on 127.0.0.1 (a free port) from a thread, checks
requests as its provider documents them, and answers as the provider does, errors included. Nothing leaves
the machine. Use them in integration and functional tests (the unit tier refuses sockets)."""
