"""The process's AWS clients, made from botocore sessions that share one data loader reading botocore's data the
short way: what making a process's first client costs, most of it on a cold start, is botocore reading its JSON.

- botocore reads every JSON file into ``OrderedDict``s, though a dict keeps its order too: for the 1.2 MB of
  ``endpoints.json`` that every session reads before its first client, that is about 90 ms of CPU where plain dicts
  take 15 (on the slower machines we measure on);
- asked whether it knows a service, botocore lists every service it has (about 450 directories and 2,700 files
  looked for, twice per client); the loader here looks for that service alone;
- a second session (the DynamoDB connection is made again when the tables are bound again) or a second client of
  another service (KMS on a first purchase on AWS, SNS on a consumer's first publish) reads nothing again.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Sequence
from typing import Any

from botocore.loaders import JSONFileLoader, Loader
from botocore.session import Session

_making = threading.Lock()  # making a client from a session is not thread-safe


def session() -> Session:
    """A new botocore session on the process's data loader (one per data path: ``AWS_DATA_PATH`` or the config file's
    ``data_path``, searched first, as botocore does)."""
    made = Session()
    made.register_component("data_loader", _loader(made.get_config_variable("data_path")))
    return made


def client(service: str, region: str, **kwargs: Any) -> Any:
    """A boto3 client of ``service`` in ``region`` (``kwargs`` as ``boto3.client`` takes them), from the process's
    boto3 session."""
    with _making:
        return _boto3_session().client(service, region_name=region, **kwargs)


@functools.cache
def _boto3_session() -> Any:
    import boto3

    return boto3.Session(botocore_session=session())


@functools.cache
def _loader(data_path: str | None) -> Loader:
    """What ``botocore.loaders.create_loader`` makes of the data path, reading the short way."""
    extra = (
        [os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep)] if data_path else None
    )
    return _Data(extra_search_paths=extra, file_loader=_PlainJSONFiles())


class _Data(Loader):  # type: ignore[misc]
    """botocore's data loader, asked whether it knows a service by looking for that service alone."""

    def list_available_services(self, type_name: str) -> Any:
        return _KnownServices(self, type_name)


class _KnownServices(Sequence[str]):
    """The services with data of ``type_name`` as botocore lists them; ``in`` looks at one service's directories
    by botocore's rule (a directory of the search path with a version holding that data), anything else makes
    botocore's list."""

    def __init__(self, loader: _Data, type_name: str) -> None:
        self._loader, self._type_name = loader, type_name

    def __contains__(self, service: object) -> bool:
        if not isinstance(service, str) or service in ("", ".", "..") or os.sep in service:
            return False
        files = self._loader.file_loader
        for path in self._loader._potential_locations():
            directory = os.path.join(path, service)
            if os.path.isdir(directory) and any(
                files.exists(os.path.join(directory, version, self._type_name)) for version in os.listdir(directory)
            ):
                return True
        return False

    @functools.cached_property
    def _all(self) -> list[str]:
        return Loader.list_available_services(self._loader, self._type_name)  # type: ignore[no-any-return]

    def __getitem__(self, index: Any) -> Any:
        return self._all[index]

    def __len__(self) -> int:
        return len(self._all)


class _PlainJSONFiles(JSONFileLoader):  # type: ignore[misc]
    """botocore's JSON file loader (plain or gzipped, UTF-8), reading objects into dicts."""

    def _load_file(self, full_path: str, open_method: Any) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as file:
            return json.loads(file.read().decode("utf-8"))
